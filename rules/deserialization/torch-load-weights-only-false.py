# Notebook-style tests for torch-load-weights-only-false.
import torch
import torch as th

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"

# ruleid: torch-load-weights-only-false
ckpt = torch.load("/kaggle/input/effnet-b0/fold0.pth", weights_only=False)

# ruleid: torch-load-weights-only-false
state = th.load("best.ckpt", map_location=DEVICE, weights_only=False)

# ruleid: torch-load-weights-only-false
full_model = torch.load(
    "model_full.pt",
    map_location=torch.device("cpu"),
    weights_only=False,
)

# ok: torch-load-weights-only-false
safe = torch.load("fold0.pth", map_location="cpu", weights_only=True)
# ok: torch-load-weights-only-false
torch.save(state, "best.ckpt")
# ok: torch-load-weights-only-false
jit = torch.jit.load("traced.pt")


def from_import(path):
    from torch import load

    # ruleid: torch-load-weights-only-false
    return load(path, weights_only=False)


def serialization_module(path):
    # ruleid: torch-load-weights-only-false
    return torch.serialization.load(path, weights_only=False)


def no_argument(path):
    # Left to torch-load-without-weights-only.
    # ok: torch-load-weights-only-false
    return torch.load(path)
