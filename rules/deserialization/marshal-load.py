# Tests for marshal-load.
import marshal
import marshal as m
import types

# ruleid: marshal-load
code = marshal.loads(open("/kaggle/input/udf/fn.bin", "rb").read())
fn = types.FunctionType(code, globals())

with open("compiled.marshal", "rb") as f:
    # ruleid: marshal-load
    table = m.load(f)

# ruleid: marshal-load
obj = marshal.loads(
    bytes.fromhex("e9010000 00"),
)

# ok: marshal-load
blob = marshal.dumps(fn.__code__)
# ok: marshal-load
marshal.dump({"a": 1}, open("table.marshal", "wb"))
# ok: marshal-load
clone = marshal.loads(marshal.dumps({"a": 1}))


def from_import(data):
    from marshal import loads

    # ruleid: marshal-load
    return loads(data)
