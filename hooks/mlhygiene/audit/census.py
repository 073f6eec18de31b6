"""The import census: the top-level modules each script or notebook imports.

Read with the typosquat check's import reader (``ast``, or line by line for Python 2), so the
census and the typosquat check agree on what an import is. Nothing scanned is imported.
"""

from __future__ import annotations

from mlhygiene._core.records import Source
from mlhygiene._typosquat.imports import imports_in_tree, imports_tolerant, parse_python

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


def modules(source: Source) -> set[str]:
    """Top-level modules a script or notebook imports (empty for other kinds)."""
    if source.kind not in ("script", "notebook"):
        return set()
    found: set[str] = set()
    for unit in source.units:
        tree = parse_python(unit.text)
        names = imports_in_tree(tree, unit.text)[0] if tree is not None else imports_tolerant(unit.text)
        found.update(name for name, _, _ in names)
        if "google" in found and "google.protobuf" in unit.text:
            found.add("protobuf")
    return {ALIASES.get(name, name) for name in found}
