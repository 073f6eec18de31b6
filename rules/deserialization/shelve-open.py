# Notebook-style tests for shelve-open.
import shelve
import shelve as sh

# ruleid: shelve-open
db = shelve.open("/kaggle/input/embeddings-cache/emb.db")
emb = db["word2vec"]

# ruleid: shelve-open
with shelve.open("results", flag="r") as store:
    scores = store["cv"]

# ruleid: shelve-open
cache = sh.open("cache.shelf", "c", writeback=True)

# ruleid: shelve-open
s = shelve.DbfilenameShelf("cache.shelf", flag="r")

# A brand-new shelf has nothing foreign in it.
# ok: shelve-open
with shelve.open("fresh.db", "n") as out:
    out["cv"] = [0.91, 0.92]
# ok: shelve-open
fresh = shelve.open("fresh2.db", flag="n")
# ok: shelve-open
f = open("results.txt")


def from_import(path):
    from shelve import open as shelf_open

    # ruleid: shelve-open
    return shelf_open(path)
