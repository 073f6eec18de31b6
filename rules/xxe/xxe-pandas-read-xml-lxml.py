# Test cases for xxe-pandas-read-xml-lxml: pd.read_xml with the (default) lxml parser.
import io
from io import BytesIO, StringIO

import pandas as pd
import requests
from pandas import read_xml

# ruleid: xxe-pandas-read-xml-lxml
books = pd.read_xml("/kaggle/input/books-xml/books.xml")

# ruleid: xxe-pandas-read-xml-lxml
rates = pd.read_xml("https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml", xpath=".//*[@currency]")

resp = requests.get("https://data.example-open-data.org/stations.xml", timeout=30)
# ruleid: xxe-pandas-read-xml-lxml
stations = read_xml(BytesIO(resp.content), parser="lxml")

# ruleid: xxe-pandas-read-xml-lxml
posts = pd.read_xml("data/Posts.xml", iterparse={"row": ["Id", "Score", "Body"]})

# ruleid: xxe-pandas-read-xml-lxml
flat = pd.read_xml("data/feed.xml", stylesheet="data/flatten.xsl")

with open("data/annotations.xml", "rb") as f:
    # ruleid: xxe-pandas-read-xml-lxml
    ann = pd.read_xml(
        f,
        xpath="//object",
    )

# ok: xxe-pandas-read-xml-lxml
books = pd.read_xml("/kaggle/input/books-xml/books.xml", parser="etree")

# ok: xxe-pandas-read-xml-lxml
posts = pd.read_xml("data/Posts.xml", parser="etree", iterparse={"row": ["Id", "Score"]})

# XML written in the notebook itself is not external input.
SAMPLE = """<data><row><shape>square</shape><sides>4</sides></row></data>"""
# ok: xxe-pandas-read-xml-lxml
demo = pd.read_xml(StringIO(SAMPLE))

# ok: xxe-pandas-read-xml-lxml
demo = pd.read_xml(io.StringIO("<data><row><a>1</a></row></data>"))

# ok: xxe-pandas-read-xml-lxml
xml_text = pd.DataFrame({"a": [1, 2]}).to_xml(parser="etree")
