# Test cases for http-url-read-data: data readers given a plain http:// URL.
import io
import os

import dask.dataframe as dd
import imageio
import numpy as np
import pandas as pd
import polars as pl
import requests
import tensorflow as tf
from pandas import read_csv, read_excel
from pandas import read_json as rj
from skimage import io as skio

UCI = "http://archive.ics.uci.edu/ml/machine-learning-databases"
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]

# ruleid: http-url-read-data
df = pd.read_csv("http://archive.ics.uci.edu/ml/machine-learning-databases/adult/adult.data", header=None)

# ruleid: http-url-read-data
iris = pd.read_csv(UCI + "/iris/iris.data", names=COLUMNS)

# ruleid: http-url-read-data
wine = pd.read_csv(f"{UCI}/wine-quality/winequality-red.csv", sep=";")

# ruleid: http-url-read-data
housing = read_csv(filepath_or_buffer="http://lib.stat.cmu.edu/datasets/boston", sep=r"\s+", skiprows=22)

# ruleid: http-url-read-data
abalone = pd.read_csv("http:"
                      "//archive.ics.uci.edu/ml/machine-learning-databases/abalone/abalone.data")

# ruleid: http-url-read-data
credit = read_excel("http://archive.ics.uci.edu/ml/machine-learning-databases/00350/default%20of%20credit%20card%20clients.xls")

# ruleid: http-url-read-data
tweets = rj("http://data.example-open-data.org/tweets.json", lines=True)

# ruleid: http-url-read-data
tables = pd.read_html("http://www.espn.com/nba/statistics/player/_/stat/scoring-per-game")

# ruleid: http-url-read-data
trips = pd.read_parquet(path="http://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-01.parquet")

# ruleid: http-url-read-data
model_df = pd.read_pickle("http://example-lab.org/shared/features.pkl")

auto = pd.read_fwf(
    # ruleid: http-url-read-data
    "http://archive.ics.uci.edu/ml/machine-learning-databases/auto-mpg/auto-mpg.data",
    header=None,
    na_values="?",
)

for year in range(2015, 2020):
    # ruleid: http-url-read-data
    frames = pd.read_csv("http://www.stats.example.gov/data/{}.csv".format(year))


def load_split(name):
    # ruleid: http-url-read-data
    return pd.read_csv(UCI + "/covtype/" + name, compression="gzip")


# ruleid: http-url-read-data
ddf = dd.read_csv("http://data.example-open-data.org/taxi-*.csv")

# ruleid: http-url-read-data
pdf = pl.read_csv("http://data.example-open-data.org/taxi.csv")

# ruleid: http-url-read-data
arr = np.loadtxt("http://archive.ics.uci.edu/ml/machine-learning-databases/pima-indians-diabetes/pima-indians-diabetes.data", delimiter=",")

# ruleid: http-url-read-data
arr = np.genfromtxt(fname=UCI + "/spambase/spambase.data", delimiter=",")

ds = np.DataSource("/tmp/cache")
# ruleid: http-url-read-data
fh = ds.open("http://www.example-physics.org/events.txt")

# ruleid: http-url-read-data
img = skio.imread("http://images.cocodataset.org/val2017/000000039769.jpg")

# ruleid: http-url-read-data
img = imageio.imread("http://upload.example-wiki.org/Lenna.png")

# ok: http-url-read-data
df = pd.read_csv("https://raw.githubusercontent.com/mwaskom/seaborn-data/master/titanic.csv")

# ok: http-url-read-data
df = pd.read_csv("/kaggle/input/titanic/train.csv")

# ok: http-url-read-data
df = pd.read_csv(os.path.join("/kaggle/input", "house-prices", "train.csv"))

# ok: http-url-read-data
df = pd.read_json("http://localhost:5000/api/records")

# ok: http-url-read-data
df = pd.read_csv("http://127.0.0.1:8000/export.csv")

# ok: http-url-read-data
df = pd.read_csv(io.StringIO("a,b\n1,2\n"))

# The fetch is reported by http-url-fetch / http-url-download, not again here.
# ok: http-url-read-data
df = pd.read_csv(io.StringIO(requests.get("http://www.example-stats.org/data.csv").text))
resp = requests.get(UCI + "/letter-recognition/letter-recognition.data")
# ok: http-url-read-data
df = pd.read_csv(io.BytesIO(resp.content), header=None)
path = tf.keras.utils.get_file("heart.csv", "http://storage.example-bucket.org/heart.csv")
# ok: http-url-read-data
df = pd.read_csv(path)

# A URL column in the data is not a URL the reader fetches.
# ok: http-url-read-data
links = pd.read_csv("/kaggle/input/links/links.csv", usecols=["url"], na_values="http://none")

# ok: http-url-read-data
df = pd.read_csv(UCI.replace("http://", "https://") + "/iris/iris.data")


def load_table(url, sep=","):
    df = pd.read_csv(url, sep=sep, low_memory=False)
    return df.dropna()


def to_frame(records):
    return pd.DataFrame(records)


# ruleid: http-url-read-data
adult = load_table(UCI + "/adult/adult.test", sep=", ")
# ok: http-url-read-data
titanic = load_table("/kaggle/input/titanic/test.csv")
# ok: http-url-read-data
frame = to_frame("http://archive.ics.uci.edu/ml/datasets/Adult")

# --- URLs built at run time --------------------------------------------------------------
mirror = os.environ["DATA_MIRROR"]
# ruleid: http-url-read-data
df = pd.read_csv(f"http://{mirror}/adult/adult.data", header=None)
# ruleid: http-url-read-data
df = pd.read_parquet("http://" + mirror + "/train.parquet")
# ruleid: http-url-read-data
df = pd.read_json("http://{}/rows.json".format(mirror))
# ok: http-url-read-data
df = pd.read_csv(f"https://{mirror}/adult/adult.data", header=None)
# ok: http-url-read-data
df = pd.read_csv(f"http://localhost:8080/adult.data", header=None)

# --- other readers that fetch a URL --------------------------------------------------------
import lxml.etree
import lxml.html
from diffusers.utils import load_image

# ruleid: http-url-read-data
init = load_image("http://images.example-cdn.org/init/cat.png")
# ruleid: http-url-read-data
doc = lxml.html.parse("http://books.toscrape.com/index.html")
# ruleid: http-url-read-data
feed = lxml.etree.parse("http://feeds.example-news.org/rss.xml")
# ok: http-url-read-data
local = lxml.etree.parse("data/local.xml")
# ok: http-url-read-data
init = load_image("https://images.example-cdn.org/init/cat.png")
