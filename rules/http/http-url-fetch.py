# Test cases for http-url-fetch: HTTP client calls that go to a plain http:// URL.
import io
import json
import os
import urllib
import urllib.request
import zipfile
from urllib.parse import urljoin, urlparse
from urllib.request import Request, urlopen, urlretrieve
from urllib.request import urlopen as fetch_url

import aiohttp
import feedparser
import httpx
import pandas as pd
import requests
import urllib3
from bs4 import BeautifulSoup
from PIL import Image
from requests import get as http_get
from selenium import webdriver

DATA_URL = "http://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data"
BASE = "http://files.grouplens.org/datasets/movielens"
SECURE_BASE = "https://files.grouplens.org/datasets/movielens"
API = "http://api.example-weather.org/v1"

# --- requests ------------------------------------------------------------------

# ruleid: http-url-fetch
r = requests.get("http://images.cocodataset.org/annotations/annotations_trainval2017.zip")

# ruleid: http-url-fetch
resp = requests.get(DATA_URL, timeout=30)

# ruleid: http-url-fetch
resp = requests.get(BASE + "/ml-100k.zip", stream=True)

# ruleid: http-url-fetch
resp = requests.get(f"{BASE}/ml-1m.zip")

# ruleid: http-url-fetch
resp = requests.get(url="http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")

# ruleid: http-url-fetch
img = Image.open(requests.get("http://farm4.staticflickr.com/3153/2970773875_164f0c0b83_z.jpg", stream=True).raw)

# ruleid: http-url-fetch
resp = requests.post(API + "/predict", json={"text": "hello"})

requests.put(
    # ruleid: http-url-fetch
    "http://model-registry.internal.example.org/models/bert/1",
    data=open("model.onnx", "rb"),
)

# ruleid: http-url-fetch
resp = http_get("http://www.gutenberg.org/files/1342/1342-0.txt")

# ruleid: http-url-fetch
resp = requests.request("GET", "http://mattmahoney.net/dc/text8.zip")

for page in range(1, 5):
    # ruleid: http-url-fetch
    resp = requests.get("http://quotes.toscrape.com/page/{}/".format(page))
    # ruleid: http-url-fetch
    resp = requests.get("http://quotes.toscrape.com/page/%d/" % page)
    url = f"http://books.toscrape.com/catalogue/page-{page}.html"
    # ruleid: http-url-fetch
    html = requests.get(url).text

MIRRORS = {
    "train": "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz",
    "test": "http://yann.lecun.com/exdb/mnist/t10k-images-idx3-ubyte.gz",
}
for split, url in MIRRORS.items():
    # ruleid: http-url-fetch
    with requests.get(url, stream=True) as r:
        r.raise_for_status()

urls = ["http://nlp.stanford.edu/data/glove.6B.zip"]
for i, u in enumerate(urls):
    # ruleid: http-url-fetch
    requests.get(u)


def download_glove(dest):
    # ruleid: http-url-fetch
    r = requests.get(BASE + "/glove.zip")
    with open(dest, "wb") as f:
        f.write(r.content)


# ruleid: http-url-fetch
r = requests.get(urljoin(BASE, "ml-25m.zip"))

# ruleid: http-url-fetch
r = requests.get(os.path.join(BASE, "ml-latest-small.zip"))

# ok: http-url-fetch
r = requests.get("https://files.grouplens.org/datasets/movielens/ml-100k.zip")

# ok: http-url-fetch
r = requests.get(SECURE_BASE + "/ml-100k.zip")

# ok: http-url-fetch
r = requests.get(f"{SECURE_BASE}/ml-1m.zip")

# ok: http-url-fetch
r = requests.post("http://localhost:8501/v1/models/resnet:predict", json={"instances": []})

# ok: http-url-fetch
r = requests.get("http://127.0.0.1:5000/health")

# ok: http-url-fetch
r = requests.post(f"http://localhost:{8080}/invocations", data="x")

# ok: http-url-fetch
r = requests.get("http://0.0.0.0:8000/docs")

# ok: http-url-fetch
r = requests.get("http://[::1]:8888/api/kernels")

# ok: http-url-fetch
r = requests.get("http://host.docker.internal:11434/api/tags")

# --- URLs built at run time: the host is unknown, the scheme is plain http -------------

