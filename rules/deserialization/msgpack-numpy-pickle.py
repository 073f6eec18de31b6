import functools

import msgpack
import msgpack_numpy as mnp
from msgpack_numpy import decode as np_decode

# ruleid: msgpack-numpy-pickle
mnp.patch()
# ruleid: msgpack-numpy-pickle
batch = msgpack.unpackb(blob, object_hook=mnp.decode)
# ruleid: msgpack-numpy-pickle
batch = msgpack.unpackb(blob, raw=False, object_hook=np_decode)
# ruleid: msgpack-numpy-pickle
frames = mnp.unpackb(message)
# ruleid: msgpack-numpy-pickle
reader = msgpack.Unpacker(stream, object_hook=functools.partial(mnp.decode, chain=None))

# ok: msgpack-numpy-pickle
plain = msgpack.unpackb(blob, raw=False)
# ok: msgpack-numpy-pickle
packed = msgpack.packb(batch, default=mnp.encode)
# ok: msgpack-numpy-pickle
payload = mnp.packb(arrays)
