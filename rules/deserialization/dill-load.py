# Notebook-style tests for dill-load.
import pickle

import dill
import dill as dl

# ruleid: dill-load
fn = dill.load(open("preprocess_fn.pkl", "rb"))

with open("/kaggle/input/udfs/transform.dill", "rb") as f:
    # ruleid: dill-load
    transform = dl.load(f)

# ruleid: dill-load
lam = dill.loads(open("lam.bin", "rb").read())

# ruleid: dill-load
obj = dill.Unpickler(open("obj.pkl", "rb")).load()

# Restoring a whole notebook session is the classic notebook use.
# ruleid: dill-load
dill.load_session("notebook_env.db")

# ruleid: dill-load
dill.load_module(
    filename="session.pkl",
)

# ok: dill-load
dill.dump_session("notebook_env.db")
# ok: dill-load
dill.dump(fn, open("preprocess_fn.pkl", "wb"))
# ok: dill-load
blob = dill.dumps(transform)
# ok: dill-load
clone = dill.loads(dill.dumps(transform))
# ok: dill-load
ok = dill.pickles(transform)


def from_import():
    from dill import load as dload
    from dill import loads

    # ruleid: dill-load
    a = dload(open("a.pkl", "rb"))
    # ruleid: dill-load
    b = loads(blob)
    return a, b


def plain_pickle():
    # ok: dill-load
    return pickle.load(open("a.pkl", "rb"))
