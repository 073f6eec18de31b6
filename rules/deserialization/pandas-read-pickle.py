# Notebook-style tests for pandas-read-pickle.
import pandas as pd

# ruleid: pandas-read-pickle
train = pd.read_pickle("/kaggle/input/riiid-pickle/train.pkl")

# ruleid: pandas-read-pickle
test = pd.read_pickle("test.pkl.gz", compression="gzip")

# ruleid: pandas-read-pickle
feats = pd.read_pickle(
    "s3://bucket/features.pkl",
    compression={"method": "zstd"},
    storage_options={"anon": True},
)

frames = [
    # ruleid: pandas-read-pickle
    pd.read_pickle(f"chunks/part_{i}.pkl")
    for i in range(3)
]

# ruleid: pandas-read-pickle
df = pd.concat([pd.read_pickle(p) for p in ["a.pkl", "b.pkl"]])

# ok: pandas-read-pickle
train.to_pickle("train.pkl")
# ok: pandas-read-pickle
pq = pd.read_parquet("train.parquet")
# ok: pandas-read-pickle
csv = pd.read_csv("/kaggle/input/titanic/train.csv")
# ok: pandas-read-pickle
ft = pd.read_feather("train.feather")


def from_import():
    from pandas import read_pickle

    # ruleid: pandas-read-pickle
    return read_pickle("cache.pkl")


def from_import_as():
    from pandas import read_pickle as rp

    # ruleid: pandas-read-pickle
    return rp("cache.pkl")


def plain_module():
    import pandas

    # ruleid: pandas-read-pickle
    return pandas.read_pickle("cache.pkl")
