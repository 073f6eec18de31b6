import json

import jsonpickle
from jsonpickle import decode as jp_decode

# ruleid: jsonpickle-decode
experiment = jsonpickle.decode(open("runs/exp42/state.json").read())
# ruleid: jsonpickle-decode
restored = jsonpickle.Unpickler().restore(json.loads(payload))
unpickler = jsonpickle.Unpickler(keys=True)
# ruleid: jsonpickle-decode
config = unpickler.restore(raw)
# ruleid: jsonpickle-decode
tracker = jp_decode(cache_blob)

# ok: jsonpickle-decode
blob = jsonpickle.encode(experiment)
# ok: jsonpickle-decode
settings = json.loads(open("runs/exp42/settings.json").read())
# ok: jsonpickle-decode
state = decoder.restore(raw)
