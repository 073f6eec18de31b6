"""Real, benign artifacts built at run time with the real libraries (never downloaded).

``build(folder)`` writes one file per artifact and returns their paths: plain pickles of
builtins and stdlib types in protocols 0-5, numpy ``.npy``/``.npz``, pandas ``to_pickle``,
scikit-learn estimators (``pickle`` and ``joblib`` with compression), LightGBM and XGBoost
models. A library that is not installed is skipped. ``scripts/build_pickle_allowlist.py``
records the globals these (and every scikit-learn estimator) contain; the tests assert that
the hook passes every one of them quietly.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import decimal
import fractions
import functools
import importlib.util
import io
import pathlib
import pickle
import types
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Writer = Callable[[Path], None]


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _pickled(obj: Any, protocol: int = pickle.DEFAULT_PROTOCOL) -> Writer:
    def write(path: Path) -> None:
        path.write_bytes(pickle.dumps(obj, protocol=protocol))

    return write


def stdlib_objects() -> dict[str, Any]:
    tz = datetime.timezone(datetime.timedelta(hours=2), "CEST")
    return {
        "builtins": {
            "int": 1, "big": 1 << 100, "float": 2.5, "complex": 1 + 2j, "str": "x", "bytes": b"y",
            "bytearray": bytearray(b"z"), "none": None, "bool": True, "tuple": (1, (2,)),
            "list": [1, [2]], "set": {1, 2}, "frozenset": frozenset({3}), "range": range(3),
            "slice": slice(1, 5, 2), "ellipsis": ..., "notimpl": NotImplemented,
        },
        "collections": {
            "od": collections.OrderedDict(a=1), "dd": collections.defaultdict(list, a=[1]),
            "counter": collections.Counter("abca"), "deque": collections.deque([1, 2], maxlen=5),
            "chain": collections.ChainMap({"a": 1}),
        },
        "datetime": {
            "dt": datetime.datetime(2024, 5, 1, 12, 30), "dt_tz": datetime.datetime(2024, 5, 1, tzinfo=tz),
            "utc": datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc), "date": datetime.date(2024, 1, 2),
            "time": datetime.time(3, 4), "td": datetime.timedelta(days=1, seconds=3),
        },
        "numbers": {"dec": decimal.Decimal("1.10"), "frac": fractions.Fraction(3, 4)},
        "uuid": {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
        "misc": {
            "path": pathlib.Path("runs/a"), "pure": pathlib.PurePosixPath("x/y"),
            "args": argparse.Namespace(lr=0.1, epochs=3), "ns": types.SimpleNamespace(a=1),
        },
    }


def _numpy() -> Iterator[tuple[str, Writer]]:
    import numpy as np

    arrays: dict[str, Any] = {
        "f8": np.arange(12.0).reshape(3, 4), "i4": np.arange(5, dtype="i4"), "bool": np.array([True, False]),
        "u": np.array(["ab", "c"]), "S": np.array([b"ab"]), "c16": np.array([1 + 1j]),
        "dt64": np.array(["2024-01-01"], dtype="datetime64[ns]"), "td64": np.array([1], dtype="timedelta64[s]"),
        "rec": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]), "f2": np.ones(3, dtype="f2"),
        "fortran": np.asfortranarray(np.eye(3)), "scalar": np.float32(1.5), "i64": np.int64(7),
        "masked": np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]),
        "objects": np.array([{"k": 1}, "x", None, 2.5], dtype=object),
    }

    def npy(value: Any) -> Writer:
        def write(path: Path) -> None:
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=True)
            path.write_bytes(buffer.getvalue())

        return write

    def npz(path: Path) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, a=np.arange(3), o=arrays["objects"])
        path.write_bytes(buffer.getvalue())

    yield "numpy-object.npy", npy(arrays["objects"])
    yield "numpy-float.npy", npy(arrays["f8"])
    yield "numpy.npz", npz
    for protocol in (2, 4, 5):
        yield f"numpy-p{protocol}.pkl", _pickled(arrays, protocol)
    yield "numpy-random.pkl", _pickled(
        {"rs": np.random.RandomState(0), "gen": np.random.default_rng(0), "pcg": np.random.PCG64(1),
         "mt": np.random.Generator(np.random.MT19937(2))}
    )
    yield "numpy-dtypes.pkl", _pickled([np.dtype(t) for t in ("f4", "i8", "U3", "M8[ns]", "O", "V4")])


def _pandas() -> Iterator[tuple[str, Writer]]:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {
            "i": [1, 2, 3], "f": [1.0, np.nan, 3.0], "s": ["a", "b", "c"], "b": [True, False, True],
            "cat": pd.Categorical(["x", "y", "x"]), "ts": pd.date_range("2024-01-01", periods=3, tz="Europe/Paris"),
            "naive": pd.date_range("2024-01-01", periods=3), "td": pd.to_timedelta([1, 2, 3], unit="s"),
            "nullable": pd.array([1, None, 3], dtype="Int64"), "str": pd.array(["a", None, "c"], dtype="string"),
            "period": pd.period_range("2024-01", periods=3, freq="M"),
            "interval": pd.interval_range(0, 3), "bool_na": pd.array([True, None, False], dtype="boolean"),
        },
        index=pd.Index([10, 20, 30], name="id"),
    )
    multi = frame.set_index(["s", "b"])
    series = pd.Series([1.5, 2.5], index=pd.date_range("2024-01-01", periods=2, freq="D"), name="v")

    def to_pickle(obj: Any, compression: str | None) -> Writer:
        def write(path: Path) -> None:
            obj.to_pickle(path, compression=compression)

        return write

    yield "pandas-frame.pkl", to_pickle(frame, None)
    yield "pandas-multi.pkl.gz", to_pickle(multi, "gzip")
    yield "pandas-series.pkl.xz", to_pickle(series, "xz")
    yield "pandas-frame.pkl.bz2", to_pickle(frame, "bz2")
    yield "pandas-sparse.pkl", to_pickle(pd.DataFrame({"a": pd.arrays.SparseArray([0, 0, 1])}), None)


def sklearn_models() -> dict[str, Any]:
    """Representative fitted scikit-learn objects: pipelines, forests, linear models, transformers."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeRegressor

    x, y = make_classification(n_samples=60, n_features=6, random_state=0)
    cat = np.array([["a", "b"], ["b", "c"], ["a", "c"]] * 20)
    mixed = ColumnTransformer([("num", StandardScaler(), [0, 1]), ("cat", OneHotEncoder(), [2])])
    rows = np.array([[1.0, 2.0, "a"], [3.0, 1.0, "b"], [0.5, 0.2, "a"]] * 20, dtype=object)
    models: dict[str, Any] = {
        "pipeline": Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler()), ("pca", PCA(3)),
                              ("clf", LogisticRegression(max_iter=200))]).fit(x, y),
        "forest": RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y),
        "gbm": GradientBoostingClassifier(n_estimators=5).fit(x, y),
        "hgb": HistGradientBoostingRegressor(max_iter=5).fit(x, y),
        "linear": LinearRegression().fit(x, y), "ridge": Ridge().fit(x, y),
        "svc": SVC().fit(x, y), "knn": KNeighborsClassifier().fit(x, y),
        "tree": DecisionTreeRegressor(max_depth=3).fit(x, y),
        "onehot": OneHotEncoder().fit(cat), "labels": LabelEncoder().fit(["a", "b", "a"]),
        "tfidf": make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
            ["a good day", "a bad day", "good", "bad"] * 3, [1, 0, 1, 0] * 3),
        "columns": make_pipeline(mixed, LogisticRegression()).fit(rows, y),
    }
    return models


