"""mlhygiene-http end to end: real Semgrep rules for Python, the shell-line scanner for notebooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene import http_urls
from tests.conftest import locations, notebook_json


def run(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, list[str]]:
    code = http_urls.main(list(files))
    out = capsys.readouterr().out
    return code, locations(out)


SCRIPT = '''\
"""Download data. See http://example.com/docs for the format."""
import pandas as pd
import requests
import torch
import xml.etree.ElementTree as ET
from urllib.request import urlretrieve

DATA = "http://data.example.org/train.csv"
LOCAL = "http://localhost:8080/predict"

df = pd.read_csv(DATA)
resp = requests.get("http://models.example.org/resnet.pth", timeout=30)
urlretrieve("http://data.example.org/x.zip", "x.zip")
sd = torch.hub.load_state_dict_from_url("http://download.example.org/w.pth")

# near misses
ok = requests.get("https://models.example.org/resnet.pth", timeout=30)
pred = requests.post(LOCAL, json={"x": 1}, timeout=5)
NS = {"svg": "http://www.w3.org/2000/svg"}
print("see http://example.com")
# requests.get("http://example.com/commented-out")
'''


def test_realistic_script(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "download.py").write_text(SCRIPT)
    assert run(capsys, "download.py") == (
        1,
        [
            "download.py:11:18: http-url-read-data",
            "download.py:12:21: http-url-fetch",
            "download.py:13:13: http-url-fetch",
            "download.py:14:41: http-url-download",
        ],
    )


def test_notebook_shell_lines(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(
            [
                ("markdown", "Data from http://example.com"),
                "!wget -q http://data.example.org/train.zip -O train.zip\n!unzip -q train.zip",
                "%%bash\ncurl -sSL \\\n  http://data.example.org/labels.csv > labels.csv",
                "!pip install --extra-index-url http://pypi.corp.example/simple corp-lib",
                "!curl http://localhost:8888/api/status\n!wget https://data.example.org/ok.zip",
                "!echo http://example.com",
                "import pandas as pd\ndf = pd.read_json('http://api.example.org/items.json')",
            ]
        )
    )
    code, lines = run(capsys, "nb.ipynb")
    assert (code, lines) == (
        1,
        [
            "nb.ipynb:cell 2:1:10: http-shell-download",
            "nb.ipynb:cell 3:3:3: http-shell-download",
            "nb.ipynb:cell 7:2:19: http-url-read-data",
        ],
    )


def test_shell_message_never_prints_credentials(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    login = "alice" + ":" + "".join(["s3c", "r3t", "pass"])
    (in_tmp / "nb.ipynb").write_text(notebook_json([f"!wget http://{login}@files.example.org/data.zip"]))
    assert http_urls.main(["nb.ipynb"]) == 1
    out = capsys.readouterr().out
    assert out == (
        "nb.ipynb:cell 1:1:7: http-shell-download 'wget' fetches over plain http:// from files.example.org:"
        " anyone on the network path can swap the data, model or code it downloads. Use https:// and"
        " check the file's SHA-256.\n"
    )
    assert "s3cr3tpass" not in out
