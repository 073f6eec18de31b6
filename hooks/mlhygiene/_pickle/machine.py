"""A symbolic pickle machine: walks the opcodes, never builds or imports anything.

It keeps just enough of the stack and memo to resolve every ``GLOBAL``, ``STACK_GLOBAL``
(the two strings before it, pushed or fetched from the memo), ``INST`` and ``EXT*``
reference, to see ``BUILD`` applied to an imported object, to follow the nested
``torch.load`` of ``torch.storage._load_from_bytes``, and to skip the raw array data
joblib writes into the middle of its pickle stream.
"""

from __future__ import annotations

import pickletools
import re
import struct
from collections.abc import Callable
from typing import IO, Any, NamedTuple, cast

from mlhygiene._pickle.arrays import joblib_layout
from mlhygiene._pickle.stream import LimitReached, LineTooLong, Stream, Unreadable
from mlhygiene._pickle.values import (
    BUILD_NOTE,
    COMPUTED,
    EXTENSION,
    KEEP_ITEMS,
    OPAQUE,
    Blob,
    Call,
    Dict,
    Global,
    Ref,
    Seq,
)

KEEP_BYTES = 1 << 10  # longer strings/bytes are skipped, not held (the memo would keep them)
NESTED_MAX = 1 << 26  # bytes handed to a nested loader that we keep to check them
MAX_OPS = 50_000_000
HIGHEST_PROTOCOL = 5
MAX_DEPTH = 4  # nested pickles (joblib object arrays) inside a pickle
NESTED_LOADERS = frozenset({("torch.storage", "_load_from_bytes")})
LATIN1_ENCODE = ("_codecs", "encode")
# ``getattr(SomeClass, "name")`` is how pickle writes a classmethod (pandas writes
# ``zoneinfo.ZoneInfo._unpickle`` so): a call with literal arguments is judged as the attribute
# it reaches; any other use of getattr is reported.
GETATTR = Global("builtins", "getattr")
GETATTR_NAMES = frozenset({("builtins", "getattr"), ("__builtin__", "getattr")})
PENDING = "getattr, pending"
JOBLIB_WRAPPERS = frozenset(
    {
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
    }
)
_BLOBS = {  # opcode -> (length prefix size, signed, kind of value)
    "BINSTRING": (4, True, "str"), "SHORT_BINSTRING": (1, False, "str"),
    "BINBYTES": (4, False, "bytes"), "SHORT_BINBYTES": (1, False, "bytes"),
    "BINBYTES8": (8, False, "bytes"), "BYTEARRAY8": (8, False, "bytes"),
    "BINUNICODE": (4, False, "utf8"), "SHORT_BINUNICODE": (1, False, "utf8"),
    "BINUNICODE8": (8, False, "utf8"), "LONG4": (4, True, "long"),
}


OPCODES = {ord(op.code): op for op in pickletools.opcodes}


class Walk(NamedTuple):
    refs: list[Ref]
    value: Any  # the (symbolic) object the pickle returns
    nested: list[tuple[int, bytes]]  # (offset, data) handed to a nested loader
    unchecked: list[str]  # what a nested loader would load that we could not follow
    joblib_arrays: int  # raw arrays skipped
    called: frozenset[Global] = frozenset()  # what REDUCE/NEWOBJ/OBJ/INST/BUILD would call


class Malformed(Unreadable):
    """The stream is not a valid pickle; ``partial`` holds what was seen before the error."""

    def __init__(self, message: str, partial: Walk, *, limit: bool = False) -> None:
        super().__init__(message)
        self.partial = partial
        self.limit = limit  # over a size limit rather than malformed


def _run(code: int, fmt: str) -> tuple[re.Pattern[bytes], struct.Struct]:
    """A regex for a run of one fixed-width opcode, and the struct that unpacks one of them."""
    one = struct.Struct(fmt)
    return re.compile(rb"(?:%s[\s\S]{%d})+" % (re.escape(bytes([code])), one.size - 1)), one


