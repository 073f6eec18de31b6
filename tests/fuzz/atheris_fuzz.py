"""Coverage-guided fuzzing with atheris (manual; not collected by pytest).

    pip install atheris
    python tests/fuzz/atheris_fuzz.py notebook -max_total_time=120
    python tests/fuzz/atheris_fuzz.py pickle -max_total_time=120
    python tests/fuzz/atheris_fuzz.py requirements -max_total_time=120

Any exception other than the loaders' documented errors is a crash and stops the run.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris  # type: ignore[import-not-found]

with atheris.instrument_imports():
    from tests.fuzz import targets

NAMES = ("f.pkl", "f.pt", "f.npy", "f.npz", "f.joblib.gz", "model")


def notebook(data: bytes) -> None:
    targets.notebook_target(data)


def pickle_stream(data: bytes) -> None:
    if data:
        targets.pickle_target(data[1:], NAMES[data[0] % len(NAMES)])


def requirements(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    targets.requirements_target(text, "pyproject.toml" if data[:1] == b"[" else "requirements.txt")


TARGETS = {"notebook": notebook, "pickle": pickle_stream, "requirements": requirements}

if __name__ == "__main__":
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
