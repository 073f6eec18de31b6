# Notebook-style tests for numpy-load-allow-pickle.
import numpy as np

# ruleid: numpy-load-allow-pickle
labels = np.load("/kaggle/input/bird-clef/labels.npy", allow_pickle=True)

# The classic "saved a dict with np.save" notebook idiom.
# ruleid: numpy-load-allow-pickle
mapping = np.load("label_map.npy", allow_pickle=True).item()

# ruleid: numpy-load-allow-pickle
data = np.load("arrays.npz", allow_pickle=1)

# ruleid: numpy-load-allow-pickle
meta = np.load("meta.npy", allow_pickle="yes")

# A non-empty string is truthy, even this one.
# ruleid: numpy-load-allow-pickle
tricky = np.load("meta.npy", allow_pickle="False")

# ruleid: numpy-load-allow-pickle
positional = np.load("meta.npy", None, True)

with open("feats.npy", "rb") as f:
    # ruleid: numpy-load-allow-pickle
    feats = np.load(
        f,
        mmap_mode=None,
        allow_pickle=True,
        encoding="latin1",
    )

# ok: numpy-load-allow-pickle
arr = np.load("embeddings.npy")
# ok: numpy-load-allow-pickle
arr2 = np.load("embeddings.npy", allow_pickle=False)
# ok: numpy-load-allow-pickle
arr3 = np.load("embeddings.npy", allow_pickle=0)
# ok: numpy-load-allow-pickle
arr4 = np.load("embeddings.npy", allow_pickle=None)
# ok: numpy-load-allow-pickle
arr5 = np.load("embeddings.npy", allow_pickle="")
# ok: numpy-load-allow-pickle
arr6 = np.load("embeddings.npy", mmap_mode="r")
# ok: numpy-load-allow-pickle
arr7 = np.load("embeddings.npy", "r", False)
# ok: numpy-load-allow-pickle
np.save("labels.npy", labels, allow_pickle=True)
# ok: numpy-load-allow-pickle
np.savez_compressed("arrays.npz", a=arr, b=arr2)
# ok: numpy-load-allow-pickle
txt = np.loadtxt("data.csv", delimiter=",")


def from_import():
    from numpy import load

    # ruleid: numpy-load-allow-pickle
    return load("x.npy", allow_pickle=True)


def plain_numpy():
    import numpy

    # ruleid: numpy-load-allow-pickle
    return numpy.load("x.npz", allow_pickle=True)["arr_0"]


def npyio_path():
    import numpy as np

    # ruleid: numpy-load-allow-pickle
    return np.lib.npyio.load("x.npy", allow_pickle=True)


def format_read_array():
    from numpy.lib import format as npformat

    with open("x.npy", "rb") as fp:
        # ruleid: numpy-load-allow-pickle
        a = npformat.read_array(fp, allow_pickle=True)
    with open("x.npy", "rb") as fp:
        # ruleid: numpy-load-allow-pickle
        b = np.lib.format.read_array(fp, True)
    with open("x.npy", "rb") as fp:
        # ok: numpy-load-allow-pickle
        c = np.lib.format.read_array(fp)
    return a, b, c


def dynamic(path, allow):
    # Left to numpy-load-allow-pickle-dynamic.
    # ok: numpy-load-allow-pickle
    return np.load(path, allow_pickle=allow)
