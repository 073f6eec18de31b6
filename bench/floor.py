"""The floor: read and parse every script and notebook in one process, and nothing else.

    python bench/floor.py PATH...

``json.load`` of each notebook and ``ast.parse`` of its code cells (IPython lines blanked) and
of each script. No check could read the same code in less time in pure Python, so this row
says how much of a tool's time is more than reading and parsing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from collections.abc import Iterator

_IPYTHON = re.compile(r"^\s*[%!]")


def files(paths: list[str]) -> Iterator[str]:
    for top in paths:
        if not os.path.isdir(top):
            yield top
            continue
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            yield from (os.path.join(folder, n) for n in sorted(names))


def parse(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def main(argv: list[str]) -> int:
    parsed = failed = 0
    for path in files(argv):
        if path.endswith(".py"):
            with open(path, encoding="utf-8", errors="replace") as fh:
                ok = parse(fh.read())
        elif path.endswith(".ipynb"):
            with open(path, encoding="utf-8") as fh:
                cells = json.load(fh).get("cells", [])
            code = ("".join(c.get("source", [])) for c in cells if c.get("cell_type") == "code")
            ok = all([parse("\n".join("pass" if _IPYTHON.match(line) else line for line in src.splitlines()))
                      for src in code])
        else:
            continue
        parsed += ok
        failed += not ok
    print(f"parsed {parsed} files, {failed} with syntax errors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
