"""mlhygiene-xxe: XML parsing that resolves external entities (pd.read_html/read_xml, lxml, stdlib xml)."""

from __future__ import annotations

from collections.abc import Sequence

from mlhygiene._core.runner import semgrep_check
from mlhygiene.command import hook_main

CHECK = semgrep_check("xxe", "xxe")


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main(
        argv,
        "mlhygiene-xxe",
        "Find XML/HTML parsing exposed to external-entity and entity-expansion attacks.",
        [CHECK],
    )


if __name__ == "__main__":
    raise SystemExit(main())
