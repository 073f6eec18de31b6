"""The import guard: refuse, at run time, imports of distributions outside the policy.

The organisation policy (``[tool.mlhygiene.policy]``, see the README) is checked statically by
the typosquat hook; this enforces the same lists while code runs, for an import the hook could
not see (``importlib.import_module(name)``, a notebook run elsewhere):

    python -m mlhygiene.guard [--config PYPROJECT] script.py [ARGS...]
    mlhygiene guard [--config PYPROJECT]      # prints a sitecustomize.py that installs it

Only top-level imports of installed distributions are judged: the standard library and modules
that live outside site-packages (the project's own) always import. A refused import raises
ImportError naming the module, its distribution and the policy.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.metadata import packages_distributions
from types import ModuleType

from mlhygiene._typosquat import policy as org

_INSTALLED = ("site-packages", "dist-packages")


@lru_cache(maxsize=1)
def _distributions() -> Mapping[str, list[str]]:
    return packages_distributions()


class PolicyFinder(importlib.abc.MetaPathFinder):
    """Sits first on ``sys.meta_path``; finds nothing itself, refuses what the policy does not allow."""

    def __init__(self, policy: org.Policy, where: str) -> None:
        self.policy = policy
        self.where = where

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None or fullname in sys.stdlib_module_names or fullname in sys.builtin_module_names:
            return None  # a submodule (its package was judged) or the standard library
        spec = importlib.machinery.PathFinder.find_spec(fullname)
        origin = (spec.origin or "") if spec is not None else ""
        locations = list(spec.submodule_search_locations or ()) if spec is not None else []
        if not any(part in p.split(os.sep) for p in (origin, *locations) for part in _INSTALLED):
            return None  # not installed: a local module, or not found at all
        for dist in _distributions().get(fullname, [fullname]):
            if self.policy.is_blocked(dist):
                raise ImportError(
                    f"mlhygiene guard: import of '{fullname}' refused: {dist} is blocked by {self.where}",
                    name=fullname,
                )
            if not self.policy.is_approved(dist):
                raise ImportError(
                    f"mlhygiene guard: import of '{fullname}' refused: {dist} is not on the approved"
                    f" package list ({self.policy.source}, {self.where})",
                    name=fullname,
                )
        return None


def install(config: str | None = None) -> PolicyFinder:
    """Put the guard for the policy of ``config`` (default: the nearest pyproject.toml) first."""
    from mlhygiene.checks import load_config  # the registry: every check's config keys
    from mlhygiene.typosquat import POLICY

    loaded = load_config(config)
    where = loaded.file or "pyproject.toml"
    finder = PolicyFinder(org.load(loaded.setting(POLICY), loaded.root, where), where)
    sys.meta_path.insert(0, finder)
    return finder


SITECUSTOMIZE = """\
# sitecustomize.py: every Python started with this folder on its path refuses imports outside
# the policy in {config} (mlhygiene guard).
import mlhygiene.guard

mlhygiene.guard.install({config!r})
"""


def sitecustomize(config: str | None) -> str:
    from mlhygiene.checks import load_config
    from mlhygiene.typosquat import POLICY

    loaded = load_config(config)
    if not loaded.file or not loaded.setting(POLICY):
        from mlhygiene._core.records import UsageError

        raise UsageError("no pyproject.toml with [tool.mlhygiene.policy] found; pass --config")
    return SITECUSTOMIZE.format(config=os.path.abspath(loaded.file))


def main(argv: Sequence[str] | None = None) -> int:
    from mlhygiene._core.records import FatalError
    from mlhygiene.command import fatal

    parser = argparse.ArgumentParser(
        prog="python -m mlhygiene.guard",
        description="Run a Python script with imports outside the organisation policy refused.",
    )
    parser.add_argument("--config", metavar="PYPROJECT", help="read [tool.mlhygiene.policy] from this file")
    parser.add_argument("script", help="the script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    options = parser.parse_args(argv)
    try:
        install(options.config)
    except FatalError as exc:
        return fatal("mlhygiene guard", exc)
    sys.argv = [options.script, *options.args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(options.script)))
    runpy.run_path(options.script, run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
