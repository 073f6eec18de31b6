"""Notebooks written back in their own formatting: indentation, key order, separators, ASCII
escaping, line endings and trailing newline are found by re-serialising the parsed JSON until
it gives the original text exactly; a notebook no candidate reproduces is not written."""

from __future__ import annotations

import itertools
import json
from typing import Any, NamedTuple

Separators = tuple[str, str] | None
_SEPARATORS: tuple[Separators, ...] = (None, (",", ":"), (", ", ": "), (",", ": "))


class Layout(NamedTuple):
    indent: int | str | None
    sort_keys: bool
    separators: Separators
    ensure_ascii: bool
    newline: str  # "\n" or "\r\n" between the lines of an indented notebook
    tail: str  # what follows the closing brace (a newline, or nothing)


class FormatError(Exception):
    """The notebook's formatting cannot be reproduced (or it is not a v4 notebook)."""


def dump(nb: Any, layout: Layout) -> str:
    text = json.dumps(
        nb,
        indent=layout.indent,
        sort_keys=layout.sort_keys,
        separators=layout.separators,
        ensure_ascii=layout.ensure_ascii,
    )
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)
    return text + layout.tail


def detect(text: str) -> tuple[dict[str, Any], Layout]:
    """The notebook and the layout that reproduces ``text`` byte for byte."""
    newline = "\r\n" if "\r\n" in text else "\n"
    body = text.replace("\r\n", "\n") if newline != "\n" else text
    stripped = body.rstrip("\n")
    tail = body[len(stripped) :].replace("\n", newline)
    try:
        nb = json.loads(stripped)
    except (ValueError, RecursionError):
        raise FormatError("not valid JSON") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise FormatError("not a notebook with a 'cells' list")
    if "\n" not in stripped:
        indents: list[int | str | None] = [None]
    else:
        second = stripped.split("\n", 2)[1]
        lead = second[: len(second) - len(second.lstrip())]
        indents = ["\t"] if lead.startswith("\t") else [len(lead)] if lead else [0]
    ascii_only = stripped.isascii()
    for indent, sort_keys, separators, ensure_ascii in itertools.product(
        indents, (False, True), _SEPARATORS, (ascii_only, not ascii_only)
    ):
        layout = Layout(indent, sort_keys, separators, ensure_ascii, newline, tail)
        if dump(nb, layout) == text:
            return nb, layout
    raise FormatError("cannot keep this notebook's formatting; fix it by hand")


def is_v4(nb: dict[str, Any]) -> bool:
    major = nb.get("nbformat")
    return "worksheets" not in nb and (major is None or (isinstance(major, int) and major >= 4))


def source_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return source if isinstance(source, str) else ""


def set_source(cell: dict[str, Any], text: str) -> None:
    """Store ``text`` as the cell's source, as a list of lines if it was one."""
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def add_tag(cell: dict[str, Any], tag: str) -> bool:
    """Add a cell-metadata tag (False when it is there already)."""
    metadata = cell.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return False
    tags = metadata.setdefault("tags", [])
    if not isinstance(tags, list) or tag in tags:
        return False
    tags.append(tag)
    return True


def drop_widgets(nb: dict[str, Any], secrets: set[str]) -> list[str]:
    """Remove the saved widget models whose state holds one of ``secrets``; their ids."""
    widgets = nb.get("metadata", {}).get("widgets") if isinstance(nb.get("metadata"), dict) else None
    if not isinstance(widgets, dict) or not secrets:
        return []
    removed: list[str] = []
    for bundle in widgets.values():
        state = bundle.get("state") if isinstance(bundle, dict) else None
        if not isinstance(state, dict):
            continue
        for model_id in list(state):
            dumped = json.dumps(state[model_id], ensure_ascii=False)
            if any(secret in dumped or json.dumps(secret)[1:-1] in dumped for secret in secrets):
                del state[model_id]
                removed.append(str(model_id))
    return removed


def output_lines(output: Any) -> list[str]:
    """What an output shows, as text lines (for a readable diff)."""
    if not isinstance(output, dict):
        return []
    kind = output.get("output_type")
    if kind == "stream":
        text: Any = output.get("text", "")
    elif kind == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    else:
        data = output.get("data")
        text = data.get("text/plain", "") if isinstance(data, dict) else ""
        if not text and isinstance(data, dict):
            text = f"({', '.join(sorted(data))})"
    if isinstance(text, list):
        text = "".join(str(t) for t in text)
    return str(text).splitlines()


def render_cell(cell: Any) -> list[str]:
    """A cell as a reader sees it: its source, then each output under a ``[output K: type]``
    line."""
    if not isinstance(cell, dict):
        return []
    lines = source_text(cell).splitlines()
    outputs = cell.get("outputs")
    for k, output in enumerate(outputs if isinstance(outputs, list) else [], start=1):
        kind = output.get("output_type", "?") if isinstance(output, dict) else "?"
        lines.append(f"[output {k}: {kind}]")
        lines += output_lines(output)
    tags = cell.get("metadata", {}).get("tags") if isinstance(cell.get("metadata"), dict) else None
    if tags:
        lines.append(f"[tags: {', '.join(str(t) for t in tags)}]")
    return lines