host, port = os.environ["SERVE_HOST"], 9000
# ruleid: http-url-fetch
r = requests.get(f"http://{host}:{port}/predict")
# ruleid: http-url-fetch
r = requests.get("http://" + host + "/metrics")
# ruleid: http-url-fetch
page = urllib.request.urlopen("http://{}/sitemap.xml".format(host)).read()
# ruleid: http-url-fetch
page = urllib.request.urlopen("http://%s:%d/sitemap.xml" % (host, port)).read()
# ruleid: http-url-fetch
r = requests.get(F"HTTP://{host}/status")
# ruleid: http-url-fetch
r = requests.get("http://www." + os.environ["SITE"] + "/robots.txt")
base = f"http://{host}:{port}"
# ruleid: http-url-fetch
r = requests.post(base + "/v1/predict", json={"x": 1})
# ok: http-url-fetch
r = requests.get(f"https://{host}:{port}/predict")
# ok: http-url-fetch
r = requests.get(f"http://localhost:{port}/predict")
# ok: http-url-fetch
r = requests.get(f"http://127.0.0.1:{port}/health")
# ok: http-url-fetch
r = requests.get(f"{scheme}://{host}/predict")
# ok: http-url-fetch
r = requests.get(link) if link.startswith("http://") else None
# ok: http-url-fetch
r = requests.get("https://" + host + "/metrics")

# ok: http-url-fetch
r = requests.get("https://web.archive.org/web/2019/" + DATA_URL)

# ok: http-url-fetch
r = requests.get(DATA_URL.replace("http://", "https://"))

# The http:// string goes only to a header, params, proxies or a log line.
# ok: http-url-fetch
r = requests.get("https://api.github.com/repos/x/y", headers={"Referer": "http://example.org/"})
# ok: http-url-fetch
r = requests.get("https://pypi.org/simple/", proxies={"http": "http://proxy.corp.example:3128"})
print("Downloading from http://yann.lecun.com/exdb/mnist/ ...")
link = urlparse("http://yann.lecun.com/exdb/mnist/")
meta = {"homepage": "http://yann.lecun.com/exdb/mnist/", "license": "CC BY-SA 3.0"}
# ok: http-url-fetch
r = requests.get("https://example.org/api", params={"source": meta["homepage"]})

# Links found in a fetched page are not themselves known to be http://.
page = requests.get("https://en.wikipedia.org/wiki/List_of_datasets")
soup = BeautifulSoup(page.text, "html.parser")
for a in soup.find_all("a"):
    # ok: http-url-fetch
    requests.get(a["href"])

# todook: http-url-fetch
r = requests.get(DATA_URL if False else "https://example.org/iris.data")

# --- sessions and clients ------------------------------------------------------

session = requests.Session()
session.headers.update({"User-Agent": "kaggle-notebook"})
# ruleid: http-url-fetch
r = session.get("http://www.cs.cmu.edu/~enron/enron_mail_20150507.tar.gz")

with requests.Session() as s:
    # ruleid: http-url-fetch
    s.post(API + "/login", data={"user": "me"})

# ruleid: http-url-fetch
r = requests.Session().get(DATA_URL)

# ok: http-url-fetch
r = session.get("https://www.kaggle.com/api/v1/datasets/list")

cache = {}
# ok: http-url-fetch
hit = cache.get(DATA_URL)

# ruleid: http-url-fetch
r = httpx.get("http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz")

with httpx.Client(timeout=60) as client:
    # ruleid: http-url-fetch
    r = client.get(API + "/forecast")
    # ok: http-url-fetch
    r = client.get("https://api.open-meteo.com/v1/forecast")


async def fetch_all(names):
    async with httpx.AsyncClient() as client:
        # ruleid: http-url-fetch
        await client.post(f"{API}/batch", json=names)
    async with aiohttp.ClientSession() as session:
        for name in names:
            # ruleid: http-url-fetch
            async with session.get(f"http://images.example-cdn.net/{name}.jpg") as resp:
                await resp.read()
    async with aiohttp.ClientSession() as session:
        # ok: http-url-fetch
        async with session.get(f"https://images.example-cdn.net/{names[0]}.jpg") as resp:
            await resp.read()


pool = urllib3.PoolManager()
# ruleid: http-url-fetch
r = pool.request("GET", "http://www.statmt.org/wmt14/training-monolingual-news-crawl/news.2013.en.shuffled.gz")

driver = webdriver.Chrome()
# ruleid: http-url-fetch
driver.get("http://quotes.toscrape.com/js/")

# --- urllib --------------------------------------------------------------------

# ruleid: http-url-fetch
with urllib.request.urlopen("http://www.manythings.org/anki/fra-eng.zip") as f:
    archive = zipfile.ZipFile(io.BytesIO(f.read()))

