"""Record the globals real ML artifacts contain: hooks/mlhygiene/data/pickle_safe_globals.txt.

The allow-list of mlhygiene-pickle-files is not guessed: this script builds real artifacts
with the installed libraries (tests/benign_artifacts.py, plus every scikit-learn estimator
fitted on a small data set) and writes down every global their pickle streams import, as
the opcode walk sees them. Nothing here is loaded back. Names the policy calls dangerous are
never written (they are printed instead, for review).

    python scripts/build_pickle_allowlist.py            # rewrite the data file
    python scripts/build_pickle_allowlist.py --check    # exit 1 if a recorded global is missing

Run it under several library versions (a venv with older numpy/pandas/scikit-learn, with
PYTHONPATH=hooks): entries are added, never removed, so the file covers every version it was
run with; the header says which.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import pickle
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlhygiene._pickle.formats import scan_file  # noqa: E402
from mlhygiene._pickle.policy import DANGEROUS, judge, py3_name  # noqa: E402
from tests import benign_artifacts  # noqa: E402

OUT = REPO / "hooks" / "mlhygiene" / "data" / "pickle_safe_globals.txt"
LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "joblib", "lightgbm", "xgboost")


def every_sklearn_estimator() -> Iterator[tuple[str, Any]]:
    """Every estimator scikit-learn lists, fitted where it can be on a small data set."""
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.utils import all_estimators

    try:
        from sklearn.utils._test_common.instance_generator import _construct_instances
    except ImportError:  # scikit-learn < 1.6
        from sklearn.utils.estimator_checks import _construct_instance

        def _construct_instances(cls: Any) -> Iterator[Any]:
            yield _construct_instance(cls)

    x, y = make_classification(n_samples=60, n_features=6, n_informative=3, random_state=0)
    x_pos = np.abs(x)
    for name, cls in all_estimators():
        try:
            instances = list(_construct_instances(cls))
        except Exception:  # noqa: S112 - an estimator the helper cannot build
            continue
        for estimator in instances:
            for data in ((x, y), (x_pos, y), (x,)):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        estimator.fit(*data)
                    break
                except Exception:  # noqa: S112 - try the next data shape
                    continue
            yield name, estimator


def record(paths: list[Path]) -> tuple[set[str], set[str]]:
    safe: set[str] = set()
    dangerous: set[str] = set()
    for path in paths:
        report = scan_file(str(path), assume_pickle=True)
        if report.problems:
            print(f"{path.name}: {report.problems}", file=sys.stderr)
        for hit in report.hits:
            if hit.ref.note:
                continue
            module, name = py3_name(hit.ref.module, hit.ref.name)
            target = dangerous if judge(module, name).level == DANGEROUS else safe
            target.add(f"{module}.{name}")
    return safe, dangerous


def versions() -> str:
    found = []
    for lib in LIBRARIES:
        try:
            found.append(f"{lib} {importlib.metadata.version(lib)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the data file covers the artifacts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = benign_artifacts.build(folder / "benign")
        if not args.check:
            for i, (name, estimator) in enumerate(every_sklearn_estimator()):
                path = folder / f"sk-{i}-{name}.pkl"
                path.write_bytes(pickle.dumps(estimator, protocol=4))
                paths.append(path)
        safe, dangerous = record(paths)
    for path in sorted(dangerous):
        print(f"dangerous, not recorded: {path}", file=sys.stderr)
    text = OUT.read_text() if OUT.exists() else ""
    current = {line for line in text.splitlines() if line and not line.startswith("#")}
    if args.check:
        missing = sorted(safe - current)
        for path in missing:
            print(f"missing from {OUT.name}: {path}", file=sys.stderr)
        return 1 if missing else 0
    runs = [line for line in text.splitlines() if line.startswith("# from: ")]
    run = f"# from: Python {sys.version.split()[0]}, {versions()}."
    header = (
        "# Globals that real artifacts contain, recorded by scripts/build_pickle_allowlist.py\n"
        + "".join(f"{line}\n" for line in dict.fromkeys([*runs, run]))
        + "# One dotted path a line; exact matches only (a method of a listed class is not listed).\n"
    )
    OUT.write_text(header + "".join(f"{path}\n" for path in sorted(safe | current)))
    print(f"{len(safe)} globals recorded ({len(safe - current)} new) in {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
