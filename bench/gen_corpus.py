"""Generate a deterministic, realistic corpus of ML code for the benchmark.

    python bench/gen_corpus.py OUT_DIR --size commit|repo|dense [--files N] [--seed S]

``--size commit``: 5 scripts + 5 notebooks, what one commit touches.
``--size repo``: about ``--files`` files (default 3000) in project folders: about half
notebooks, the rest scripts, ``requirements.txt`` files, a few ``pyproject.toml`` and a few
small (benign) pickled artifacts.

Notebooks look like public Kaggle kernels: markdown, ``%matplotlib inline``, ``!pip install``,
``%%time``, pandas/numpy/sklearn/torch/transformers code, outputs with base64 PNG plots
(20-200 KB each), long training logs, DataFrame HTML reprs and Kaggle ``_uuid`` /
``_cell_guid`` cell metadata; they average about 80 KB, mostly outputs. Scripts are
100-600 lines. Unsafe patterns (pickle.load, torch.load, np.load(allow_pickle=True),
pd.read_csv("http://..."), ``!wget http://``), misspelt imports and fake credentials
appear at low rates. Fake credentials are assembled from fragments at generation time, so
no secret-shaped literal is stored in this file; none of them is a real secret.

Every file depends only on the seed and its project number (each project has its own
``random.Random``), so the same arguments always produce byte-identical files.
"""

from __future__ import annotations

import argparse
import base64
import json
import pickle
import random
import shutil
import string
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------
# Rates of the patterns the hooks look for (per notebook / per script).
RATE_PICKLE = 0.04
RATE_TORCH_LOAD = 0.05
RATE_NP_ALLOW_PICKLE = 0.02
RATE_HTTP_READ = 0.02
RATE_WGET_HTTP = 0.02
RATE_TYPO_IMPORT = 0.005
RATE_FAKE_CREDENTIAL = 0.01
RATE_PY2_SCRIPT = 0.01
RATE_ERROR_OUTPUT = 0.08
UNSAFE_PER_FILE = 1  # unsafe cells/blocks tried per notebook/script (``--size dense``: 4)
# ``--size dense``: most files carry findings of several categories (the finding-dense shape of
# the throughput issue: nearly every file calls some load/parse/read_*).
DENSE_RATES = {
    "RATE_PICKLE": 0.3, "RATE_TORCH_LOAD": 0.3, "RATE_NP_ALLOW_PICKLE": 0.2, "RATE_HTTP_READ": 0.5,
    "RATE_WGET_HTTP": 0.3, "RATE_TYPO_IMPORT": 0.05, "RATE_FAKE_CREDENTIAL": 0.15, "UNSAFE_PER_FILE": 4,
}

DATASETS = [
    ("titanic", "Survived", ["PassengerId", "Pclass", "Name", "Sex", "Age", "SibSp", "Parch", "Fare"]),
    ("house-prices-advanced-regression-techniques", "SalePrice", ["Id", "MSSubClass", "LotArea", "OverallQual", "YearBuilt", "GrLivArea"]),
    ("spaceship-titanic", "Transported", ["PassengerId", "HomePlanet", "CryoSleep", "Cabin", "Age", "VIP", "RoomService"]),
    ("digit-recognizer", "label", ["pixel0", "pixel1", "pixel2", "pixel3", "pixel4", "pixel5"]),
    ("store-sales-time-series-forecasting", "sales", ["id", "date", "store_nbr", "family", "onpromotion"]),
    ("creditcardfraud", "Class", ["Time", "V1", "V2", "V3", "V4", "Amount"]),
    ("nlp-getting-started", "target", ["id", "keyword", "location", "text"]),
    ("tabular-playground-series-aug-2022", "failure", ["id", "product_code", "loading", "attribute_0", "measurement_0"]),
    ("heart-disease-uci", "target", ["age", "sex", "cp", "trestbps", "chol", "fbs", "thalach"]),
    ("playground-series-s3e1", "MedHouseVal", ["id", "MedInc", "HouseAge", "AveRooms", "Population", "Latitude"]),
]
SK_MODELS = [
    ("sklearn.ensemble", "RandomForestClassifier", "n_estimators=300, max_depth=8, random_state=42, n_jobs=-1"),
    ("sklearn.ensemble", "GradientBoostingClassifier", "n_estimators=200, learning_rate=0.05"),
    ("sklearn.linear_model", "LogisticRegression", "C=1.0, max_iter=1000"),
    ("sklearn.svm", "SVC", "kernel='rbf', C=10, probability=True"),
    ("xgboost", "XGBClassifier", "n_estimators=500, learning_rate=0.03, max_depth=6, subsample=0.8"),
    ("lightgbm", "LGBMClassifier", "n_estimators=1000, learning_rate=0.02, num_leaves=31"),
    ("catboost", "CatBoostClassifier", "iterations=800, depth=6, verbose=0"),
]
HF_MODELS = ["bert-base-uncased", "distilbert-base-uncased", "roberta-base", "microsoft/deberta-v3-base",
             "google/electra-small-discriminator", "xlm-roberta-base"]
PIP_PACKAGES = ["timm", "albumentations", "transformers==4.30.2", "optuna", "lightgbm", "catboost",
                "pytorch-lightning", "segmentation-models-pytorch", "wandb", "sentencepiece", "datasets",
                "evaluate", "accelerate", "scikit-learn==1.2.2", "seaborn", "plotly", "shap", "xgboost"]
# Misspellings people really type; the typosquat hook should flag them.
TYPO_IMPORTS = ["import pandsa as pd", "import nunpy as np", "import matplotlib.pylot as plt",
                "import seaborne as sns", "import sklearn_learn", "import tensorlfow as tf"]
TYPO_PIP = ["pip install pytorch", "pip install sklearn", "pip install tensorflow-gpu", "pip install opencv",
            "pip install reqeusts", "pip install panda"]
REQUIREMENTS = ["numpy", "pandas", "scikit-learn", "matplotlib", "seaborn", "torch", "torchvision",
                "transformers", "datasets", "tqdm", "scipy", "xgboost", "lightgbm", "catboost", "optuna",
                "albumentations", "opencv-python", "pillow", "requests", "pyyaml", "wandb", "timm",
                "jupyter", "ipykernel", "plotly", "joblib", "accelerate", "sentencepiece", "tensorboard"]
