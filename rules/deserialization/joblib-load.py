# Notebook-style tests for joblib-load.
import joblib
import joblib as jb
from sklearn.linear_model import LogisticRegression

# ruleid: joblib-load
model = joblib.load("/kaggle/input/lgbm-baseline/model.joblib")

# ruleid: joblib-load
scaler = jb.load(filename="scaler.pkl", mmap_mode="r")

for fold in range(5):
    # ruleid: joblib-load
    clf = joblib.load(f"models/fold_{fold}.pkl")

with open("pipe.joblib", "rb") as f:
    # ruleid: joblib-load
    pipe = joblib.load(f)

preds = (
    # ruleid: joblib-load
    joblib.load(
        "stack.pkl",
    ).predict_proba([[0.0, 1.0]])
)

# ok: joblib-load
joblib.dump(model, "model.joblib", compress=3)
# ok: joblib-load
memory = joblib.Memory("cachedir", verbose=0)
# ok: joblib-load
results = joblib.Parallel(n_jobs=2)(joblib.delayed(abs)(i) for i in range(4))
# ok: joblib-load
lr = LogisticRegression().fit([[0.0], [1.0]], [0, 1])


def from_import():
    from joblib import load

    # ruleid: joblib-load
    return load("model.joblib")


def from_import_as():
    from joblib import load as jl_load

    # ruleid: joblib-load
    return jl_load("model.joblib")


def old_sklearn():
    from sklearn.externals import joblib as skjoblib

    # ruleid: joblib-load
    return skjoblib.load("old_model.pkl")


def old_sklearn_full_path():
    import sklearn.externals.joblib

    # ruleid: joblib-load
    return sklearn.externals.joblib.load("old_model.pkl")