# ruleid: http-url-fetch
data = json.loads(fetch_url(API + "/stations").read())

# ruleid: http-url-fetch
urlretrieve("http://www.cs.cornell.edu/people/pabo/movie-review-data/review_polarity.tar.gz", "rt.tar.gz")

# ruleid: http-url-fetch
urllib.request.urlretrieve(url=DATA_URL, filename="iris.data")

# ruleid: http-url-fetch
req = Request("http://www.gutenberg.org/cache/epub/11/pg11.txt", headers={"User-Agent": "Mozilla/5.0"})
text = urlopen(req).read().decode("utf-8")

# ruleid: http-url-fetch
text = urlopen(Request(DATA_URL, headers={"User-Agent": "Mozilla/5.0"})).read()

# ok: http-url-fetch
urlretrieve("https://raw.githubusercontent.com/jbrownlee/Datasets/master/airline-passengers.csv", "air.csv")

# ok: http-url-fetch
html = urlopen(Request("https://www.imdb.com/chart/top/", headers={"User-Agent": "x"})).read()

# --- feedparser -------------------------------------------------------------

# ruleid: http-url-fetch
feed = feedparser.parse("http://feeds.bbci.co.uk/news/rss.xml")

# ok: http-url-fetch
feed = feedparser.parse("https://feeds.bbci.co.uk/news/rss.xml")

# --- not a fetch ------------------------------------------------------------

"""
Data: http://archive.ics.uci.edu/ml/datasets/Adult (see the docstring, not fetched)
"""
# Download http://archive.ics.uci.edu/ml/datasets/Adult by hand first.
df = pd.DataFrame({"source": ["http://archive.ics.uci.edu/ml/datasets/Adult"]})
# ok: http-url-fetch
df.to_csv("sources.csv")

# --- helpers defined in the notebook ------------------------------------------


def get_page(url, retries=3):
    for _ in range(retries):
        try:
            return requests.get(url, timeout=10).text
        except requests.RequestException:
            continue
    return None


def fetch_json(endpoint):
    with urllib.request.urlopen(endpoint + "?format=json") as f:
        return json.load(f)


def log_source(url):
    print("source:", url)


def search(query):
    return requests.get("https://api.example-search.org/?q=" + query).json()


# ruleid: http-url-fetch
html = get_page("http://books.toscrape.com/index.html")
# ruleid: http-url-fetch
stations = fetch_json(API + "/stations")
# ok: http-url-fetch
html = get_page("https://books.toscrape.com/index.html")
# ok: http-url-fetch
log_source("http://books.toscrape.com/index.html")
# ok: http-url-fetch
hits = search("http://books.toscrape.com")

# --- hosts that are not on the open network ----------------------------------------

# ok: http-url-fetch
r = requests.post("http://mlflow:5000/api/2.0/mlflow/runs/create", json={})
# ok: http-url-fetch
r = requests.get("http://169.254.169.254/latest/meta-data/instance-id")
# ok: http-url-fetch
r = requests.get("http://metadata.google.internal/computeMetadata/v1/project/project-id", headers={"Metadata-Flavor": "Google"})
# ok: http-url-fetch
r = requests.post("http://triton.inference.svc.cluster.local:8000/v2/models/bert/infer", json={})
# ruleid: http-url-fetch
r = requests.post("http://192.168.1.20:8000/predict", json={"x": [1, 2, 3]})

# --- experiment trackers and URL openers ---------------------------------------------------
import mlflow

# ruleid: http-url-fetch
mlflow.set_tracking_uri("http://mlflow.example-lab.org:5000")
# ruleid: http-url-fetch
os.environ["MLFLOW_TRACKING_URI"] = "http://mlflow.example-lab.org:5000"
# ruleid: http-url-fetch
client = mlflow.tracking.MlflowClient(tracking_uri="http://mlflow.example-lab.org")
# ok: http-url-fetch
mlflow.set_tracking_uri("http://localhost:5000")
# ok: http-url-fetch
mlflow.set_tracking_uri("https://mlflow.example-lab.org")
# ok: http-url-fetch
os.environ["HOMEPAGE"] = "http://example-lab.org"
# ruleid: http-url-fetch
page = urllib.request.URLopener().open("http://example-data.org/x.csv")
legacy = urllib.request.FancyURLopener()
# ruleid: http-url-fetch
legacy.retrieve("http://example-data.org/x.csv", "x.csv")
