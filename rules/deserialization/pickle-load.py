# Notebook-style tests for pickle-load.
import base64
import io
import os
import pickle
import pickle as pkl

import numpy as np
import pandas as pd
import torch

DATA_DIR = "/kaggle/input/feature-cache"

# ruleid: pickle-load
model = pickle.load(open("model.pkl", "rb"))

with open(os.path.join(DATA_DIR, "features.pkl"), "rb") as f:
    # ruleid: pickle-load
    features = pkl.load(f)

with open(f"{DATA_DIR}/folds_{0}.pickle", "rb") as fh:
    # ruleid: pickle-load
    folds = pickle.load(file=fh)

blob = base64.b64decode(os.environ.get("PAYLOAD", ""))
# ruleid: pickle-load
obj = pickle.loads(blob)

# ruleid: pickle-load
vocab = pickle.loads(
    open("vocab.pkl", "rb").read(),
    encoding="latin1",
)

# Unpickler: flag the constructor once, not a second time for .load().
# ruleid: pickle-load
state = pickle.Unpickler(open("state.pkl", "rb")).load()

# ruleid: pickle-load
unpickler = pkl.Unpickler(io.BytesIO(blob), fix_imports=True)
restored = unpickler.load()

clf = pd.Series(
    # ruleid: pickle-load
    pickle.load(open("/kaggle/input/lgbm/clf.pkl", "rb"))
)


def load_cache(path):
    with open(path, "rb") as fp:
        # ruleid: pickle-load
        return pickle.load(fp)


# Writing is not a finding.
with open("model.pkl", "wb") as f:
    # ok: pickle-load
    pickle.dump(model, f)
# ok: pickle-load
payload = pickle.dumps(features, protocol=pickle.HIGHEST_PROTOCOL)
# ok: pickle-load
np.save("emb.npy", np.zeros(3))
# ok: pickle-load
torch.save(model, "model.pt")

# Deep-copy round trip: the bytes never left this process.
# ok: pickle-load
copied = pickle.loads(pickle.dumps(features))


# A restricted Unpickler subclass (the Python docs' recipe) is not flagged.
class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "builtins" and name in {"list", "dict", "set"}:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is forbidden")


# ok: pickle-load
safe = RestrictedUnpickler(io.BytesIO(blob)).load()


def py2_compat():
    try:
        import cPickle as cp
    except ImportError:
        import pickle as cp
    # ruleid: pickle-load
    return cp.load(open("legacy.pkl", "rb"))


def private_module():
    import _pickle

    # ruleid: pickle-load
    return _pickle.loads(blob)


def aliased_functions():
    from pickle import load
    from pickle import loads as pl_loads

    # ruleid: pickle-load
    a = load(open("a.pkl", "rb"))
    # ruleid: pickle-load
    b = pl_loads(blob)
    return a, b


def six_moves():
    from six.moves import cPickle

    # ruleid: pickle-load
    return cPickle.load(open("b.pkl", "rb"))


def backport():
    import pickle5 as pickle

    # ruleid: pickle-load
    return pickle.load(open("c.pkl", "rb"))


def unrelated_load(cfg):
    import json

    # ok: pickle-load
    return json.load(open(cfg))


# The StackOverflow "load a GPU pickle on CPU" recipe: find_class lets everything through.
class CPU_Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "torch.storage" and name == "_load_from_bytes":
            return lambda b: torch.load(io.BytesIO(b), map_location="cpu")
        return super().find_class(module, name)


with open("/kaggle/input/gpu-model/model.pkl", "rb") as f:
    # ruleid: pickle-load
    gpu_model = CPU_Unpickler(f).load()


class AllowListUnpickler(pkl.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in {("collections", "OrderedDict")}:
            raise pkl.UnpicklingError(f"{module}.{name} is not allowed")
        return super().find_class(module, name)


# ok: pickle-load
allowed = AllowListUnpickler(io.BytesIO(blob)).load()


# Known gaps (see docs/rules/pickle-load.md).
snapshot = pickle.dumps(features)
# A round trip through a variable is still reported.
# todook: pickle-load
restored_snapshot = pickle.loads(snapshot)

SAFE_GLOBALS = {("collections", "OrderedDict"): None}


class LookupUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        # Restricts through a KeyError instead of an explicit raise.
        return SAFE_GLOBALS[(module, name)]


# todook: pickle-load
looked_up = LookupUnpickler(io.BytesIO(blob)).load()

# --- a plain alias of a load ---------------------------------------------------------------
fast_loads = pickle.loads
# ruleid: pickle-load
features = fast_loads(redis_client.get("features:train"))
# ok: pickle-load
fast_dumps = pickle.dumps
# ok: pickle-load
blob = fast_dumps(features)
