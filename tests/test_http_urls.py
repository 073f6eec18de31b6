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
            "download.py:8:8: http-url-read-data",  # the constant, not the call
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


MESSAGE = (
    "http-url-fetch HTTP request to a plain http:// URL: anyone on the network path can read it and swap"
    " what comes back (data, model, code). Use https:// and check the SHA-256 of what you download."
)


def test_one_finding_per_literal_naming_every_call(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "client.py").write_text(
        "import requests\n"
        'BASE = "http://api.example-lab.org"\n'
        'PREDICT = BASE + "/v1/predict"\n'
        "\n"
        "def health():\n"
        '    return requests.get(BASE + "/health")\n'
        "\n"
        "def predict(x):\n"
        "    return requests.post(PREDICT, json=x)\n"
        'r = requests.get(f"http://{host}/metrics")  # a literal of its own\n'
    )
    assert http_urls.main(["client.py"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"client.py:2:8: {MESSAGE} Fetched or sent by requests.get at line 6, requests.post at line 9.",
        f"client.py:10:18: {MESSAGE} Fetched or sent by requests.get at line 10.",
    ]


def test_a_notebook_constant_is_reported_in_its_own_cell(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(
            [
                'import pandas as pd\nDATA_URL = "http://archive.example.org/adult.data"',
                ("markdown", "# Load"),
                "df = pd.read_csv(DATA_URL, header=None)",
            ]
        )
    )
    assert http_urls.main(["nb.ipynb"]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("nb.ipynb:cell 1:2:12: http-url-read-data ")
    assert line.endswith(" Fetched or sent by pd.read_csv at cell 3 line 1.")


def test_silencing_the_literal_or_every_call(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.py").write_text(
        'import requests\nURL = "http://data.example.org/x"  # mlhygiene: ignore[http-url-fetch]\nrequests.get(URL)\n'
    )
    (in_tmp / "b.py").write_text(
        'import requests\nURL = "http://data.example.org/x"\nrequests.get(URL)  # nosemgrep\n'
    )
    assert http_urls.main(["a.py", "b.py"]) == 0
