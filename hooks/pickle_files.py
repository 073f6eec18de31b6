"""mlhygiene-pickle-files: not built yet (see the issue tracker)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hooks._core.records import CheckResult, Source
from hooks._core.runner import Check, Context, hook_main

KINDS = frozenset({'artifact'})


def _run(sources: Sequence[Source], ctx: Context) -> CheckResult:
    return CheckResult([], [])


CHECK = Check("pickle_files", KINDS, _run)


def main(argv: Sequence[str] | None = None) -> int:
    print("mlhygiene-pickle-files: not implemented yet; nothing was checked", file=sys.stderr)
    return hook_main(argv, "mlhygiene-pickle-files", "not implemented yet", [CHECK])


if __name__ == "__main__":
    raise SystemExit(main())
