# Test cases for xxe-pandas-read-html-lxml: pd.read_html with the (default) lxml parser.
import io
from io import StringIO

import pandas as pd
import requests
from pandas import read_html

WIKI = "https://en.wikipedia.org/wiki/List_of_countries_by_GDP_(nominal)"

# ruleid: xxe-pandas-read-html-lxml
tables = pd.read_html(WIKI)

# ruleid: xxe-pandas-read-html-lxml
gdp = pd.read_html("https://en.wikipedia.org/wiki/List_of_countries_by_population", match="Population")[0]

# ruleid: xxe-pandas-read-html-lxml
tables = read_html(io.StringIO(requests.get(WIKI, timeout=30).text), header=0)

# ruleid: xxe-pandas-read-html-lxml
tables = pd.read_html("data/report.html", flavor="lxml")

# ruleid: xxe-pandas-read-html-lxml
tables = pd.read_html("data/report.html", flavor=["lxml", "bs4"])

# ruleid: xxe-pandas-read-html-lxml
tables = pd.read_html("data/report.html", flavor=None, attrs={"class": "wikitable"})

with open("/kaggle/input/scraped/page_001.html") as f:
    # ruleid: xxe-pandas-read-html-lxml
    tables = pd.read_html(
        StringIO(f.read()),
        attrs={"id": "stats"},
    )

# ok: xxe-pandas-read-html-lxml
tables = pd.read_html(WIKI, flavor="bs4")

# ok: xxe-pandas-read-html-lxml
tables = pd.read_html(WIKI, flavor="html5lib", match="GDP")

# ok: xxe-pandas-read-html-lxml
tables = pd.read_html(WIKI, flavor=["bs4", "html5lib"])

# ok: xxe-pandas-read-html-lxml
tables = pd.read_html(WIKI, ".+", "bs4")

# HTML written in the notebook itself is not external input.
# ok: xxe-pandas-read-html-lxml
demo = pd.read_html(StringIO("<table><tr><th>a</th></tr><tr><td>1</td></tr></table>"))

# ok: xxe-pandas-read-html-lxml
demo = pd.read_html("<table><tr><td>1</td></tr></table>")

# ok: xxe-pandas-read-html-lxml
html_out = pd.DataFrame({"a": [1]}).to_html()

# --- a plain alias -------------------------------------------------------------------------
read_tables = pd.read_html
# ruleid: xxe-pandas-read-html-lxml
tables = read_tables(page_html)
# ok: xxe-pandas-read-html-lxml
tables = read_tables(page_html, flavor="bs4")
