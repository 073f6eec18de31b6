"""Literal values given to credential-named things: the ``hardcoded-credential`` shapes.

- Python: ``api_key = "…"``, ``api_key: str = "…"``, ``f(api_key="…")``, ``{"api_key": "…"}``,
  ``os.environ["X_API_KEY"] = "…"``, ``os.environ.setdefault("X_TOKEN", "…")``,
  ``headers={"Authorization": "Bearer …"}``, ``auth=("user", "…")``
- inside strings: connection strings (``"host=db password=…"``, ``"…;PWD=…;"``) and URL
  query parameters (``?api_key=…&``)
- notebook shell and magic lines: ``%env X_TOKEN=…``, ``!export X_TOKEN=…``, ``!echo "X_TOKEN=…" >> .env``
- config files and printed output, where values need no quotes: ``X_TOKEN=…``, ``password: …``,
  ``password = …``, netrc ``machine … login … password …``

Only the *shape* is decided here; whether the name is a credential's is ``names``' job and
whether the value is one is the filters' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from mlhygiene._secrets.records import CODE, CONFIG, OUTPUT, SHELL

# A quoted value may hold the other kind of quote ('ab"cd'); it ends at its own.
_VALUE_Q = r"(?P<prefix>[rRbBuUfF]{0,2})(?P<q>['\"])(?P<value>(?:(?!(?P=q))[^\n]){1,400})(?P=q)"
_NAME = r"(?P<name>[A-Za-z_][\w.\-]{0,80})"

QUOTED = re.compile(
    r"(?<![\w.\-])(?P<nq>['\"]?)" + _NAME + r"(?P=nq)"
    r"\s*\]?\s*"  # a closing subscript: environ["X"] = ...
    r"(?::\s*[A-Za-z_][\w\[\], .|]{0,40}?\s*(?==))?"  # an annotation: api_key: str = ...
    r"(?P<op>:=|=>|=(?!=)|:)\s*" + _VALUE_Q
)
SETDEFAULT = re.compile(
    r"\b(?:setdefault|putenv|setenv)\(\s*(?P<nq>['\"])" + _NAME + r"(?P=nq)\s*,\s*" + _VALUE_Q
)
AUTH_HEADER = re.compile(
    r"(?P<name>Authorization)['\"]?\s*[:=]\s*['\"]?(?:Bearer|Token|Basic|bearer|token|basic)\s+"
    r"(?P<value>[A-Za-z0-9._~+/\-]{8,400}=*)"
)
UNQUOTED = re.compile(
    r"^\s*(?:-\s+)?(?:export\s+|set\s+)?(?P<nq>['\"]?)" + _NAME + r"(?P=nq)"
    r"\s*(?P<op>=|:)\s*(?P<value>[^\s'\"#;,]{1,400})\s*(?:[#;].*)?$"
)
SHELL_ASSIGN = re.compile(
    r"(?:(?<=\s)|(?<=^)|(?<=['\"!]))(?:export\s+)?(?P<name>[A-Za-z_]\w{0,80})="
    r"(?P<value>[^\s'\"#;`)]{1,400})"
)
ENV_MAGIC = re.compile(
    r"^\s*%(?:env|set_env)\s+(?P<name>[A-Za-z_]\w{0,80})(?:\s*=\s*|\s+)(?P<value>[^\s'\"]{1,400})"
)
AUTH_TUPLE = re.compile(  # requests' auth=("user", "pw"), HTTPBasicAuth("user", "pw")
    r"\b(?:auth|HTTPBasicAuth|HTTPDigestAuth|BasicAuth)\s*[=(]\s*\(?\s*[rRbBuU]?['\"][^'\"\n]*['\"]\s*,\s*"
    + _VALUE_Q
)
SIGNING_KEY = re.compile(  # jwt.encode(payload, "key", ...), jwt.decode(t, "key"), hmac.new(b"key", ...)
    r"\b(?:(?P<jwt>jwt)\.(?:encode|decode)\(\s*[^,()\n]+(?:\([^()\n]*\))?[^,()\n]*,\s*(?:key\s*=\s*)?"
    r"|hmac\.(?:new|HMAC|digest)\(\s*(?:key\s*=\s*)?)"
    + _VALUE_Q
)
CONN_STRING = re.compile(  # "host=db user=ml password=…", "Server=…;UID=…;PWD=…;"
    r"['\"][^'\"\n]*?\b(?P<name>password|passwd|pwd)\s*=\s*(?P<value>[^\s'\";&{}(),]{1,200})(?=[;&\s'\"])",
    re.I,
)
URL_PARAM = re.compile(r"[?&](?P<name>[A-Za-z_][\w\-]{0,80})=(?P<value>[^&\s'\"#<>]{1,400})")
NETRC_INLINE = re.compile(r"\bmachine\s+\S+\s+login\s+\S+\s+(?P<name>password)\s+(?P<value>[^\s'\"]{1,400})")
NETRC_LINE = re.compile(r"^\s*(?P<name>password)\s+(?P<value>[^\s'\"]{1,400})\s*$")

_EVERYWHERE = (QUOTED, SETDEFAULT, AUTH_HEADER, AUTH_TUPLE, SIGNING_KEY, CONN_STRING, URL_PARAM, NETRC_INLINE)
_BY_MODE: dict[str, tuple[re.Pattern[str], ...]] = {
    CODE: _EVERYWHERE,
    OUTPUT: (*_EVERYWHERE, UNQUOTED, NETRC_LINE),
    CONFIG: (*_EVERYWHERE, UNQUOTED, NETRC_LINE),
}
_SHELL = (SHELL_ASSIGN, ENV_MAGIC)
_BY_MODE[SHELL] = (*_EVERYWHERE, *_SHELL)


class Assignment(NamedTuple):
    name: str
    value: str
    start: int  # 0-based span of value in the line
    end: int
    prefix: str = ""  # string prefix (r, b, f...) of a quoted value


def _is_shell_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("!", "%", "export ")) and not stripped.startswith("%%")


_ANCHORED = frozenset({UNQUOTED, NETRC_LINE, ENV_MAGIC})


def assignments(line: str, mode: str, pos: int = 0, endpos: int | None = None) -> Iterator[Assignment]:
    """Every (name, literal value) the line assigns, in the shapes ``mode`` allows; with
    ``pos``/``endpos``, only in that window of a long line (whole-line shapes then skipped)."""
    patterns = _BY_MODE.get(mode, ())
    if mode == CODE and _is_shell_line(line):
        patterns = patterns + _SHELL
    window = pos > 0 or (endpos is not None and endpos < len(line))
    for pattern in patterns:
        if window and pattern in _ANCHORED:
            continue
        for match in pattern.finditer(line, pos, len(line) if endpos is None else endpos):
            groups = match.groupdict()
            name = groups.get("name") or (
                "signing_key" if pattern is SIGNING_KEY else "password"  # AUTH_TUPLE: the second item
            )
            yield Assignment(
                name,
                match.group("value"),
                match.start("value"),
                match.end("value"),
                groups.get("prefix") or "",
            )
