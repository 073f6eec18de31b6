"""One parse per unit, however many checks read its syntax tree.

The fast path, the typosquat import reader and the http literal tracer each read a unit's tree.
Trees are large (tens of times their text) and a batch holds hundreds of units, so trees are
not kept. Instead a reader declares an :class:`Analysis`: a function of the tree and the text
whose result is small and depends on the text alone. A run's :class:`Trees` knows the analyses
its checks declared; the first time a text is parsed, every one of them (that its cheap text
gate admits) is computed from that one tree, the results are kept by the text's digest and the
tree is dropped. An analysis not computed then is computed when asked for (one more parse): the
gates and the run's set only decide how often a text is parsed, never a result.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from mlhygiene._core import notebook

T = TypeVar("T")


class Analysis(Generic[T]):
    """A named function of (tree, text); ``gate(text)`` false: not worth computing ahead."""

    def __init__(
        self,
        name: str,
        run: Callable[[ast.Module, str], T],
        gate: Callable[[str], bool] = lambda text: True,
    ) -> None:
        self.name = name
        self.run = run
        self.gate = gate


class Trees:
    """The analyses of one run, computed once per text (see the module docstring)."""

    def __init__(self, analyses: Iterable[Analysis[Any]] = ()) -> None:
        self.wanted = {analysis.name: analysis for analysis in analyses}
        self.known: dict[bytes, dict[str, Any] | None] = {}  # None: not Python 3
        self.parses = 0

    def parse(self, text: str) -> ast.Module | None:
        """The tree of ``text`` (None when it is not Python 3); the wanted analyses are kept."""
        return self._parse(text, notebook.digest(text))

    def fact(self, text: str, analysis: Analysis[T]) -> T | None:
        """``analysis`` of ``text``, or None when the text is not Python 3."""
        key = notebook.digest(text)
        known = self.known.get(key, {})
        if known is not None and analysis.name not in known:
            tree = self._parse(text, key)
            known = self.known[key]
            if tree is not None and known is not None and analysis.name not in known:
                known[analysis.name] = analysis.run(tree, text)
        if known is None:
            return None
        result: T = known[analysis.name]
        return result

    def _parse(self, text: str, key: bytes) -> ast.Module | None:
        tree = notebook.parse(text)[0]
        self.parses += 1
        if tree is None:
            self.known[key] = None
            return None
        known = self.known.setdefault(key, {})
        if known is not None:
            for name, analysis in self.wanted.items():
                if name not in known and analysis.gate(text):
                    known[name] = analysis.run(tree, text)
        return tree
