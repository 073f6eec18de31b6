"""mlhygiene-deserialization end to end with real Semgrep on the bundled rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene import deserialization
from tests.conftest import locations, notebook_json

PICKLE_MESSAGE = (
    "pickle load/loads/Unpickler runs any code embedded in the bytes it reads, so a tampered .pkl file"
    " (a Kaggle dataset, a downloaded model, a shared checkpoint) runs with your permissions. Keep data"
    " in parquet/CSV/JSON/npy and weights in safetensors or ONNX; only unpickle files you produced yourself."
)

def run(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, list[str]]:
    code = deserialization.main(list(files))
    out = capsys.readouterr().out
    return code, locations(out)


def test_exact_line_for_a_script(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text("import pickle\n\nmodel = pickle.load(open('model.pkl', 'rb'))\n")
    assert deserialization.main(["train.py"]) == 1
    assert capsys.readouterr().out == f"train.py:3:9: pickle-load {PICKLE_MESSAGE}\n"


SCRIPT = """\
import pickle as pkl
import numpy as np
import pandas as pd
import torch
import yaml
from joblib import load
from transformers import AutoModelForCausalLM

with open("/kaggle/input/feats/train.pkl", "rb") as f:
    train = pkl.load(f)
emb = np.load("emb.npy", allow_pickle=True)
df = pd.read_pickle("df.pkl")
clf = load("clf.joblib")
sd = torch.load("best.pt", map_location="cpu")
sd_bad = torch.load("best.pt", weights_only=False)
cfg = yaml.load(open("cfg.yaml"), Loader=yaml.Loader)
lm = AutoModelForCausalLM.from_pretrained("org/model", trust_remote_code=True)

# near misses
pkl.dump(train, open("out.pkl", "wb"))
arr = np.load("arr.npy")
arr2 = np.load("arr.npy", allow_pickle=False)
ok = torch.load("best.pt", weights_only=True)
cfg2 = yaml.safe_load(open("cfg.yaml"))
lm2 = AutoModelForCausalLM.from_pretrained("org/model")
"""


def test_realistic_script(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(SCRIPT)
    assert run(capsys, "train.py") == (
        1,
        [
            "train.py:10:13: pickle-load",
            "train.py:11:7: numpy-load-allow-pickle",
            "train.py:12:6: pandas-read-pickle",
            "train.py:13:7: joblib-load",
            "train.py:14:6: torch-load-without-weights-only",
            "train.py:15:10: torch-load-weights-only-false",
            "train.py:16:7: yaml-unsafe-load",
            "train.py:17:6: trust-remote-code-enabled",
        ],
    )


def test_notebook_aliases_cross_cells_and_magics(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(
            [
                ("markdown", "# Load features"),
                "!pip install -q lightgbm\nimport numpy as np\nimport pickle as pkl",
                "%%time\nX = np.load('/kaggle/input/x.npy', allow_pickle=True)",
                "%matplotlib inline\nfor p in paths:\n    !ls {p}\n    objs.append(pkl.load(open(p, 'rb')))",
                "%time y = pkl.loads(blob)",
                "df.head?",
            ]
        )
    )
    assert run(capsys, "nb.ipynb") == (
        1,
        [
            "nb.ipynb:cell 3:2:5: numpy-load-allow-pickle",
            "nb.ipynb:cell 4:4:17: pickle-load",
            "nb.ipynb:cell 5:1:11: pickle-load",
        ],
    )


def test_suppressed_with_peer_comments(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.py").write_text(
        "import pickle\n"
        "a = pickle.load(f)  # nosec B301\n"
        "b = pickle.load(f)  # noqa: S301\n"
        "# mlhygiene: ignore[pickle-load]\n"
        "c = pickle.load(f)\n"
        "d = pickle.load(f)  # nosemgrep\n"
        "e = pickle.load(f)  # mlhygiene: ignore[torch-load-without-weights-only]\n"
    )
    assert run(capsys, "a.py") == (1, ["a.py:7:5: pickle-load"])


def test_non_python_files_are_ignored(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "notes.md").write_text("pickle.load(f)\n")
    assert run(capsys, "notes.md") == (0, [])
