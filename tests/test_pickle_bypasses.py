"""mlhygiene-pickle-files against the published scanner bypasses (tests/bypass_artifacts.py),
their near misses, real benign artifacts built with the real libraries, archive limits and
Keras models. Nothing is ever loaded: a canary file proves no payload ran."""

from __future__ import annotations

import io
import json
import pickle
import re
import sys
import zipfile
from pathlib import Path

import pytest

from mlhygiene import cli, pickle_files
from mlhygiene._pickle import formats, stream
from tests import benign_artifacts
from tests.bypass_artifacts import (
    CASES,
    Case,
    call,
    computed_names,
    dense,
    ext_opcode,
    keras_model,
    lambda_layer,
    system,
    tar_of,
    zip_of,
)
from tests.pickle_artifacts import run

ADVICE = pickle_files.ADVICE


def _write(folder: Path, case: Case, canary: str) -> Path:
    path = folder / case.name
    path.write_bytes(case.build(canary))
    return path


@pytest.mark.parametrize("case", [c for c in CASES if c.rule is not None and c.rule.startswith(("pickle", "keras"))],
                         ids=lambda c: c.id)
def test_bypass_is_reported(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    path = _write(tmp_path, case, canary)
    code, out, err = run(capsys, str(path))
    assert (code, err) == (1, ["mlhygiene-pickle-files: checked 1 file: 1 finding in 1 file"]), (out, err)
    assert len(out) == 1 and out[0].startswith(f"{path}:1:1: {case.rule} "), out
    assert case.target in out[0]


@pytest.mark.parametrize("case", [c for c in CASES if c.rule is None], ids=lambda c: c.id)
def test_near_miss_passes(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    path = _write(tmp_path, case, canary)
    assert run(capsys, str(path)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])


def test_exact_lines(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    paths = {name: tmp_path / name for name in ("a.ckpt", "b.bin", "c.pkl", "d.pkl", "e.tar.gz")}
    paths["a.ckpt"].write_bytes(b"(0" + call("uuid", "_get_command_stdout", "sh", f"touch {canary}", protocol=0))
    paths["b.bin"].write_bytes(computed_names(canary))
    paths["c.pkl"].write_bytes(ext_opcode(1, 1))
    paths["d.pkl"].write_bytes(pickle.dumps({"a": 1}, 4) + call("ourlab.tools", "run", "x"))
    paths["e.tar.gz"].write_bytes(tar_of({"ckpt/model.pkl": system(canary, 2)}, "w:gz"))
    code, out, err = run(capsys, *map(str, paths.values()))
    assert code == 1
    assert out == [
        f"{paths['a.ckpt']}:1:1: pickle-dangerous-global the pickle imports uuid._get_command_stdout (offset 2),"
        f" which runs commands or code as soon as the file is unpickled. Do not load it; {ADVICE}.",
        f"{paths['b.bin']}:1:1: pickle-unknown-global the pickle imports a global whose name is computed at load"
        " time (STACK_GLOBAL on <computed>.<computed>, offset 53), which cannot be checked without running it."
        f" Do not load it; {ADVICE}.",
        f"{paths['c.pkl']}:1:1: pickle-unknown-global the pickle imports a global by extension code (EXT opcode,"
        " offset 2), which only the loading process's copyreg registry resolves and cannot be checked. Do not"
        f" load it; {ADVICE}.",
        f"{paths['d.pkl']}:1:1: pickle-unknown-global the pickle imports ourlab.tools.run (offset 51), which is"
        " not on the allow-list of known-safe types: unpickling runs its code. Review it, then allow it with"
        ' --allow-global ourlab.tools.run or pickle-allow = ["ourlab.tools.run"] in [tool.mlhygiene], or'
        f" {ADVICE}.",
        f"{paths['e.tar.gz']}:1:1: pickle-dangerous-global ckpt/model.pkl imports posix.system (os.system)"
        f" (offset 2), which runs commands or code as soon as the file is unpickled. Do not load it; {ADVICE}.",
    ]
    assert err == ["mlhygiene-pickle-files: checked 5 files: 5 findings in 5 files"]


def test_7z_is_never_a_pass(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    (case,) = [c for c in CASES if c.id == "7z"]
    path = _write(tmp_path, case, canary)
    assert run(capsys, str(path)) == (3, [], [
        f"{path}: error: could not be checked: 7z archives are not read: extract it and commit what it holds,"
        " or exclude it",
        "mlhygiene-pickle-files: checked 1 file: no findings, 1 file could not be checked",
    ])


# -- limits: bombs end quickly as "could not be checked" ----------------------------------------
def test_zip_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "MAX_OUTPUT", 8 << 20)
    path = tmp_path / "bomb.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(4):
            archive.writestr(f"part{i}.bin", bytes(4 << 20))
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 200_000
    code, out, err = run(capsys, str(path))
    assert (code, out) == (3, [])
    assert err[0] == f"{path}: error: could not be checked: expands to more than 8 MiB (limit reached)"


def test_nested_zip_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = system("/nonexistent")
    for i in range(7):
        data = zip_of({f"layer{i}.zip": data, "pad.txt": b"x"})
    path = tmp_path / "nested.zip"
    path.write_bytes(data)
    code, _, err = run(capsys, str(path))
    assert code == 3
    assert err[0].startswith(f"{path}: error: could not be checked: layer6.zip > layer5.zip > ")
    assert err[0].endswith("containers nested more than 5 deep (limit reached)")


def test_member_count_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "MAX_MEMBERS", 50)
    path = tmp_path / "many.zip"
    path.write_bytes(zip_of({f"f{i}.txt": b"" for i in range(51)}))
    assert run(capsys, str(path))[2][0] == f"{path}: error: could not be checked: more than 50 archive members (limit reached)"


# -- Keras --------------------------------------------------------------------------------------
KERAS_ADVICE = (
    "which runs code when the model is loaded. Do not load it; save weights only (model.save_weights,"
    " safetensors) and rebuild the model in code, or review the code and load it with safe_mode=True and"
    " explicit custom_objects."
)


def test_keras_exact_line(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    (case,) = [c for c in CASES if c.id == "keras-lambda"]
    path = _write(tmp_path, case, canary)
    assert run(capsys, str(path))[1] == [
        f"{path}:1:1: keras-unsafe-layer config.json holds a Lambda layer 'evil' (its function is Python"
        f" bytecode), {KERAS_ADVICE}"
    ]


def _h5(path: Path, config: dict[str, object] | None) -> None:
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w") as f:
        f.create_dataset("weights", data=[1.0, 2.0])
        if config is not None:
            f.attrs["model_config"] = json.dumps(config)
            f.attrs["keras_version"] = "2.15.0"


def test_legacy_h5(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    evil, ok, weights = tmp_path / "model.h5", tmp_path / "ok.h5", tmp_path / "data.hdf5"
    legacy_lambda = {"class_name": "Lambda", "config": {"name": "l", "function": ["YmFzZTY0", None, None],
                                                        "function_type": "lambda", "module": "__main__"}}
    _h5(evil, {"class_name": "Sequential", "config": {"name": "s", "layers": [legacy_lambda]}})
    _h5(ok, {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense",
                                                                            "config": {"name": "d"}}]}})
    _h5(weights, None)
    code, out, _ = run(capsys, str(evil), str(ok), str(weights))
    assert code == 1
    assert out == [
        f"{evil}:1:1: keras-unsafe-layer model_config holds a Lambda layer 'l' (its function is Python bytecode),"
        f" {KERAS_ADVICE}",
    ]


