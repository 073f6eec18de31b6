# Notebook-style tests for torch-load-without-weights-only.
import functools

import torch
import torch.nn as nn

model = nn.Linear(4, 2)
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"

# The line every PyTorch Kaggle notebook has.
# ruleid: torch-load-without-weights-only
model.load_state_dict(torch.load("/kaggle/input/resnet-weights/best.pth"))

# ruleid: torch-load-without-weights-only
state = torch.load("best.pth", map_location=DEVICE)

# ruleid: torch-load-without-weights-only
state2 = torch.load("best.pth", map_location=lambda storage, loc: storage)["state_dict"]

for fold in range(5):
    # ruleid: torch-load-without-weights-only
    ckpt = torch.load(f"fold{fold}.pt")
    model.load_state_dict(ckpt["model"])

with open("opt.pt", "rb") as f:
    # ruleid: torch-load-without-weights-only
    opt_state = torch.load(f)

# ruleid: torch-load-without-weights-only
ckpt2 = torch.load(
    "epoch_10.ckpt",
    map_location="cpu",
)



def configurable(path, cfg):
    # A value only known at run time cannot be checked.
    # ruleid: torch-load-without-weights-only
    return torch.load(path, weights_only=cfg.safe_load)


# Semgrep's constant propagation sees through a module-level constant.
USE_SAFE = True
# ok: torch-load-without-weights-only
ckpt3 = torch.load("x.pt", weights_only=USE_SAFE)

# ok: torch-load-without-weights-only
good = torch.load("best.pth", map_location=DEVICE, weights_only=True)
# ok: torch-load-without-weights-only
good2 = torch.load(
    "best.pth",
    weights_only=True,
    map_location="cpu",
)
# ok: torch-load-without-weights-only
torch.save(model.state_dict(), "best.pth")
# ok: torch-load-without-weights-only
traced = torch.jit.load("traced.pt")

# weights_only=False is the ERROR rule's finding, not a second one here.
# ok: torch-load-without-weights-only
bad = torch.load("best.pth", weights_only=False)

load_kwargs = {"map_location": "cpu", "weights_only": True}
# ok: torch-load-without-weights-only
kw = torch.load("best.pth", **load_kwargs)


def aliased(path):
    import torch as th

    # ruleid: torch-load-without-weights-only
    return th.load(path, map_location="cpu")


def from_import(path):
    from torch import load

    # ruleid: torch-load-without-weights-only
    sd = load(path)
    # ok: torch-load-without-weights-only
    sd2 = load(path, weights_only=True)
    return sd, sd2


def from_import_as(path):
    from torch import load as tload

    # ruleid: torch-load-without-weights-only
    return tload(path)


def serialization_module(path):
    # ruleid: torch-load-without-weights-only
    return torch.serialization.load(path)


def unrelated(path):
    import json
    import pickle

    # ok: torch-load-without-weights-only
    a = json.load(open(path))
    # ok: torch-load-without-weights-only
    b = model.load_state_dict(a)
    return a, b, pickle


def explicit_default(path):
    # None means "use this torch version's default", which is False before 2.6.
    # ruleid: torch-load-without-weights-only
    return torch.load(path, weights_only=None)

# --- weights_only not visible, aliases, partials --------------------------------------------
# ruleid: torch-load-without-weights-only
ckpt = torch.load(ckpt_path, **loader_options)
# ok: torch-load-without-weights-only
ckpt = torch.load(ckpt_path, weights_only=True, **loader_options)
load_ckpt = torch.load
# ruleid: torch-load-without-weights-only
state = load_ckpt("last.pt")
# ok: torch-load-without-weights-only
state = load_ckpt("last.pt", weights_only=True)
# ruleid: torch-load-without-weights-only
restore = functools.partial(torch.load, map_location="cpu")
# ok: torch-load-without-weights-only
restore = functools.partial(torch.load, map_location="cpu", weights_only=True)