_fitted = functools.cache(sklearn_models)  # fitted once, when the first file is written


def _lazy(key: str | None, protocol: int) -> Writer:
    def write(path: Path) -> None:
        models = _fitted()
        path.write_bytes(pickle.dumps(models if key is None else models[key], protocol=protocol))

    return write


def _sklearn() -> Iterator[tuple[str, Writer]]:
    yield "sklearn-models.pkl", _lazy(None, 4)
    yield "sklearn-forest-p2.pkl", _lazy("forest", 2)
    yield "sklearn-pipeline-p5.pickle", _lazy("pipeline", 5)
    if _has("joblib"):
        for compress in (0, 3, "bz2", "xz"):
            def dump(path: Path, compress: Any = compress) -> None:
                import joblib

                joblib.dump(_fitted(), path, compress=compress)

            yield f"sklearn-{compress}.joblib", dump


def _data() -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.normal(size=(80, 4)), rng.integers(0, 2, 80)


@functools.cache
def _lightgbm() -> Any:
    import lightgbm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(*_data())


def _write_lightgbm(path: Path) -> None:
    clf = _lightgbm()
    path.write_bytes(pickle.dumps({"clf": clf, "booster": clf.booster_}))


def _dump_lightgbm(path: Path) -> None:
    import joblib

    joblib.dump(_lightgbm(), path, compress=3)


def _write_xgboost(path: Path) -> None:
    import xgboost

    model = xgboost.XGBClassifier(n_estimators=3).fit(*_data())
    path.write_bytes(pickle.dumps({"clf": model, "booster": model.get_booster()}))


def _boosters() -> Iterator[tuple[str, Writer]]:
    if _has("lightgbm"):
        yield "lightgbm.pkl", _write_lightgbm
        if _has("joblib"):
            yield "lightgbm.joblib", _dump_lightgbm
    if _has("xgboost"):
        yield "xgboost.pkl", _write_xgboost


def writers() -> Iterator[tuple[str, Writer]]:
    for protocol in range(6):
        yield f"stdlib-p{protocol}.pkl", _pickled(stdlib_objects(), protocol)
    yield "stdlib.ckpt", _pickled(stdlib_objects(), 4)  # content, not names
    if _has("numpy"):
        yield from _numpy()
    if _has("pandas"):
        yield from _pandas()
    if _has("sklearn"):
        yield from _sklearn()
    if _has("numpy"):
        yield from _boosters()


def build(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, write in writers():
        path = folder / name
        write(path)
        paths.append(path)
    return paths