def test_h5_without_h5py(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    model, data = tmp_path / "model.h5", tmp_path / "data.h5"
    _h5(model, keras_model(dense()))
    _h5(data, None)
    monkeypatch.setitem(sys.modules, "h5py", None)  # as if not installed: import fails
    assert run(capsys, str(model), str(data)) == (3, [], [
        f"{model}: error: could not be checked: a Keras model in HDF5: install mlhygiene[h5] (h5py) to check it",
        "mlhygiene-pickle-files: checked 2 files: no findings, 1 file could not be checked",
    ])


def test_keras_registered_outside_keras(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": "evil_pkg>Dense",
             "config": {"name": "d"}}
    path = tmp_path / "m.keras"
    path.write_bytes(zip_of({"config.json": json.dumps(keras_model(layer, lambda_layer(canary))).encode()}))
    out = run(capsys, str(path))[1]
    assert [line.split(" holds ")[1].split(", which")[0] for line in out] == [
        "Dense 'd' registered as evil_pkg>Dense", "a Lambda layer 'evil' (its function is Python bytecode)",
    ]


# -- benign: real artifacts from the real libraries ---------------------------------------------
BENIGN = list(benign_artifacts.writers())


@pytest.fixture(scope="module")
def benign_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("benign")
    benign_artifacts.build(folder)
    return folder


@pytest.mark.parametrize("name", [name for name, _ in BENIGN])
def test_real_artifact_passes(benign_folder: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert run(capsys, str(benign_folder / name)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])


def test_benign_set_covers_the_libraries() -> None:
    names = {name.split("-")[0].split(".")[0] for name, _ in BENIGN}
    assert {"stdlib", "numpy", "pandas", "sklearn", "lightgbm"} <= names


# -- through `mlhygiene scan` -----------------------------------------------------------------
def test_scan_reports_bypasses_and_passes_near_misses(in_tmp: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    chosen = [c for c in CASES if c.id in ("ckpt-mark-pop", "tar-gz", "near-text-data", "near-pth-paths", "ext2-no-extension")]
    for case in chosen:
        (in_tmp / case.name).write_bytes(case.build(canary))
    code = cli.main(["scan", "--only", "pickle-files", "--no-cache", "."])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [re.sub(r" \(offset \d+\).*| imports a global.*", "", line) for line in out] == [
        "bundle.tar.gz:1:1: pickle-dangerous-global m/model imports posix.system (os.system)",
        "last.ckpt:1:1: pickle-dangerous-global the pickle imports posix.system (os.system)",
        "state:1:1: pickle-unknown-global the pickle",
    ]


# -- getattr: a literal attribute of a global is judged as itself -------------------------------
def _getattr_pickle(owner: tuple[str, str], attr: bytes, extra: bytes = b"") -> bytes:
    from tests.bypass_artifacts import stack_global

    body = stack_global("builtins", "getattr") + b"\x94" + stack_global(*owner) + attr + b"\x86R" + extra
    return b"\x80\x04" + body + b"\x8c\x01x\x85R."


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_getattr_pickle(("zoneinfo", "ZoneInfo"), b"\x8c\x09_unpickle"), None),  # how pandas writes a tz
        (_getattr_pickle(("pathlib", "PosixPath"), b"\x8c\x05touch"), "pickle-dangerous-global pathlib.PosixPath.touch"),
        (_getattr_pickle(("collections", "OrderedDict"), b"\x8c\x08fromkeys"),
         "pickle-unknown-global collections.OrderedDict.fromkeys"),
        (_getattr_pickle(("zoneinfo", "ZoneInfo"), b"\x8c\x09_unpickle", b"h\x00\x30"),  # getattr used again
         "pickle-dangerous-global builtins.getattr"),
        (_getattr_pickle(("zoneinfo", "ZoneInfo"), b"K\x01"), "pickle-dangerous-global builtins.getattr"),
    ],
    ids=["zoneinfo-unpickle", "method-touch", "classmethod-fromkeys", "getattr-reused", "non-literal-attr"],
)
def test_getattr(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, expected: str | None) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(data)
    code, out, _ = run(capsys, str(path))
    found = [re.sub(r"^\S+ (\S+) the pickle imports (\S+) .*", r"\1 \2", line) for line in out]
    assert (code, found) == ((0, []) if expected is None else (1, [expected]))


