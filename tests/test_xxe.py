"""mlhygiene-xxe end to end with real Semgrep on the bundled rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene import xxe
from tests.conftest import locations, notebook_json

SCRIPT = """\
import pandas as pd
import xml.etree.ElementTree as ET
from lxml import etree
import defusedxml.ElementTree as DET

tables = pd.read_html("https://en.wikipedia.org/wiki/Iris_flower_data_set")
books = pd.read_xml("books.xml")
tree = ET.parse("annotations/0001.xml")
doc = etree.parse("voc/0001.xml")
bad = etree.XMLParser(resolve_entities=True)

# near misses
tables2 = pd.read_html(html_text, flavor="bs4")
books2 = pd.read_xml("books.xml", parser="etree")
safe = DET.parse("annotations/0001.xml")
root = ET.fromstring("<config><lr>0.01</lr></config>")
parser = etree.XMLParser(resolve_entities=False, no_network=True)
doc2 = etree.parse("voc/0001.xml", parser)
"""


def test_realistic_script(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "parse.py").write_text(SCRIPT)
    assert xxe.main(["parse.py"]) == 1
    lines = locations(capsys.readouterr().out)
    assert lines == [
        "parse.py:6:10: xxe-pandas-read-html-lxml",
        "parse.py:7:9: xxe-pandas-read-xml-lxml",
        "parse.py:8:8: xxe-stdlib-xml-parse",
        "parse.py:9:7: xxe-lxml-default-parser",
        "parse.py:10:7: xxe-lxml-entities-enabled",
    ]


def test_notebook(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(["%matplotlib inline\nimport pandas as pd", "%%time\ndfs = pd.read_html(page)"])
    )
    assert xxe.main(["nb.ipynb"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("nb.ipynb:cell 2:2:7: xxe-pandas-read-html-lxml ")