# BINFLOAT, BININT1, BININT2, BININT: long lists of numbers are runs of these
_RUNS = {code: _run(code, fmt) for code, fmt in ((0x47, ">xd"), (0x4B, "<xB"), (0x4D, "<xH"), (0x4A, "<xi"))}


_CONSTANTS: dict[int, Callable[[], Any]] = {
    0x4E: lambda: None, 0x88: lambda: True, 0x89: lambda: False,
    0x5D: Seq, 0x8F: Seq, 0x7D: Dict, 0x29: tuple,
}


_LINE_OPS = frozenset({0x70, 0x67, 0x49, 0x56})


def _tuple(items: list[Any]) -> tuple[Any, ...]:
    return tuple(items[:KEEP_ITEMS])


class _Machine:
    def __init__(self, stream: Stream, depth: int, joblib: bool) -> None:
        self.s = stream
        self.depth = depth
        self.joblib = joblib
        self.stack: list[Any] = []
        self.marks: list[int] = []  # stack heights at each open MARK
        self.memo: dict[int, Any] = {}
        self.refs: list[Ref] = []
        self.nested: list[tuple[int, bytes]] = []
        self.unchecked: list[str] = []
        self.arrays = 0
        self.offset = 0
        self.called: set[Global] = set()
        self.getattr_pushes = 0  # getattr put on the stack (created or fetched from the memo)
        self.getattr_calls = 0  # ... and consumed by a getattr(Global, "literal") call
        self.handlers: dict[str, Callable[[Any], None]] = {
            op.name: getattr(self, f"op_{op.name}", self.push) for op in pickletools.opcodes
        }

    def result(self, value: Any = OPAQUE) -> Walk:
        if self.getattr_pushes == self.getattr_calls:  # every use resolved to an attribute
            refs = [r for r in self.refs if r.note != PENDING]
        else:
            refs = [r._replace(note="") if r.note == PENDING else r for r in self.refs]
        return Walk(refs, value, self.nested, self.unchecked, self.arrays, frozenset(self.called))

    def fail(self, message: str) -> Malformed:
        return Malformed(message, self.result())

    def run(self) -> Walk:
        try:
            return self.loop()
        except Malformed:
            raise
        except Unreadable as exc:  # truncated, or over a limit: keep what was seen
            raise Malformed(str(exc), self.result(), limit=isinstance(exc, LimitReached)) from None

    def loop(self) -> Walk:
        ops = 0
        while True:
            ops += self.fast()
            self.offset = self.s.pos
            code = self.s.read(1)
            if not code:
                raise self.fail(f"truncated: the stream ends at offset {self.offset} before STOP")
            op = OPCODES.get(code[0])
            if op is None:
                raise self.fail(f"unknown opcode 0x{code[0]:02x} at offset {self.offset}")
            ops += 1
            if ops > MAX_OPS:
                raise LimitReached(f"more than {MAX_OPS} opcodes (limit reached)")
            arg = self.argument(op)
            if op.name == "STOP":
                return self.result(self.pop())
            self.handlers[op.name](arg)

    def fast(self) -> int:
        """Consume the plain-data opcodes at the head of the buffer inline; how many."""
        s, stack, memo, marks = self.s, self.stack, self.memo, self.marks
        buf, i, count = s.buf, s.i, 0
        end = len(buf) - 300  # every argument read below fits in the margin
        push = stack.append
        while i < end:
            c = buf[i]
            if c == 0x94:  # MEMOIZE
                if len(stack) <= (marks[-1] if marks else 0):
                    break
                memo[len(memo)] = stack[-1]
                i += 1
            elif c == 0x8C:  # SHORT_BINUNICODE
                n = buf[i + 1]
                try:
                    push(buf[i + 2 : i + 2 + n].decode("utf-8", "surrogatepass"))
                except UnicodeDecodeError:
                    break
                i += 2 + n
            elif c in _RUNS:  # BINFLOAT, BININT1, BININT2, BININT
                pattern, unpack = _RUNS[c]
                if buf[i + unpack.size] != c:
                    push(unpack.unpack_from(buf, i)[0])
                    i += unpack.size
                else:  # a run of them (a long list of numbers): all at once
                    match = pattern.match(buf, i, end)
                    if match is None:
                        break
                    values = [v for (v,) in unpack.iter_unpack(buf[i : match.end()])]
                    stack.extend(values)
                    count += len(values) - 1
                    i = match.end()
            elif c == 0x71:  # BINPUT
                if len(stack) <= (marks[-1] if marks else 0):
                    break
                memo[buf[i + 1]] = stack[-1]
                i += 2
            elif c == 0x72:  # LONG_BINPUT
                if len(stack) <= (marks[-1] if marks else 0):
                    break
                memo[int.from_bytes(buf[i + 1 : i + 5], "little")] = stack[-1]
                i += 5
            elif c == 0x68 or c == 0x6A:  # BINGET, LONG_BINGET
                key = buf[i + 1] if c == 0x68 else int.from_bytes(buf[i + 1 : i + 5], "little")
                if key not in memo:
                    break
                value = memo[key]
                if value is GETATTR:
                    self.getattr_pushes += 1
                push(value)
                i += 2 if c == 0x68 else 5
            elif c == 0x58 or c == 0x55:  # BINUNICODE (short ones), SHORT_BINSTRING
                n = buf[i + 1] if c == 0x55 else int.from_bytes(buf[i + 1 : i + 5], "little")
                start = i + (2 if c == 0x55 else 5)
                if n > 256:
                    break
                try:
                    push(buf[start : start + n].decode("latin-1" if c == 0x55 else "utf-8", "surrogatepass"))
                except UnicodeDecodeError:
                    break
                i = start + n
            elif c == 0x61 or c == 0x73:  # APPEND, SETITEM
                take = 2 if c == 0x61 else 3
                if len(stack) - take < (marks[-1] if marks else 0):
                    break
                if c == 0x73 and isinstance(stack[-3], Dict):
                    stack[-3].add(stack[-2:])
                del stack[1 - take :]
                i += 1
            elif c in _LINE_OPS:  # protocol 0: PUT, GET, INT, UNICODE
                nl = buf.find(b"\n", i + 1, i + 300)
                if nl == -1 or not self.line_op(c, buf[i + 1 : nl]):
                    break
                i = nl + 1
            elif c == 0x43:  # SHORT_BINBYTES
                n = buf[i + 1]
                push(buf[i + 2 : i + 2 + n])
                i += 2 + n
            elif c == 0x28:  # MARK
                marks.append(len(stack))
                i += 1
            elif c in _CONSTANTS:
                push(_CONSTANTS[c]())
                i += 1
            elif c == 0x95:  # FRAME
                i += 9
            else:
                break
            count += 1
        s.i = i
        return count

    def line_op(self, c: int, line: bytes) -> bool:
        """A short protocol-0 PUT/GET/INT/UNICODE (False: leave it to the general path)."""
        stack, memo = self.stack, self.memo
        try:
            if c == 0x56:  # UNICODE
                stack.append(line.decode("raw-unicode-escape"))
                return True
            number = int(line)
        except (ValueError, UnicodeDecodeError):
            return False
        if c == 0x49:  # INT ("00"/"01" are False/True)
            stack.append(bool(number) if line in (b"00", b"01") else number)
        elif c == 0x67:  # GET
            if number not in memo:
                return False
            if memo[number] is GETATTR:
                self.getattr_pushes += 1
            stack.append(memo[number])
        elif len(stack) <= self.fence() or number < 0:  # PUT
            return False
        else:
            memo[number] = stack[-1]
        return True

    # -- arguments --------------------------------------------------------------------
    def argument(self, op: pickletools.OpcodeInfo) -> Any:
        if op.arg is None:
            return None
        if op.name in _BLOBS:
            return self.blob(*_BLOBS[op.name])
        if op.name in ("GLOBAL", "INST"):
            return self.name_line(), self.name_line()
        try:
            if op.name == "STRING" and self.s.peek(1) not in (b"'", b'"', b""):  # the unpickler's check
                raise self.fail(f"bad STRING argument at offset {self.offset} (no quote)")
            return op.arg.reader(cast(IO[bytes], _Lines(self.s, op.name in ("STRING", "UNICODE"))))
        except LineTooLong:
            if op.name in ("STRING", "UNICODE"):  # a long protocol-0 string: skipped
                return OPAQUE
            raise self.fail(f"{op.name} argument longer than 1 MiB at offset {self.offset}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise self.fail(f"bad {op.name} argument at offset {self.offset} ({exc})") from None

    def name_line(self) -> str:
        try:
            return self.s.readline(skip_long=False)[:-1].decode("utf-8")
        except LineTooLong:
            raise self.fail(f"a global name longer than 1 MiB at offset {self.offset}") from None
        except UnicodeDecodeError:
            raise self.fail(f"a global name that is not UTF-8 at offset {self.offset}") from None

    def blob(self, width: int, signed: bool, kind: str) -> Any:
        size = int.from_bytes(self.s.exact(width, "length"), "little", signed=signed)
        if size < 0:
            raise self.fail(f"negative length at offset {self.offset}")
        keep = size <= KEEP_BYTES or (size <= NESTED_MAX and kind != "long" and self.feeds_loader())
        if not keep:
            self.s.skip(size, "argument")
            return Blob(size)
        data = self.s.exact(size, "argument")
        if kind == "long":
            return OPAQUE if size > 64 else int.from_bytes(data, "little", signed=True)
        if kind == "bytes":
            return data
        try:
            return data.decode("utf-8" if kind == "utf8" else "latin-1", "surrogatepass")
        except UnicodeDecodeError:
            raise self.fail(f"bad UTF-8 string at offset {self.offset}") from None

    def feeds_loader(self) -> bool:
        """Is this argument on its way to a nested loader (perhaps via ``_codecs.encode``)?"""
        return any(isinstance(v, Global) and v in NESTED_LOADERS for v in self.stack[-3:])

    # -- the stack ----------------------------------------------------------------------
    def fence(self) -> int:
        """Values below the last MARK are not for the current opcode to take."""
        return self.marks[-1] if self.marks else 0

    def pop(self) -> Any:
        if len(self.stack) <= self.fence():
            raise self.fail(f"stack underflow at offset {self.offset}")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise self.fail(f"no MARK before offset {self.offset}")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self) -> Any:
        if len(self.stack) <= self.fence():
            raise self.fail(f"stack underflow at offset {self.offset}")
        return self.stack[-1]

    def push(self, value: Any) -> None:
        self.stack.append(value)

    def reference(self, module: Any, name: Any, note: str = "") -> Global:
        if not isinstance(module, str) or not isinstance(name, str):
            raise self.fail(f"a global name that is not a string at offset {self.offset}")
        if (module, name) in GETATTR_NAMES and not note:
            self.refs.append(Ref(module, name, self.offset, PENDING))
            self.getattr_pushes += 1
            return GETATTR
        self.refs.append(Ref(module, name, self.offset, note))
        return Global(module, name)

    # -- opcodes (the rest push their argument: ints, floats, strings, bytes) -----------
    def op_NEXT_BUFFER(self, _: None) -> None:
        self.push(OPAQUE)

    def op_READONLY_BUFFER(self, _: None) -> None:
        self.top()

    def op_NONE(self, _: None) -> None:
        self.push(None)

    def op_NEWTRUE(self, _: None) -> None:
        self.push(True)

    def op_NEWFALSE(self, _: None) -> None:
        self.push(False)

    def op_EMPTY_LIST(self, _: None) -> None:
        self.push(Seq())

    op_EMPTY_SET = op_EMPTY_LIST

    def op_APPEND(self, _: None) -> None:
        self.pop()
        self.top()

    def op_APPENDS(self, _: None) -> None:
        self.pop_mark()
        self.top()

    op_ADDITEMS = op_APPENDS

    def op_LIST(self, _: None) -> None:
        self.pop_mark()
        self.push(Seq())

    op_FROZENSET = op_LIST

    def op_EMPTY_TUPLE(self, _: None) -> None:
        self.push(())

    def op_TUPLE(self, _: None) -> None:
        self.push(_tuple(self.pop_mark()))

    def op_TUPLE1(self, _: None) -> None:
        self.push((self.pop(),))

    def op_TUPLE2(self, _: None) -> None:
        b, a = self.pop(), self.pop()
        self.push((a, b))

    def op_TUPLE3(self, _: None) -> None:
        c, b, a = self.pop(), self.pop(), self.pop()
        self.push((a, b, c))

    def op_EMPTY_DICT(self, _: None) -> None:
        self.push(Dict())

    def op_DICT(self, _: None) -> None:
        d = Dict()
        d.add(self.pop_mark())
        self.push(d)

    def op_SETITEM(self, _: None) -> None:
        value, key = self.pop(), self.pop()
        target = self.top()
        if isinstance(target, Dict):
            target.add([key, value])

    def op_SETITEMS(self, _: None) -> None:
        items = self.pop_mark()
        target = self.top()
        if isinstance(target, Dict):
            target.add(items)

    def op_POP(self, _: None) -> None:
        if len(self.stack) > self.fence():
            self.stack.pop()
        elif self.marks:
            self.marks.pop()
        else:
            raise self.fail(f"stack underflow at offset {self.offset}")

    def op_DUP(self, _: None) -> None:
        if self.top() is GETATTR:
            self.getattr_pushes += 1
        self.push(self.top())

    def op_MARK(self, _: None) -> None:
        self.marks.append(len(self.stack))

    def op_POP_MARK(self, _: None) -> None:
        self.pop_mark()

    def op_GET(self, index: int) -> None:
        if index not in self.memo:
            raise self.fail(f"memo key {index} read before it is set at offset {self.offset}")
        if self.memo[index] is GETATTR:
            self.getattr_pushes += 1
        self.push(self.memo[index])

    op_BINGET = op_LONG_BINGET = op_GET

    def op_PUT(self, index: int) -> None:
        if index < 0:
            raise self.fail(f"negative memo key at offset {self.offset}")
        self.memo[index] = self.top()

    op_BINPUT = op_LONG_BINPUT = op_PUT

    def op_MEMOIZE(self, _: None) -> None:
        self.memo[len(self.memo)] = self.top()

    def op_EXT1(self, code: int) -> None:
        self.refs.append(Ref("copyreg", f"<extension code {code}>", self.offset, EXTENSION))
        self.push(Global("copyreg", f"<extension code {code}>"))

    op_EXT2 = op_EXT4 = op_EXT1

    def op_GLOBAL(self, arg: tuple[str, str]) -> None:
        self.push(self.reference(*arg))

    def op_STACK_GLOBAL(self, _: None) -> None:
        name, module = self.pop(), self.pop()
        if isinstance(module, str) and isinstance(name, str):
            self.push(self.reference(module, name))
            return
        # a name computed at load time (e.g. by _codecs.encode(..., "rot13")): never a pass
        shown = [v if isinstance(v, str) else "<computed>" for v in (module, name)]
        self.refs.append(Ref(shown[0], shown[1], self.offset, COMPUTED))
        self.push(Global(shown[0], shown[1]))

    def call(self, func: Any) -> None:
        if isinstance(func, Global):
            self.called.add(func)

    def op_INST(self, arg: tuple[str, str]) -> None:
        cls = self.reference(*arg)
        self.call(cls)
        self.push(Call(cls, _tuple(self.pop_mark())))

    def op_OBJ(self, _: None) -> None:
        items = self.pop_mark()
        if not items:
            raise self.fail(f"OBJ without a class at offset {self.offset}")
        self.call(items[0])
        self.push(Call(items[0], _tuple(items[1:])))

    def op_NEWOBJ(self, _: None) -> None:
        args, cls = self.pop(), self.pop()
        self.call(cls)
        self.push(Call(cls, args))

    def op_NEWOBJ_EX(self, _: None) -> None:
        self.pop()
        self.op_NEWOBJ(None)

    def op_REDUCE(self, _: None) -> None:
        args, func = self.pop(), self.pop()
        if func is GETATTR and _attribute_args(args):
            self.getattr_calls += 1
            self.push(self.reference(args[0].module, f"{args[0].name}.{args[1]}"))
            return
        self.call(func)
        if isinstance(func, Global) and func in NESTED_LOADERS:
            self.nested_load(func, args)
        if func == LATIN1_ENCODE and _latin1_args(args):  # how protocols 0-2 write bytes
            self.push(args[0].encode("latin-1"))
            return
        self.push(Call(func, args))

    def nested_load(self, func: Global, args: Any) -> None:
        if isinstance(args, tuple) and args and isinstance(args[0], bytes):
            self.nested.append((self.offset, args[0]))
        else:
            self.unchecked.append(
                f"{func.module}.{func.name} at offset {self.offset} loads data this check cannot follow"
            )

    def op_BUILD(self, _: None) -> None:
        state = self.pop()
        target = self.top()
        if isinstance(target, Global):
            self.call(target)
            self.refs.append(
                Ref(target.module, target.name, self.offset, BUILD_NOTE)
            )
        if isinstance(target, Call):
            target.state = state
            if self.joblib and target.func in JOBLIB_WRAPPERS:
                self.joblib_array(state)

    def op_PROTO(self, proto: int) -> None:
        if not 0 <= proto <= HIGHEST_PROTOCOL:
            raise self.fail(f"unsupported pickle protocol {proto} at offset {self.offset}")

    def op_FRAME(self, _: int) -> None:
        pass

    def op_PERSID(self, pid: Any) -> None:
        self.push(OPAQUE)

    def op_BINPERSID(self, _: None) -> None:
        self.pop()
        self.push(OPAQUE)

    # -- joblib: array bytes written into the pickle stream after a wrapper's BUILD -----
    def merge(self, inner: Walk) -> None:
        self.refs += inner.refs
        self.nested += inner.nested
        self.unchecked += inner.unchecked

    def joblib_array(self, state: Any) -> None:
        layout = joblib_layout(state)
        if layout is None:
            raise self.fail(f"a joblib array whose dtype or shape is not plain data at offset {self.offset}")
        nbytes, has_object, aligned = layout
        self.arrays += 1
        if has_object:
            if self.depth >= MAX_DEPTH:
                raise LimitReached(f"pickles nested more than {MAX_DEPTH} deep")
            try:
                inner = walk(self.s, depth=self.depth + 1, joblib=False)  # joblib: plain Unpickler
            except Malformed as exc:
                self.merge(exc.partial)
                raise self.fail(f"in a joblib object array: {exc}") from None
            self.merge(inner)
            return
        if aligned:
            self.s.skip(self.s.exact(1, "joblib padding")[0], "joblib padding")
        self.s.skip(nbytes, "joblib array data")


def _attribute_args(args: Any) -> bool:
    return (
        isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], Global)
        and isinstance(args[1], str) and args[1].isidentifier()
    )


def _latin1_args(args: Any) -> bool:
    return (
        isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str)
        and args[1] in ("latin1", "latin-1") and max(args[0], default="\0") <= "\xff"
    )


class _Lines:
    """What pickletools' line readers need: ``readline`` (bounded) on our stream."""

    def __init__(self, stream: Stream, skip_long: bool) -> None:
        self.s = stream
        self.skip_long = skip_long  # a long string is skipped; any other long line is an error

    def readline(self) -> bytes:
        return self.s.readline(skip_long=self.skip_long)

    def read(self, n: int) -> bytes:
        return self.s.read(n)


def walk(stream: Stream, *, depth: int = 0, joblib: bool = True) -> Walk:
    """Walk one pickle from the stream's position up to and including its STOP."""
    return _Machine(stream, depth, joblib).run()