TYPO_REQUIREMENTS = ["scikit-lean", "pandsa", "tourch", "reqeusts", "matplotlb"]
WORDS = ["data", "model", "training", "feature", "validation", "score", "baseline", "ensemble", "tuning", "analysis", "distribution", "missing", "values", "correlation", "target", "encoding", "cross", "fold", "prediction", "submission", "loss", "accuracy", "learning", "rate", "epoch", "batch", "augmentation", "pipeline", "preprocessing", "outliers", "split", "leaderboard"]
HTTP_HOSTS = ["archive.ics.uci.edu/ml/machine-learning-databases", "files.grouplens.org/datasets",
              "yann.lecun.com/exdb/mnist", "www.cs.toronto.edu/~kriz", "download.tensorflow.org/data",
              "mattmahoney.net/dc", "data.example.org/ml"]


def pick(rng: random.Random, seq: list[Any]) -> Any:
    return seq[rng.randrange(len(seq))]


def sentence(rng: random.Random, lo: int = 6, hi: int = 18) -> str:
    words = [pick(rng, WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + "."


def hex_string(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def alnum(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def fake_credential(rng: random.Random) -> tuple[str, str]:
    """(variable name, value) of a made-up credential; prefixes are assembled, never stored whole."""
    kind = rng.randrange(5)
    if kind == 0:
        return "WANDB_API_KEY", hex_string(rng, 40)
    if kind == 1:
        return "HF_TOKEN", "h" + "f_" + alnum(rng, 34, string.ascii_letters)
    if kind == 2:
        return "AWS_ACCESS_KEY_ID", "AK" + "IA" + alnum(rng, 16, string.ascii_uppercase + "234567")
    if kind == 3:
        return "OPENAI_API_KEY", "s" + "k-" + alnum(rng, 48)
    return "KAGGLE_KEY", hex_string(rng, 32)


def cell_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# ---------------------------------------------------------------------------------------------
# Outputs


def png_base64(rng: random.Random) -> str:
    """A PNG-looking payload of realistic size (20-200 KB of base64, most around 40 KB)."""
    size = int(rng.triangular(20_000, 200_000, 30_000))
    raw = b"\x89PNG\r\n\x1a\n" + rng.randbytes(size * 3 // 4 - 8)
    return base64.b64encode(raw).decode("ascii") + "\n"


def lines_of(text: str) -> list[str]:
    """Jupyter's multi-line string: a list of lines, each but the last ending in \\n."""
    parts = text.splitlines(keepends=True)
    return parts or [""]


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"name": name, "output_type": "stream", "text": lines_of(text)}


def image_output(rng: random.Random) -> dict[str, Any]:
    w, h = pick(rng, [(1200, 600), (1000, 800), (1440, 720), (800, 600), (1600, 1000)])
    return {
        "data": {"image/png": png_base64(rng), "text/plain": [f"<Figure size {w}x{h} with {rng.randint(1, 4)} Axes>"]},
        "metadata": pick(rng, [{}, {"needs_background": "light"}]),
        "output_type": "display_data",
    }


def dataframe_output(rng: random.Random, columns: list[str], count: int, rows: int = 5) -> dict[str, Any]:
    header = "".join(f"      <th>{c}</th>\n" for c in columns)
    body, plain = [], ["   " + "  ".join(f"{c:>10}" for c in columns)]
    for r in range(rows):
        values = [f"{rng.uniform(0, 1000):.4f}" if rng.random() < 0.7 else pick(rng, ["male", "female", "S", "C", "NaN"]) for _ in columns]
        body.append("    <tr>\n      <th>" + str(r) + "</th>\n" + "".join(f"      <td>{v}</td>\n" for v in values) + "    </tr>\n")
        plain.append(f"{r:<3}" + "  ".join(f"{v:>10}" for v in values))
    html = (
        "<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n        vertical-align: middle;\n    }\n\n"
        "    .dataframe tbody tr th {\n        vertical-align: top;\n    }\n\n    .dataframe thead th {\n"
        "        text-align: right;\n    }\n</style>\n<table border=\"1\" class=\"dataframe\">\n  <thead>\n"
        "    <tr style=\"text-align: right;\">\n      <th></th>\n" + header + "    </tr>\n  </thead>\n  <tbody>\n"
        + "".join(body) + "  </tbody>\n</table>\n</div>"
    )
    return {
        "data": {"text/html": lines_of(html), "text/plain": lines_of("\n".join(plain))},
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


def training_log(rng: random.Random, style: str) -> str:
    epochs = rng.randint(5, 60)
    steps = rng.randint(3, 12)
    loss, acc = rng.uniform(0.6, 2.5), rng.uniform(0.3, 0.6)
    out = []
    for epoch in range(1, epochs + 1):
        if style == "keras":
            out.append(f"Epoch {epoch}/{epochs}")
            loss *= rng.uniform(0.85, 0.99)
            acc = min(0.999, acc + rng.uniform(0.0, 0.03))
            out.append(f"{steps * 50}/{steps * 50} [==============================] - {rng.randint(2, 90)}s "
                       f"{rng.randint(10, 300)}ms/step - loss: {loss:.4f} - accuracy: {acc:.4f} - "
                       f"val_loss: {loss * rng.uniform(0.9, 1.3):.4f} - val_accuracy: {acc * rng.uniform(0.9, 1.0):.4f}")
            continue
        for step in range(steps):
            loss *= rng.uniform(0.95, 1.01)
            if style == "tqdm":
                pct = (step + 1) * 100 // steps
                out.append(f"Epoch {epoch}: {pct:3d}%|{'#' * (pct // 10):<10}| {(step + 1) * 40}/{steps * 40} "
                           f"[{rng.randint(0, 9):02d}:{rng.randint(0, 59):02d}<00:{rng.randint(0, 59):02d}, "
                           f"{rng.uniform(1, 20):.2f}it/s, loss={loss:.4f}]")
            else:
                out.append(f"[epoch {epoch:3d} | step {step * 100:5d}] loss {loss:.5f} lr {rng.uniform(1e-5, 1e-3):.2e} "
                           f"time {rng.uniform(0.05, 2.0):.3f}s")
        acc = min(0.999, acc + rng.uniform(0.0, 0.03))
        out.append(f"Epoch {epoch} - train loss: {loss:.4f} - valid loss: {loss * 1.1:.4f} - valid acc: {acc:.4f}")
    return "\n".join(out) + "\n"


def error_output(rng: random.Random) -> dict[str, Any]:
    ename, evalue = pick(rng, [("KeyError", "'Age'"), ("ValueError", "could not convert string to float: 'male'"),
                                ("RuntimeError", "CUDA out of memory. Tried to allocate 2.00 GiB"),
                                ("ModuleNotFoundError", "No module named 'timm'")])
    frames = [
        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
        f"\x1b[0;31m{ename}\x1b[0m                                  Traceback (most recent call last)",
    ]
    for n in range(rng.randint(2, 8)):
        frames.append(f"\x1b[0;32m/opt/conda/lib/python3.7/site-packages/pkg/module{n}.py\x1b[0m in \x1b[0;36mfn{n}"
                      f"\x1b[0;34m(self, *args, **kwargs)\x1b[0m\n\x1b[1;32m    {100 + n}\x1b[0m     result = self.call(*args)")
    frames.append(f"\x1b[0;31m{ename}\x1b[0m: {evalue}")
    return {"ename": ename, "evalue": evalue, "output_type": "error", "traceback": frames}


# ---------------------------------------------------------------------------------------------
# Notebook cells: each builder returns (cell_type, source, outputs).

Cell = tuple[str, str, list[dict[str, Any]]]


class NotebookContext:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.dataset, self.target, self.columns = pick(rng, DATASETS)
        self.count = 0
        self.kind = rng.choices(["tabular", "torch", "transformers", "keras"], weights=[50, 25, 15, 10])[0]

    def next_count(self) -> int:
        self.count += 1
        return self.count


def md_title(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    title = pick(rng, ["EDA + Baseline", "Complete Beginner's Guide", "Feature Engineering & Ensembling",
                       "Simple Fine-tuning Pipeline", "Top 5% solution", "Data Exploration and Modelling"])
    text = (f"# {ctx.dataset.replace('-', ' ').title()}: {title}\n\n{sentence(rng)} {sentence(rng)}\n\n"
            f"**Contents**\n\n" + "".join(f"{i}. [{pick(rng, WORDS).title()}](#{i})\n" for i in range(1, rng.randint(3, 7)))
            + f"\n![header](https://storage.googleapis.com/kaggle-media/competitions/{ctx.dataset}/header.png)\n\n"
            "*If you find this notebook useful, please upvote!*")
    return "markdown", text, []


def md_section(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    return "markdown", f"## {pick(rng, WORDS).title()} {pick(rng, WORDS)}\n\n{sentence(rng)} {sentence(rng, 3, 10)}", []


def pip_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    if rng.random() < RATE_TYPO_IMPORT * 4:
        cmd = "!" + pick(rng, TYPO_PIP)
    else:
        cmd = "!pip install -q " + " ".join(rng.sample(PIP_PACKAGES, rng.randint(1, 3)))
    if rng.random() < 0.3:
        cmd += "\n!pip install --upgrade " + pick(rng, PIP_PACKAGES)
    log = "".join(f"Requirement already satisfied: {pick(rng, REQUIREMENTS)} in /opt/conda/lib/python3.7/site-packages "
                  f"(from -r requirements.txt (line {n})) ({rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)})\n"
                  for n in range(rng.randint(3, 40)))
    log += "\x1b[33mWARNING: Running pip as the 'root' user can result in broken permissions\x1b[0m\n"
    ctx.next_count()
    return "code", cmd, [stream(log)]


def imports_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    lines = ["import numpy as np # linear algebra", "import pandas as pd # data processing, CSV file I/O (e.g. pd.read_csv)",
             "import matplotlib.pyplot as plt", "import seaborn as sns", "import os", "import gc", "import warnings",
             "warnings.filterwarnings('ignore')"]
    if ctx.kind == "tabular":
        module, name, _ = SK_MODELS[0]
        lines += ["from sklearn.model_selection import train_test_split, StratifiedKFold",
                  "from sklearn.metrics import accuracy_score, roc_auc_score, mean_squared_error",
                  "from sklearn.preprocessing import StandardScaler, LabelEncoder", f"from {module} import {name}"]
    if ctx.kind in ("torch", "transformers"):
        lines += ["import torch", "import torch.nn as nn", "import torch.nn.functional as F",
                  "from torch.utils.data import Dataset, DataLoader", "from tqdm.auto import tqdm"]
    if ctx.kind == "transformers":
        lines += ["from transformers import AutoTokenizer, AutoModelForSequenceClassification, get_linear_schedule_with_warmup"]
    if ctx.kind == "keras":
        lines += ["import tensorflow as tf", "from tensorflow import keras", "from tensorflow.keras import layers"]
    if rng.random() < RATE_TYPO_IMPORT:
        lines.insert(rng.randrange(len(lines)), pick(rng, TYPO_IMPORTS))
    if rng.random() < 0.1:
        lines.append("import pickle")
    if rng.random() < 0.7:
        lines.insert(0, "%matplotlib inline")
    outputs = []
    if ctx.kind in ("torch", "transformers") and rng.random() < 0.3:
        outputs.append(stream("/opt/conda/lib/python3.7/site-packages/tqdm/auto.py:22: TqdmWarning: IProgress not found. "
                              "Please update jupyter and ipywidgets.\n  from .autonotebook import tqdm as notebook_tqdm\n", "stderr"))
    ctx.next_count()
    return "code", "\n".join(lines), outputs


def walk_cell(ctx: NotebookContext) -> Cell:
    src = ("# This Python 3 environment comes with many helpful analytics libraries installed\n"
           "# Input data files are available in the read-only \"../input/\" directory\n"
           "for dirname, _, filenames in os.walk('/kaggle/input'):\n    for filename in filenames:\n"
           "        print(os.path.join(dirname, filename))")
    files = "".join(f"/kaggle/input/{ctx.dataset}/{name}\n" for name in ("train.csv", "test.csv", "sample_submission.csv"))
    ctx.next_count()
    return "code", src, [stream(files)]


def read_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    if rng.random() < RATE_HTTP_READ:
        src = f"train = pd.read_csv('http://{pick(rng, HTTP_HOSTS)}/{ctx.dataset}/train.csv')\n"
    else:
        src = f"train = pd.read_csv('/kaggle/input/{ctx.dataset}/train.csv')\n"
    src += f"test = pd.read_csv('/kaggle/input/{ctx.dataset}/test.csv')\nprint(train.shape, test.shape)"
    ctx.next_count()
    return "code", src, [stream(f"({rng.randint(800, 900000)}, {len(ctx.columns) + 1}) ({rng.randint(400, 400000)}, {len(ctx.columns)})\n")]


def head_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    src = pick(rng, ["train.head()", "train.describe()", "test.head(10)", "train.sample(5)", "train.isnull().sum().to_frame().T"])
    count = ctx.next_count()
    return "code", src, [dataframe_output(rng, ctx.columns, count, rows=rng.choice([5, 8, 10]))]


def info_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    text = "<class 'pandas.core.frame.DataFrame'>\nRangeIndex: 891 entries, 0 to 890\n"
    text += f"Data columns (total {len(ctx.columns)} columns):\n #   Column       Non-Null Count  Dtype  \n---  ------       --------------  -----  \n"
    text += "".join(f" {i:<3} {c:<12} {rng.randint(500, 891)} non-null    {pick(rng, ['int64', 'float64', 'object'])}\n"
                    for i, c in enumerate(ctx.columns))
    text += "dtypes: float64(2), int64(5), object(5)\nmemory usage: 83.7+ KB\n"
    ctx.next_count()
    return "code", "train.info()", [stream(text)]


def plot_cell(ctx: NotebookContext, images: int) -> Cell:
    rng = ctx.rng
    col = pick(rng, ctx.columns)
    src = pick(rng, [
        f"plt.figure(figsize=(12, 6))\nsns.histplot(train['{col}'], kde=True, bins=50)\nplt.title('Distribution of {col}')\nplt.show()",
        f"fig, axes = plt.subplots(1, 2, figsize=(16, 6))\nsns.countplot(x='{ctx.target}', data=train, ax=axes[0])\n"
        f"sns.boxplot(x='{ctx.target}', y='{col}', data=train, ax=axes[1])\nplt.tight_layout()\nplt.show()",
        "corr = train.corr()\nplt.figure(figsize=(14, 10))\nsns.heatmap(corr, annot=True, fmt='.2f', cmap='coolwarm')\nplt.show()",
        "plt.plot(history['train_loss'], label='train')\nplt.plot(history['valid_loss'], label='valid')\nplt.legend()\nplt.show()",
    ])
    ctx.next_count()
    return "code", src, [image_output(rng) for _ in range(images)]


def features_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    cols = rng.sample(ctx.columns, min(3, len(ctx.columns)))
    lines = [f"train['{cols[0]}'] = train['{cols[0]}'].fillna(train['{cols[0]}'].median())",
             f"test['{cols[0]}'] = test['{cols[0]}'].fillna(train['{cols[0]}'].median())",
             f"train['{cols[1]}_log'] = np.log1p(train['{cols[1]}'].astype(float))",
             "for df in [train, test]:", f"    df['{cols[-1]}_bin'] = pd.qcut(df['{cols[-1]}'].rank(method='first'), 10, labels=False)",
             f"features = [c for c in train.columns if c not in ['{ctx.target}', 'id']]",
             f"X, y = train[features], train['{ctx.target}']", "print(len(features), 'features')"]
    ctx.next_count()
    return "code", "\n".join(lines), [stream(f"{rng.randint(8, 120)} features\n")]


def sklearn_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    module, name, params = pick(rng, SK_MODELS)
    timed = rng.random() < 0.3
    src = (("%%time\n" if timed else "") + f"from {module} import {name}\n\nskf = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)\n"
           "oof = np.zeros(len(X))\nfor fold, (tr_idx, va_idx) in enumerate(skf.split(X, y)):\n"
           f"    model = {name}({params})\n    model.fit(X.iloc[tr_idx], y.iloc[tr_idx])\n"
           "    oof[va_idx] = model.predict_proba(X.iloc[va_idx])[:, 1]\n"
           "    print(f'Fold {fold}: AUC = {roc_auc_score(y.iloc[va_idx], oof[va_idx]):.5f}')\n"
           "print(f'OOF AUC = {roc_auc_score(y, oof):.5f}')")
    text = "".join(f"Fold {f}: AUC = {rng.uniform(0.75, 0.95):.5f}\n" for f in range(5)) + f"OOF AUC = {rng.uniform(0.75, 0.95):.5f}\n"
    if timed:
        text += f"CPU times: user {rng.randint(1, 59)}min {rng.randint(1, 59)}s, sys: {rng.randint(1, 999)} ms, total: {rng.randint(1, 59)}min\nWall time: {rng.randint(1, 59)}min {rng.randint(1, 59)}s\n"
    ctx.next_count()
    return "code", src, [stream(text)]


def torch_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    hidden = pick(rng, [64, 128, 256, 512])
    src = (f"class Net(nn.Module):\n    def __init__(self, in_dim, hidden={hidden}, n_classes=2):\n        super().__init__()\n"
           "        self.fc1 = nn.Linear(in_dim, hidden)\n        self.bn1 = nn.BatchNorm1d(hidden)\n"
           "        self.drop = nn.Dropout(0.3)\n        self.fc2 = nn.Linear(hidden, n_classes)\n\n"
           "    def forward(self, x):\n        x = self.drop(F.relu(self.bn1(self.fc1(x))))\n        return self.fc2(x)\n\n\n"
           "device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
           "model = Net(len(features)).to(device)\n"
           f"optimizer = torch.optim.AdamW(model.parameters(), lr={pick(rng, ['1e-3', '3e-4', '2e-5'])})\n"
           "criterion = nn.CrossEntropyLoss()\nhistory = {'train_loss': [], 'valid_loss': []}\n\n"
           f"for epoch in range({rng.randint(5, 60)}):\n    model.train()\n    for xb, yb in tqdm(train_loader):\n"
           "        xb, yb = xb.to(device), yb.to(device)\n        optimizer.zero_grad()\n"
           "        loss = criterion(model(xb), yb)\n        loss.backward()\n        optimizer.step()\n"
           "    history['train_loss'].append(loss.item())\n"
           "    torch.save(model.state_dict(), f'model_epoch{epoch}.pt')")
    ctx.next_count()
    return "code", src, [stream(training_log(rng, pick(rng, ["tqdm", "plain"])))]


def transformers_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    name = pick(rng, HF_MODELS)
    trust = ", trust_remote_code=True" if rng.random() < 0.02 else ""
    src = (f"MODEL_NAME = '{name}'\ntokenizer = AutoTokenizer.from_pretrained(MODEL_NAME)\n"
           f"model = AutoModelForSequenceClassification.from_pretrained(MODEL_NAME, num_labels=2{trust}).to(device)\n\n"
           "def encode(texts, max_len=128):\n    return tokenizer(list(texts), truncation=True, padding='max_length',"
           " max_length=max_len, return_tensors='pt')\n\n"
           "optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)\n"
           "scheduler = get_linear_schedule_with_warmup(optimizer, 100, len(train_loader) * EPOCHS)\n"
           "for epoch in range(EPOCHS):\n    model.train()\n    for batch in tqdm(train_loader):\n"
           "        out = model(**{k: v.to(device) for k, v in batch.items()})\n        out.loss.backward()\n"
           "        optimizer.step(); scheduler.step(); optimizer.zero_grad()")
    warn = (f"Some weights of the model checkpoint at {name} were not used when initializing the model: "
            "['cls.predictions.bias', 'cls.predictions.transform.dense.weight']\n- This IS expected if you are "
            "initializing from a checkpoint of a model trained on another task.\n")
    ctx.next_count()
    return "code", src, [stream(warn, "stderr"), stream(training_log(rng, "tqdm"))]


def keras_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    src = ("model = keras.Sequential([\n    layers.Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1)),\n"
           "    layers.MaxPooling2D(),\n    layers.Conv2D(64, 3, activation='relu'),\n    layers.Flatten(),\n"
           "    layers.Dense(128, activation='relu'),\n    layers.Dropout(0.4),\n    layers.Dense(10, activation='softmax'),\n])\n"
           "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
           f"history = model.fit(X_train, y_train, validation_split=0.1, epochs={rng.randint(5, 60)}, batch_size=64)")
    ctx.next_count()
    return "code", src, [stream(training_log(rng, "keras"))]


def misc_cell(ctx: NotebookContext) -> Cell:
    """The everyday exploration and helper code between the headline cells."""
    rng = ctx.rng
    col, other = pick(rng, ctx.columns), pick(rng, ctx.columns)
    choice = rng.randrange(5)
    count = ctx.next_count()
    if choice == 0:
        text = "".join(f"{rng.randint(0, 50):<8}{rng.randint(1, 900)}\n" for _ in range(rng.randint(3, 20)))
        return "code", f"train['{col}'].value_counts()", [
            {"data": {"text/plain": lines_of(text + f"Name: {col}, dtype: int64")}, "execution_count": count,
             "metadata": {}, "output_type": "execute_result"}]
    if choice == 1:
        src = ("missing = train.isnull().sum().sort_values(ascending=False)\npercent = (missing / len(train) * 100).round(2)\n"
               "missing_df = pd.concat([missing, percent], axis=1, keys=['Total', 'Percent'])\nmissing_df[missing_df['Total'] > 0]")
        return "code", src, [dataframe_output(rng, ["Total", "Percent"], count, rows=rng.randint(2, 8))]
    if choice == 2:
        src = (f"def preprocess(df):\n    df = df.copy()\n    df['{col}'] = df['{col}'].fillna(-1)\n"
               f"    df['{other}_cnt'] = df.groupby('{other}')['{other}'].transform('count')\n"
               "    for c in df.select_dtypes('object').columns:\n        df[c] = LabelEncoder().fit_transform(df[c].astype(str))\n"
               "    return df\n\n\ntrain = preprocess(train)\ntest = preprocess(test)")
        return "code", src, []
    if choice == 3:
        src = (f"agg = train.groupby('{col}').agg({{'{other}': ['mean', 'std', 'count'], '{ctx.target}': 'mean'}})\n"
               "agg.columns = ['_'.join(c) for c in agg.columns]\nagg.sort_values(agg.columns[-1], ascending=False).head(10)")
        return "code", src, [dataframe_output(rng, [f"{other}_mean", f"{other}_std", f"{other}_count"], count, rows=10)]
    src = (f"scaler = StandardScaler()\nnum_cols = [c for c in train.columns if train[c].dtype != 'object' and c != '{ctx.target}']\n"
           "train[num_cols] = scaler.fit_transform(train[num_cols])\ntest[num_cols] = scaler.transform(test[num_cols])\n"
           "gc.collect()")
    return "code", src, [{"data": {"text/plain": [str(rng.randint(0, 5000))]}, "execution_count": count, "metadata": {},
                          "output_type": "execute_result"}]


def unsafe_cell(ctx: NotebookContext) -> Cell | None:
    rng = ctx.rng
    options: list[tuple[float, Callable[[], str]]] = [
        (RATE_PICKLE, lambda: "import pickle\nwith open('../input/features/model.pkl', 'rb') as f:\n    model = pickle.load(f)"),
        (RATE_TORCH_LOAD, lambda: "model.load_state_dict(torch.load('../input/weights/best_model.pth', map_location=device))"),
        (RATE_NP_ALLOW_PICKLE, lambda: "embeddings = np.load('../input/emb/embeddings.npy', allow_pickle=True)"),
        (RATE_WGET_HTTP, lambda: f"!wget -q http://{pick(rng, HTTP_HOSTS)}/data.zip\n!unzip -q data.zip -d data"),
        (RATE_FAKE_CREDENTIAL, lambda: "import os\nos.environ['{}'] = '{}'".format(*fake_credential(rng))),
    ]
    for rate, build in options:
        if rng.random() < rate:
            ctx.next_count()
            return "code", build(), []
    return None


def submission_cell(ctx: NotebookContext) -> Cell:
    rng = ctx.rng
    src = (f"sub = pd.read_csv('/kaggle/input/{ctx.dataset}/sample_submission.csv')\n"
           f"sub['{ctx.target}'] = model.predict(test[features])\nsub.to_csv('submission.csv', index=False)\nsub.head()")
    count = ctx.next_count()
    return "code", src, [dataframe_output(rng, ["id", ctx.target], count)]


def image_counts(rng: random.Random) -> list[int]:
    """How many images each plot cell shows; heavy-tailed like real notebooks."""
    total = rng.choices([0, 1, 2, 3, 5, 9], weights=[77, 14, 5, 2, 1, 1])[0]
    counts = []
    while total > 0:
        n = min(total, rng.choice([1, 1, 1, 2]))
        counts.append(n)
        total -= n
    return counts


def make_cell(ctx: NotebookContext, kind: str, source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    rng = ctx.rng
    metadata: dict[str, Any] = {}
    if rng.random() < 0.8:  # Kaggle's own metadata
        metadata = {"_cell_guid": cell_id(rng), "_uuid": hex_string(rng, 40)}
        if kind == "code" and rng.random() < 0.4:
            metadata["papermill"] = {"duration": round(rng.uniform(0.01, 600), 6), "end_time": "2022-03-14T10:21:03.000000",
                                     "exception": False, "start_time": "2022-03-14T10:20:59.000000", "status": "completed"}
    cell: dict[str, Any] = {"cell_type": kind, "metadata": metadata, "source": lines_of(source)}
    if kind == "code":
        cell["execution_count"] = ctx.count if outputs or rng.random() < 0.8 else None
        if outputs and rng.random() < RATE_ERROR_OUTPUT:
            outputs = [*outputs, error_output(rng)]
        cell["outputs"] = outputs
    return cell


def notebook(rng: random.Random) -> str:
    ctx = NotebookContext(rng)
    cells: list[Cell] = [md_title(ctx)]
    if rng.random() < 0.5:
        cells.append(pip_cell(ctx))
    cells += [imports_cell(ctx), walk_cell(ctx) if rng.random() < 0.6 else md_section(ctx), read_cell(ctx)]
    cells += [head_cell(ctx), info_cell(ctx), md_section(ctx)]
    for n in image_counts(rng):
        cells += [md_section(ctx), plot_cell(ctx, n)]
        if rng.random() < 0.4:
            cells.append(head_cell(ctx))
    for _ in range(rng.randint(3, 14)):
        if rng.random() < 0.4:
            cells.append(md_section(ctx))
        cells.append(misc_cell(ctx))
    cells += [md_section(ctx), features_cell(ctx)]
    trainer = {"tabular": sklearn_cell, "torch": torch_cell, "transformers": transformers_cell, "keras": keras_cell}[ctx.kind]
    cells.append(trainer(ctx))
    if ctx.kind != "tabular" and rng.random() < 0.2:
        cells.append(plot_cell(ctx, 1))
    for _ in range(UNSAFE_PER_FILE):
        extra = unsafe_cell(ctx)
        if extra is not None:
            cells.insert(rng.randint(3, len(cells)), extra)
    cells += [md_section(ctx), submission_cell(ctx)]
    nb = {
        "cells": [make_cell(ctx, kind, src, outs) for kind, src, outs in cells],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                              "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                              "pygments_lexer": "ipython3", "version": pick(rng, ["3.7.12", "3.10.12", "3.6.6"])},
        },
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Scripts: a header, then blocks until the target length (100-600 lines) is reached.


def script_header(rng: random.Random, kind: str) -> list[str]:
    doc = [f'"""{sentence(rng, 4, 8)}', "", sentence(rng), '"""']
    imports = ["import argparse", "import json", "import logging", "import os", "import random", "import time",
               "from pathlib import Path", "", "import numpy as np", "import pandas as pd"]
    if kind in ("torch", "transformers"):
        imports += ["import torch", "import torch.nn as nn", "from torch.utils.data import DataLoader, Dataset"]
    if kind == "transformers":
        imports += ["from transformers import AutoModel, AutoTokenizer"]
    if kind == "tabular":
        imports += ["from sklearn.metrics import roc_auc_score", "from sklearn.model_selection import KFold"]
    if rng.random() < RATE_TYPO_IMPORT:
        imports.insert(rng.randrange(len(imports)), pick(rng, TYPO_IMPORTS))
    return [*doc, "", *imports, "", 'logger = logging.getLogger(__name__)', ""]


def block_seed(rng: random.Random) -> list[str]:
    return ["", "def seed_everything(seed: int = 42) -> None:", "    random.seed(seed)", "    os.environ['PYTHONHASHSEED'] = str(seed)",
            "    np.random.seed(seed)", "    try:", "        import torch", "        torch.manual_seed(seed)",
            "        torch.cuda.manual_seed_all(seed)", "        torch.backends.cudnn.deterministic = True",
            "    except ImportError:", "        pass", ""]


def block_meter(rng: random.Random) -> list[str]:
    name = pick(rng, ["AverageMeter", "RunningMean", "MetricTracker"])
    return ["", f"class {name}:", '    """Computes and stores the average and current value."""', "",
            "    def __init__(self):", "        self.reset()", "", "    def reset(self):", "        self.val = 0.0",
            "        self.avg = 0.0", "        self.sum = 0.0", "        self.count = 0", "",
            "    def update(self, val, n=1):", "        self.val = val", "        self.sum += val * n",
            "        self.count += n", "        self.avg = self.sum / max(self.count, 1)", ""]


def block_features(rng: random.Random) -> list[str]:
    feat = pick(rng, WORDS) + "_" + pick(rng, WORDS)
    cols = [f"col_{rng.randint(0, 99)}" for _ in range(rng.randint(2, 6))]
    body = [f"    df['{feat}_{i}'] = df['{c}'].{pick(rng, ['rank(pct=True)', 'fillna(0)', 'clip(0, 1)', 'astype(float).diff()'])}"
            for i, c in enumerate(cols)]
    agg = [f"    agg = df.groupby('{cols[0]}')['{cols[-1]}'].agg(['mean', 'std', 'max'])",
           f"    agg.columns = ['{feat}_' + c for c in agg.columns]", f"    df = df.merge(agg, left_on='{cols[0]}', right_index=True, how='left')"]
    return ["", f"def add_{feat}_features(df: pd.DataFrame) -> pd.DataFrame:", f'    """{sentence(rng, 4, 10)}"""',
            "    df = df.copy()", *body, *(agg if rng.random() < 0.6 else []), "    return df", ""]


def block_dataset(rng: random.Random) -> list[str]:
    name = pick(rng, ["TabularDataset", "TextDataset", "ImageDataset", "CompetitionDataset"])
    return ["", f"class {name}(Dataset):", "    def __init__(self, df, features, target=None, transform=None):",
            "        self.x = df[features].values.astype(np.float32)",
            "        self.y = None if target is None else df[target].values", "        self.transform = transform", "",
            "    def __len__(self):", "        return len(self.x)", "", "    def __getitem__(self, idx):",
            "        x = self.x[idx]", "        if self.transform is not None:", "            x = self.transform(x)",
            "        if self.y is None:", "            return torch.tensor(x)", "        return torch.tensor(x), torch.tensor(self.y[idx])", ""]


def block_model(rng: random.Random) -> list[str]:
    layers = rng.randint(2, 6)
    body = [f"            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout({rng.choice([0.1, 0.2, 0.3])}),"
            for _ in range(layers)]
    return ["", f"class {pick(rng, ['MLP', 'Net', 'Classifier', 'Regressor'])}{rng.randint(1, 9)}(nn.Module):",
            "    def __init__(self, in_dim: int, hidden: int = 256, out_dim: int = 1):", "        super().__init__()",
            "        self.net = nn.Sequential(", "            nn.Linear(in_dim, hidden), nn.ReLU(),", *body,
            "            nn.Linear(hidden, out_dim),", "        )", "", "    def forward(self, x):", "        return self.net(x)", ""]


def block_train(rng: random.Random) -> list[str]:
    return ["", f"def train_one_epoch_{rng.randint(0, 999)}(model, loader, optimizer, criterion, device, scheduler=None):",
            "    model.train()", "    total, n = 0.0, 0", "    start = time.time()", "    for step, (x, y) in enumerate(loader):",
            "        x, y = x.to(device), y.to(device).float()", "        optimizer.zero_grad()",
            "        loss = criterion(model(x).squeeze(-1), y)", "        loss.backward()",
            "        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)", "        optimizer.step()",
            "        if scheduler is not None:", "            scheduler.step()", "        total += loss.item() * len(x)",
            "        n += len(x)", f"        if step % {pick(rng, [50, 100, 200])} == 0:",
            "            logger.info('step %d loss %.4f (%.1fs)', step, total / n, time.time() - start)", "    return total / max(n, 1)", ""]


def block_cv(rng: random.Random) -> list[str]:
    module, name, params = pick(rng, SK_MODELS)
    return ["", f"def run_cv(df, features, target, n_splits={rng.choice([5, 10])}, seed=42):",
            f"    from {module} import {name}", "", "    oof = np.zeros(len(df))",
            "    folds = KFold(n_splits=n_splits, shuffle=True, random_state=seed)",
            "    for fold, (tr, va) in enumerate(folds.split(df)):", f"        model = {name}({params})",
            "        model.fit(df.iloc[tr][features], df.iloc[tr][target])",
            "        oof[va] = model.predict_proba(df.iloc[va][features])[:, 1]",
            "        logger.info('fold %d auc %.5f', fold, roc_auc_score(df.iloc[va][target], oof[va]))",
            "    return oof", ""]


def block_io(rng: random.Random) -> list[str]:
    lines = ["", "def load_data(data_dir: str):", "    data_dir = Path(data_dir)",
             "    train = pd.read_csv(data_dir / 'train.csv')", "    test = pd.read_csv(data_dir / 'test.csv')"]
    if rng.random() < RATE_HTTP_READ * 2:
        lines.append(f"    extra = pd.read_csv('http://{pick(rng, HTTP_HOSTS)}/extra.csv')")
        lines.append("    train = pd.concat([train, extra], ignore_index=True)")
    lines += ["    return train, test", ""]
    return lines


def block_unsafe(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < RATE_PICKLE:
        return ["", "def load_model(path):", "    import pickle", "    with open(path, 'rb') as fh:", "        return pickle.load(fh)", ""]
    roll -= RATE_PICKLE
    if roll < RATE_TORCH_LOAD:
        return ["", "def load_checkpoint(model, path, device='cpu'):", "    state = torch.load(path, map_location=device)",
                "    model.load_state_dict(state['model'])", "    return model, state.get('epoch', 0)", ""]
    roll -= RATE_TORCH_LOAD
    if roll < RATE_NP_ALLOW_PICKLE:
        return ["", "def load_embeddings(path):", "    return np.load(path, allow_pickle=True).item()", ""]
    roll -= RATE_NP_ALLOW_PICKLE
    if roll < RATE_FAKE_CREDENTIAL:
        name, value = fake_credential(rng)
        return ["", f"{name} = '{value}'", ""]
    return ["", "def load_config(path):", "    with open(path) as fh:", "        return json.load(fh)", ""]


def block_main(rng: random.Random) -> list[str]:
    args = [f"    parser.add_argument('--{name}', type={typ}, default={default})"
            for name, typ, default in rng.sample([("epochs", "int", "10"), ("lr", "float", "1e-3"), ("batch-size", "int", "64"),
                                                   ("seed", "int", "42"), ("folds", "int", "5"), ("data-dir", "str", "'../input'"),
                                                   ("out-dir", "str", "'outputs'"), ("hidden", "int", "256")], rng.randint(3, 8))]
    return ["", "def parse_args():", "    parser = argparse.ArgumentParser(description=__doc__)", *args, "    return parser.parse_args()", "",
            "", "def main():", "    args = parse_args()", "    logging.basicConfig(level=logging.INFO)",
            "    os.makedirs(getattr(args, 'out_dir', 'outputs'), exist_ok=True)",
            "    with open(os.path.join(getattr(args, 'out_dir', 'outputs'), 'config.json'), 'w') as fh:",
            "        json.dump(vars(args), fh, indent=2)", "    logger.info('done')", "", "",
            "if __name__ == '__main__':", "    main()", ""]


def script(rng: random.Random) -> str:
    kind = rng.choices(["tabular", "torch", "transformers"], weights=[45, 40, 15])[0]
    target = rng.randint(100, 600)
    lines = script_header(rng, kind)
    blocks: list[Callable[[random.Random], list[str]]] = [block_seed, block_meter, block_features, block_io]
    blocks += [block_dataset, block_model, block_train] if kind != "tabular" else [block_cv, block_features, block_features]
    tail = block_main(rng)
    lines += block_seed(rng)
    loader = rng.randint(len(lines), target)  # one model/data loader per script, sometimes unsafe
    while len(lines) + len(tail) < target:
        if len(lines) >= loader:
            for _ in range(UNSAFE_PER_FILE):
                lines += block_unsafe(rng)
            loader = sys.maxsize
        lines += pick(rng, blocks)(rng)
    if rng.random() < RATE_PY2_SCRIPT:  # old Python 2 code is common in public corpora
        lines += ["", "print 'training finished'", ""]
    return "\n".join(lines + tail)


# ---------------------------------------------------------------------------------------------
# Other files


def requirements(rng: random.Random) -> str:
    names = rng.sample(REQUIREMENTS, rng.randint(4, 18))
    if rng.random() < RATE_TYPO_IMPORT * 4:
        names.append(pick(rng, TYPO_REQUIREMENTS))
    lines = ["# generated by pip freeze" if rng.random() < 0.3 else "# core dependencies"]
    for name in names:
        style = rng.random()
        if style < 0.5:
            lines.append(f"{name}=={rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}")
        elif style < 0.8:
            lines.append(f"{name}>={rng.randint(0, 4)}.{rng.randint(0, 20)}")
        else:
            lines.append(name)
    return "\n".join(lines) + "\n"


def pyproject(rng: random.Random, name: str) -> str:
    deps = ",\n".join(f'    "{n}>={rng.randint(0, 3)}.{rng.randint(0, 20)}"' for n in rng.sample(REQUIREMENTS, rng.randint(3, 10)))
    return (f'[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{name}"\nversion = "0.{rng.randint(1, 9)}.0"\nrequires-python = ">=3.8"\n'
            f'dependencies = [\n{deps},\n]\n\n[tool.black]\nline-length = 100\n')


def artifact(rng: random.Random) -> bytes:
    """A benign pickle, like a committed label encoder or state dict (never loaded by anyone)."""
    from collections import OrderedDict

    state = OrderedDict((f"layer{i}.weight", [round(rng.uniform(-1, 1), 4) for _ in range(rng.randint(10, 200))])
                        for i in range(rng.randint(2, 8)))
    return pickle.dumps(state, protocol=rng.choice([2, 4]))


# ---------------------------------------------------------------------------------------------
# Layout


def slug(rng: random.Random) -> str:
    return "-".join(rng.sample(WORDS, 2))


def project(rng: random.Random, index: int) -> list[tuple[str, str | bytes]]:
    """One project folder's files: notebooks and scripts, maybe requirements/pyproject/artifact."""
    base = f"{pick(rng, ['kaggle', 'team', 'lab', 'user'])}{rng.randint(1, 999)}-{slug(rng)}-{index:04d}"
    files: list[tuple[str, str | bytes]] = []
    if rng.random() < 0.35:
        files.append((f"{base}/requirements.txt", requirements(rng)))
    if rng.random() < 0.05:
        files.append((f"{base}/pyproject.toml", pyproject(rng, base.split("-", 1)[1])))
    if rng.random() < 0.04:
        files.append((f"{base}/models/{pick(rng, ['model.pkl', 'encoder.pkl', 'state.pt'])}", artifact(rng)))
    for n in range(rng.randint(1, 10)):
        if rng.random() < 0.53:
            files.append((f"{base}/notebooks/{n:02d}-{slug(rng)}.ipynb", notebook(rng)))
        else:
            files.append((f"{base}/src/{slug(rng).replace('-', '_')}_{n}.py", script(rng)))
    return files


def repo_files(seed: int, count: int) -> list[tuple[str, str | bytes]]:
    files: list[tuple[str, str | bytes]] = []
    index = 0
    while len(files) < count:
        files += project(random.Random(f"{seed}:project:{index}"), index)
        index += 1
    return files[:count]


def commit_files(seed: int) -> list[tuple[str, str | bytes]]:
    rng = random.Random(f"{seed}:commit")
    files: list[tuple[str, str | bytes]] = []
    for n in range(5):
        files.append((f"src/{slug(rng).replace('-', '_')}_{n}.py", script(rng)))
    for n in range(5):
        files.append((f"notebooks/{n:02d}-{slug(rng)}.ipynb", notebook(rng)))
    return files


def write(out: Path, files: list[tuple[str, str | bytes]]) -> None:
    for rel, content in files:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")


def generate(out: Path, size: str, files: int = 3000, seed: int = 0) -> list[Path]:
    """Write the corpus under ``out`` (emptied first); return the files' paths."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    saved = {name: globals()[name] for name in DENSE_RATES}
    if size == "dense":
        globals().update(DENSE_RATES)
    try:
        content = commit_files(seed) if size == "commit" else repo_files(seed, files)
    finally:
        globals().update(saved)  # a later corpus of this process gets the normal rates again
    write(out, content)
    return [out / rel for rel, _ in content]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--size", choices=["commit", "repo", "dense"], required=True)
    parser.add_argument("--files", type=int, default=3000, help="repo size: number of files (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = generate(args.out_dir, args.size, args.files, args.seed)
    total = sum(p.stat().st_size for p in paths)
    kinds: dict[str, int] = {}
    for p in paths:
        kinds[p.suffix or p.name] = kinds.get(p.suffix or p.name, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"{len(paths)} files ({summary}), {total / 1e6:.1f} MB in {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
