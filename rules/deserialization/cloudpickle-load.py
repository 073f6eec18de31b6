# Notebook-style tests for cloudpickle-load.
import pickle

import cloudpickle
import cloudpickle as cp

# ruleid: cloudpickle-load
policy = cloudpickle.load(open("/kaggle/input/rl-agent/policy.pkl", "rb"))

with open("udf.cloudpickle", "rb") as f:
    # ruleid: cloudpickle-load
    udf = cp.load(f)

# ruleid: cloudpickle-load
fn = cloudpickle.loads(
    open("fn.bin", "rb").read()
)

# ok: cloudpickle-load
cloudpickle.dump(policy, open("policy.pkl", "wb"))
# ok: cloudpickle-load
payload = cloudpickle.dumps(lambda x: x + 1)
# ok: cloudpickle-load
clone = cloudpickle.loads(cloudpickle.dumps(udf))


def from_import(blob):
    from cloudpickle import loads

    # ruleid: cloudpickle-load
    return loads(blob)


def send_to_worker(f):
    # Serialising a closure with cloudpickle and reading it back with pickle in the same
    # process is a round trip, not a load of foreign bytes.
    # ok: cloudpickle-load
    return pickle.loads(cloudpickle.dumps(f))
