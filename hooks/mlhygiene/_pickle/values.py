"""What the symbolic pickle machine puts on its stack besides plain Python values."""

from __future__ import annotations

from typing import Any, NamedTuple

KEEP_ITEMS = 64  # items of a tuple or dict we keep (joblib wrapper state, call arguments)


# What a ``Ref.note`` says besides a plain import.
BUILD_NOTE = "BUILD sets attributes on"
COMPUTED = "computed"  # STACK_GLOBAL on values that are not literal strings
EXTENSION = "extension"  # EXT1/EXT2/EXT4: a code the loading process's copyreg registry maps


class Ref(NamedTuple):
    """A name the pickle makes the unpickler import (or, with ``note``, something it does)."""

    module: str
    name: str
    offset: int
    note: str = ""

    def importable(self) -> bool:
        """Could ``find_class`` import this at all (dotted identifiers, a literal name)?"""
        if self.note in (COMPUTED, EXTENSION):
            return True
        return all(part.isidentifier() for part in f"{self.module}.{self.name}".split("."))


class Global(NamedTuple):
    module: str
    name: str


class Call:
    """What REDUCE/NEWOBJ/INST/OBJ would build: ``func(*args)``, then BUILD's ``state``."""

    __slots__ = ("args", "func", "state")

    def __init__(self, func: Any, args: Any) -> None:
        self.func = func
        self.args = args
        self.state: Any = None


class Blob(NamedTuple):
    """A string or bytes value too long to keep."""

    size: int


OPAQUE = Blob(-1)


class Dict:
    """A dict (or anything SETITEM targets): the first KEEP_ITEMS items."""

    def __init__(self, items: list[tuple[Any, Any]] | None = None) -> None:
        self.items = (items or [])[:KEEP_ITEMS]

    def add(self, pairs: list[Any]) -> None:
        room = KEEP_ITEMS - len(self.items)
        for i in range(0, min(len(pairs) - 1, 2 * room), 2):
            self.items.append((pairs[i], pairs[i + 1]))

    def get(self, key: str) -> Any:
        return next((v for k, v in self.items if k == key), OPAQUE)


class Seq:
    """A list or set: the items are not kept."""
