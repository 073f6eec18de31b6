"""An everyday training script with the mistakes mlhygiene exists to catch."""

import pickle

import joblib
import psycopg2
import pandas as pd
import requests
import torch
import yaml

DATA_URL = "http://example.com/datasets/titanic.csv"

df = pd.read_csv(DATA_URL)
tables = pd.read_html("https://en.wikipedia.org/wiki/List_of_datasets_for_machine-learning_research")
config = yaml.load(open("config.yaml"))

with open("features.pkl", "rb") as fh:
    features = pickle.load(fh)

clf = joblib.load("model.joblib")
state = torch.load("checkpoint.pt", map_location="cpu")
conn = psycopg2.connect(host="db.internal", user="analyst", password="Xk7#pLm2!qRz")
weights = requests.get("http://example.com/models/resnet50.pth").content

# Reviewed: produced by our own pipeline in this run.
cache = pickle.load(open("cache.pkl", "rb"))  # mlhygiene: ignore[pickle-load]

safe_state = torch.load("checkpoint.pt", weights_only=True)
