"""mlhygiene-deserialization: unsafe loads (pickle, joblib, torch.load, np.load(allow_pickle=True), ...)."""

from __future__ import annotations

from collections.abc import Sequence

from mlhygiene._core.runner import semgrep_check
from mlhygiene.command import hook_main

CHECK = semgrep_check("deserialization", "deserialization")


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main(
        argv,
        "mlhygiene-deserialization",
        "Find loads that can run code from the file they read (pickle, joblib, torch.load, ...).",
        [CHECK],
    )


if __name__ == "__main__":
    raise SystemExit(main())