def test_binary_file_without_newlines_is_not_read_to_its_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'PAR1' starts like PERSID (a line argument): the walk stops at 1 MiB, not at the end."""
    path = tmp_path / "table.parquet"
    path.write_bytes(b"PAR1" + bytes(range(11, 256)) * (24 << 12))  # about 24 MB, no newline
    spent: list[int] = []
    original = stream.Budget.spend

    def counting(self: stream.Budget, n: int) -> None:
        spent.append(n)
        original(self, n)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stream.Budget, "spend", counting)
        assert run(capsys, str(path)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])
    assert 0 < sum(spent) <= 2 << 20


def test_protocol_0_pickle_padded_far_out_is_found(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A long string, then POP: the first import lies past any cheap look at the head."""
    path = tmp_path / "weights"
    path.write_bytes(b"S'" + b"x" * 20_000 + b"'\n0" + system(canary, 0))
    code, out, _ = run(capsys, str(path))
    assert code == 1 and [line.split(" (offset")[0] for line in out] == [
        f"{path}:1:1: pickle-dangerous-global the pickle imports posix.system (os.system)"
    ]
    code = cli.main(["scan", "--only", "pickle-files", "--no-cache", str(path)])
    assert code == 1
    capsys.readouterr()


def test_zip_appended_to_a_benign_pickle(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    """pickle.load reads the benign head; zipfile.ZipFile(path) finds the zip at the end."""
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"a": 1}, 4) + zip_of({"archive/data.pkl": system(canary)}))
    code, out, _ = run(capsys, str(path))
    assert code == 1 and [line.split(" (offset")[0] for line in out] == [
        f"{path}:1:1: pickle-dangerous-global archive/data.pkl imports posix.system (os.system)"
    ]


