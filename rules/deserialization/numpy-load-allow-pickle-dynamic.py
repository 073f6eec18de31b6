# Tests for numpy-load-allow-pickle-dynamic.
import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--allow-pickle", action="store_true")
args = parser.parse_args([])

# ruleid: numpy-load-allow-pickle-dynamic
feats = np.load("feats.npy", allow_pickle=args.allow_pickle)

ALLOW = True
# ruleid: numpy-load-allow-pickle-dynamic
labels = np.load("/kaggle/input/x/labels.npy", allow_pickle=ALLOW)

cfg = {"allow_pickle": False}
# ruleid: numpy-load-allow-pickle-dynamic
meta = np.load("meta.npy", allow_pickle=cfg["allow_pickle"])


def load_array(path, allow_pickle=False):
    # ruleid: numpy-load-allow-pickle-dynamic
    return np.load(path, mmap_mode="r", allow_pickle=allow_pickle)


def positional(path, flag):
    # ruleid: numpy-load-allow-pickle-dynamic
    return np.load(path, None, flag)


def from_import(path, flag):
    from numpy import load as npload

    # ruleid: numpy-load-allow-pickle-dynamic
    return npload(path, allow_pickle=bool(flag))


# Literals are the other rule's business, or fine.
# ok: numpy-load-allow-pickle-dynamic
a = np.load("a.npy", allow_pickle=True)
# ok: numpy-load-allow-pickle-dynamic
b = np.load("b.npy", allow_pickle=False)
# ok: numpy-load-allow-pickle-dynamic
c = np.load("c.npy", allow_pickle=None)
# ok: numpy-load-allow-pickle-dynamic
d = np.load("d.npy", allow_pickle="yes")
# ok: numpy-load-allow-pickle-dynamic
e = np.load("e.npy")
# ok: numpy-load-allow-pickle-dynamic
f = np.load("f.npy", mmap_mode=args.allow_pickle and "r")
# ok: numpy-load-allow-pickle-dynamic
np.save("g.npy", a, allow_pickle=ALLOW)


def other_keywords(path, mode, enc):
    # ok: numpy-load-allow-pickle-dynamic
    x = np.load(path, mmap_mode=mode, encoding=enc)
    # ok: numpy-load-allow-pickle-dynamic
    y = np.load(path, mode, encoding=enc)
    # ok: numpy-load-allow-pickle-dynamic
    z = np.load(path, mode, fix_imports=enc)
    return x, y, z
