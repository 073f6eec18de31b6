"""The import census: the top-level modules each script or notebook imports.

Read with the typosquat check's import readers. Nothing scanned is imported.
"""

from __future__ import annotations

from mlhygiene._core.records import Source
from mlhygiene._core.trees import Trees
from mlhygiene._typosquat.imports import IMPORTS, imports_tolerant

# The study's groups: what the census reports module by module.
GROUPS: dict[str, tuple[str, ...]] = {
    "serialization (unsafe)": ("pickle", "joblib", "dill", "cloudpickle", "shelve"),
    "serialization (safe formats)": ("safetensors", "onnx", "protobuf", "h5py"),
    "adversarial robustness": ("art", "counterfit", "textattack", "cleverhans", "foolbox", "advertorch"),
    "explainability": ("alibi", "fairlearn", "shap", "lime", "captum", "interpret"),
    "privacy": ("opacus", "pydp", "tensorflow_privacy", "syft", "flwr"),
}
# A module counted under another name (``google.protobuf``, imported as ``google``, is protobuf).
ALIASES = {"cPickle": "pickle", "_pickle": "pickle"}
_CALLS = ("__import__", "import_module")


def modules(source: Source, trees: Trees | None = None) -> set[str]:
    """Top-level modules a script or notebook imports (empty for other kinds).

    Line by line (the reader the typosquat check uses for Python 2; as good as ``ast`` on the
    benchmark corpus and 40x faster); ``ast`` only where a module is imported by a call
    (``__import__("x")``, ``importlib.import_module("x")``), which lines do not show: the
    typosquat check's imports from the run's ``trees``, so a unit it read is not parsed again.
    """
    if source.kind not in ("script", "notebook"):
        return set()
    found: set[str] = set()
    trees = trees or Trees()
    for unit in source.units:
        imports = trees.fact(unit.text, IMPORTS) if any(call in unit.text for call in _CALLS) else None
        names = imports[0] if imports is not None else imports_tolerant(unit.text)
        found.update(name for name, _, _ in names)
        if "google" in found and "google.protobuf" in unit.text:
            found.add("protobuf")
    return {ALIASES.get(name, name) for name in found}