def _corrupt(data: bytes, member: str, *, crc: bool = False, flags: int = 0) -> bytes:
    """Edit a member's CRC or flag bits in its central directory entry (what zipfile checks)."""
    out = bytearray(data)
    index = data.find(b"PK\x01\x02")
    while index != -1:
        name_len = int.from_bytes(data[index + 28 : index + 30], "little")
        if data[index + 46 : index + 46 + name_len].decode() == member:
            if crc:
                out[index + 16] ^= 0xFF
            out[index + 8] |= flags
        index = data.find(b"PK\x01\x02", index + 4)
    return bytes(out)


@pytest.mark.parametrize(("crc", "flags"), [(True, 0), (False, 0x01)], ids=["bad-crc", "encrypted-flag"])
def test_zip_that_zipfile_rejects_is_never_a_pass(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str],
                                                  crc: bool, flags: int) -> None:
    """Advisories: torch loads zips whose CRC or flag bits make a scanner's zipfile give up."""
    path = tmp_path / "model.pt"
    data = zip_of({"archive/data.pkl": pickle.dumps({"a": 1}, 2) + bytes(8), "archive/x.pkl": system(canary)},
                  compression=zipfile.ZIP_STORED)
    path.write_bytes(_corrupt(data, "archive/data.pkl", crc=crc, flags=flags))
    code, _, err = run(capsys, str(path))
    assert code in (1, 3) and code != 0
    assert err[0].startswith(f"{path}: error: could not be checked: archive/data.pkl: ")


def test_names_from_the_file_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.pt"
    path.write_bytes(zip_of({"a\x1b[2J/data.pkl": call("our\x1b[31mlab", "run\rx", "y")}))
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert out[0].startswith(
        f"{path}:1:1: pickle-unknown-global a\\x1b[2J/data.pkl imports our\\x1b[31mlab.run\\rx (offset "
    )
    assert "\x1b" not in "".join(out) and "\r" not in "".join(out)


def test_h5_after_a_user_block(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "model.bin"
    with h5py.File(path, "w", userblock_size=1024) as f:
        f.attrs["model_config"] = json.dumps(keras_model(lambda_layer(canary)))
    with open(path, "r+b") as fh:
        fh.write(b"just a header, then HDF5\n")
    code, out, _ = run(capsys, str(path))
    assert code == 1 and len(out) == 1 and " keras-unsafe-layer model_config holds a Lambda layer 'evil'" in out[0]
