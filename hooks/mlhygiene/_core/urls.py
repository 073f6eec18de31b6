"""URL helpers more than one check needs (the http and typosquat checks)."""

from __future__ import annotations

import re

_LOCAL_HOST = re.compile(
    r"^(localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|::1|host\.docker\.internal)(?::\d+)?$",
    re.I,
)


def host_of(netloc: str) -> str:
    """The host[:port] of a URL authority, with any user:password@ removed (never printed)."""
    return netloc.rsplit("@", 1)[-1]


def is_local(host: str) -> bool:
    return bool(_LOCAL_HOST.match(host))
