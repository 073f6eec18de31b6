import importlib
import pickle
import sys

# ruleid: pickle-dynamic-import
codec = importlib.import_module("pickle")
# ruleid: pickle-dynamic-import
codec = __import__("dill")
# ruleid: pickle-dynamic-import
loads = getattr(pickle, "loads")
# ruleid: pickle-dynamic-import
codec = sys.modules["pickle"]
# ruleid: pickle-dynamic-import
codec = sys.modules.get("cloudpickle")

# ok: pickle-dynamic-import
codec = importlib.import_module("json")
# ok: pickle-dynamic-import
dumps = getattr(pickle, "dumps")
# ok: pickle-dynamic-import
proto = getattr(pickle, "HIGHEST_PROTOCOL")
# ok: pickle-dynamic-import
mod = importlib.import_module(f"plugins.{name}")
