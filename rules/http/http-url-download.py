# Test cases for http-url-download: model / dataset download helpers given a plain http:// URL.
import os
import urllib.request

import datasets
import gdown
import requests
import tensorflow as tf
import tensorflow_datasets as tfds
import torch
import wget
from datasets import load_dataset
from keras.utils import get_file
from torch.hub import load_state_dict_from_url
from torch.utils import model_zoo
from torchvision.datasets.utils import download_and_extract_archive, download_url

WEIGHTS_URL = "http://download.example-models.org/resnet50-0676ba61.pth"
GLOVE = "http://nlp.stanford.edu/data/glove.6B.zip"
SAFE_WEIGHTS_URL = "https://download.pytorch.org/models/resnet50-0676ba61.pth"

# ruleid: http-url-download
state = torch.hub.load_state_dict_from_url("http://download.example-models.org/vgg16-397923af.pth", progress=True)

# ruleid: http-url-download
state = load_state_dict_from_url(WEIGHTS_URL, map_location="cpu")

# ruleid: http-url-download
torch.hub.download_url_to_file(url=WEIGHTS_URL, dst="/tmp/resnet50.pth")

# ruleid: http-url-download
state = model_zoo.load_url("http://download.example-models.org/alexnet-owt-7be5be79.pth")

# ruleid: http-url-download
path = tf.keras.utils.get_file("aclImdb_v1.tar.gz", "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", untar=True)

path = get_file(
    fname="cats_and_dogs.zip",
    # ruleid: http-url-download
    origin="http://storage.example-bucket.org/mledu-datasets/cats_and_dogs_filtered.zip",
    extract=True,
)

# ruleid: http-url-download
filename = wget.download(GLOVE, out="/kaggle/working/")

# ruleid: http-url-download
gdown.download("http://drive.google.com/uc?id=1EXAMPLEfileIDonly", "weights.h5", quiet=False)

# ruleid: http-url-download
download_url("http://www.vision.caltech.edu/Image_Datasets/Caltech101/101_ObjectCategories.tar.gz", root="data")

# ruleid: http-url-download
download_and_extract_archive(GLOVE, download_root="data")

# ruleid: http-url-download
ds = load_dataset("csv", data_files="http://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data")

ds = datasets.load_dataset(
    "json",
    # ruleid: http-url-download
    data_files={"train": "http://example-lab.org/squad/train.json", "validation": "http://example-lab.org/squad/dev.json"},
)


def maybe_download(url, dest):
    if not os.path.exists(dest):
        urllib.request.urlretrieve(url, dest)
    return dest


# ruleid: http-url-download
maybe_download("http://mattmahoney.net/dc/text8.zip", "text8.zip")

_URL = "http://www.cs.cmu.edu/~ark/personas/data/MovieSummaries.tar.gz"


class MovieSummaries(datasets.GeneratorBasedBuilder):
    def _split_generators(self, dl_manager):
        # ruleid: http-url-download
        archive = dl_manager.download_and_extract(_URL)
        # ok: http-url-download
        extra = dl_manager.download_and_extract("https://example-lab.org/extra.tar.gz")
        return [archive, extra]


# ruleid: http-url-download
tfds.download.DownloadManager(download_dir="/tmp/dl").download(f"{GLOVE}?mirror=1")

from fastai.vision.all import untar_data

# ruleid: http-url-download
path = untar_data("http://files.example-lab.org/imagenette2-160.tgz")

# ok: http-url-download
state = torch.hub.load_state_dict_from_url(SAFE_WEIGHTS_URL, check_hash=True)

# ok: http-url-download
path = tf.keras.utils.get_file("heart.csv", "https://storage.googleapis.com/download.tensorflow.org/data/heart.csv")

# ok: http-url-download
path = get_file(origin="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip", extract=True)

# ok: http-url-download
filename = wget.download("https://nlp.stanford.edu/data/glove.6B.zip")

# ok: http-url-download
maybe_download(GLOVE.replace("http://", "https://"), "glove.zip")

# ok: http-url-download
ds = load_dataset("imdb")

# ok: http-url-download
ds = load_dataset("csv", data_files="/kaggle/input/iris/Iris.csv")

# ok: http-url-download
ds = load_dataset("text", data_files="http://localhost:8000/corpus.txt")

# The homepage / citation strings of a dataset builder are not downloaded.
_HOMEPAGE = "http://www.cs.cmu.edu/~ark/personas/"
info = datasets.DatasetInfo(description="Movie summaries", homepage=_HOMEPAGE)

# get_file's first argument is a file name, never fetched.
# ok: http-url-download
path = get_file("http_mirror_copy.zip", "https://example-lab.org/files/copy.zip")

# A URL that an API hands back is not known to be http://.
release = requests.get("https://api.github.com/repos/ultralytics/yolov5/releases/latest").json()
# ok: http-url-download
torch.hub.download_url_to_file(release["assets"][0]["browser_download_url"], "yolov5s.pt")

# nltk.download takes a package id.
import nltk

# ok: http-url-download
nltk.download("punkt")

# --- URLs built at run time --------------------------------------------------------------
model_host = os.environ["MODEL_HOST"]
# ruleid: http-url-download
state = torch.hub.load_state_dict_from_url(f"http://{model_host}/vgg16.pth", progress=True)
# ruleid: http-url-download
state = torch.hub.load_state_dict_from_url("http://%s/resnet50.pth" % model_host)
# ok: http-url-download
state = torch.hub.load_state_dict_from_url(f"https://{model_host}/vgg16.pth", progress=True)
