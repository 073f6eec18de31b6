"""mlhygiene-pickle-files against the published pickle scanners, as a user runs each:
malicious artifacts caught, benign artifacts flagged (false alarms), and time; then the peak
memory of our hook on a large checkpoint-shaped file.

    pip install -e ".[dev,bench]"       # picklescan, modelscan, fickling, modelaudit
    python bench/pickle_scanners.py [--out bench/out/pickle] [--big-mb 400]

Sets (built into OUT/malicious and OUT/benign, never loaded):

- **malicious**: every bypass class of tests/bypass_artifacts.py (advisory callables, leading
  no-op opcodes in files named .ckpt/.sav/.model/.data/none, second streams, computed names,
  EXT opcodes, tar/tar.gz/tar.bz2/tar.xz/zip nesting, 7z, Keras Lambda and custom layers) plus
  the classics: ``os.system`` in protocols 0-5, a PyTorch zip, a legacy torch file, an object
  ``.npy``, a joblib file.
- **benign**: tests/benign_artifacts.py (real stdlib, numpy, pandas, scikit-learn, joblib,
  LightGBM and XGBoost artifacts built with the installed libraries), PyTorch-shaped state
  dicts (built as bytes), and the near misses of tests/bypass_artifacts.py.

A tool "catches" a malicious file when it fails on it (non-zero exit: the commit or CI step
stops) and raises a "false alarm" when it fails on a benign one. picklescan
(``picklescan -p FILE``), modelscan (``modelscan -p FILE``), fickling
(``fickling --check-safety FILE``) and ours (``mlhygiene-pickle-files FILE``) run once per
file; modelaudit takes about 3 s to start, so it runs once per set
(``modelaudit scan --format json DIR``, telemetry off) and a file counts when an issue of
severity warning or critical names it; it still took about 8 minutes on this 2-core machine,
so it runs only when named (``--tools modelaudit``). Seconds: wall time over both sets.
A non-zero exit counts whatever its reason: a tool that exits 2 on a file it cannot parse
"catches" a malicious one and raises a false alarm on a benign one.

Memory: ``/usr/bin/time -v mlhygiene-pickle-files big.pt`` on a zip checkpoint with one
stored storage of ``--big-mb`` MB (its pickle references it like torch.save writes it).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections import OrderedDict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import benign_artifacts  # noqa: E402
from tests.bypass_artifacts import CASES  # noqa: E402
from tests.pickle_artifacts import FakeTensor, Payload, torch_legacy, torch_zip  # noqa: E402

ENV = {**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
PER_FILE = {
    "picklescan": ["picklescan", "-p"],
    "modelscan": ["modelscan", "-p"],
    "fickling": ["fickling", "--check-safety"],
    "mlhygiene-pickle-files": ["mlhygiene-pickle-files"],
}


def _state_dict() -> OrderedDict[str, object]:
    return OrderedDict((f"layer{i}.weight", FakeTensor(str(i), 4)) for i in range(3))


def build_sets(out: Path) -> tuple[list[Path], list[Path]]:
    bad, good = out / "malicious", out / "benign"
    for folder in (bad, good):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    canary = str(out / "CANARY")
    malicious: dict[str, bytes] = {}
    benign: dict[str, bytes] = {}
    for case in CASES:
        target = malicious if case.rule is not None else benign
        target[f"{case.id}-{case.name}"] = case.build(canary)
    for protocol in range(6):
        malicious[f"classic-p{protocol}.pkl"] = pickle.dumps({"m": Payload(canary)}, protocol=protocol)
    malicious["classic-torch.pt"] = torch_zip(OrderedDict(w=FakeTensor("0", 3), evil=Payload(canary)))
    malicious["classic-torch-legacy.pt"] = torch_legacy(OrderedDict(w=FakeTensor("0", 3), x=Payload(canary)))
    benign["torch-state-dict.pt"] = torch_zip(_state_dict())
    benign["torch-state-dict.bin"] = torch_zip(_state_dict(), prefix="pytorch_model")
    benign["torch-legacy.pt"] = torch_legacy(_state_dict())
    for name, data in malicious.items():
        (bad / name).write_bytes(data)
    for name, data in benign.items():
        (good / name).write_bytes(data)
    benign_artifacts.build(good)
    import numpy as np

    np.save(bad / "classic-object.npy", np.array([Payload(canary), 1], dtype=object), allow_pickle=True)
    try:
        import joblib

        joblib.dump({"w": np.arange(3.0), "evil": Payload(canary)}, bad / "classic.joblib", compress=3)
    except ImportError:
        pass
    return sorted(bad.iterdir()), sorted(good.iterdir())


def per_file(command: list[str], files: list[Path], cwd: Path) -> set[Path]:
    """Run ``command FILE`` for each file (in ``cwd``: fickling writes safety_results.json there)."""
    flagged = set()
    for path in files:
        result = subprocess.run([*command, str(path)], capture_output=True, env=ENV, timeout=300, cwd=cwd)
        if result.returncode != 0:
            flagged.add(path)
    return flagged


def modelaudit(folder: Path, files: list[Path]) -> set[Path]:
    result = subprocess.run(
        ["modelaudit", "scan", "--no-cache", "--format", "json", str(folder)],
        capture_output=True, env=ENV, timeout=900, text=True, cwd=folder.parent,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return set(files) if result.returncode != 0 else set()
    flagged = set()
    for issue in report.get("issues", []):
        if issue.get("severity") not in ("warning", "critical"):
            continue
        where = str(issue.get("location") or "")
        for path in files:
            if where == str(path) or where.startswith((f"{path} ", f"{path}:", f"{path}/")):
                flagged.add(path)
    return flagged


def big_checkpoint(path: Path, megabytes: int) -> None:
    """A torch.save-shaped zip: data.pkl referencing one stored storage of ``megabytes`` MB."""
    small = torch_zip(OrderedDict(weight=FakeTensor("0", 3)))  # the storage is replaced below
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive, zipfile.ZipFile(io.BytesIO(small)) as template:
        for info in template.infolist():
            if info.filename.endswith("/data/0"):
                with archive.open(info.filename, "w", force_zip64=True) as out:
                    block = os.urandom(1 << 20)
                    for _ in range(megabytes):
                        out.write(block)
            else:
                archive.writestr(info.filename, template.read(info.filename))


def peak_rss(path: Path) -> tuple[int, float, int]:
    """(peak RSS in KiB, seconds, exit code) of our hook on ``path``."""
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-v", "mlhygiene-pickle-files", str(path)], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return (int(match.group(1)) if match else -1), seconds, result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "pickle")
    parser.add_argument("--big-mb", type=int, default=400, help="size of the large checkpoint (0: skip)")
    parser.add_argument(
        "--tools", nargs="*", default=[*PER_FILE],
        help="tools to run (default: all but modelaudit, which took about 8 minutes here; add it by name)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    malicious, benign = build_sets(args.out)
    rows = []
    for tool in args.tools:
        if shutil.which(PER_FILE.get(tool, [tool])[0]) is None:
            rows.append(f"| {tool} | not installed | | |")
            continue
        start = time.perf_counter()
        if tool == "modelaudit":
            caught = modelaudit(args.out / "malicious", malicious)
            alarms = modelaudit(args.out / "benign", benign)
        else:
            caught = per_file(PER_FILE[tool], malicious, args.out)
            alarms = per_file(PER_FILE[tool], benign, args.out)
        seconds = time.perf_counter() - start
        rows.append(f"| {tool} | {len(caught)}/{len(malicious)} | {len(alarms)}/{len(benign)} | {seconds:.1f} |")
        log = args.out / f"{tool}.txt"
        log.write_text(
            "missed:\n" + "".join(f"  {p.name}\n" for p in malicious if p not in caught)
            + "false alarms:\n" + "".join(f"  {p.name}\n" for p in benign if p in alarms)
        )
    assert not (args.out / "CANARY").exists(), "a payload ran"
    table = [
        "| tool | caught (malicious) | false alarms (benign) | seconds |",
        "|---|---|---|---|",
        *rows,
    ]
    print("\n".join(table))
    if args.big_mb:
        big = args.out / "big.pt"
        big_checkpoint(big, args.big_mb)
        rss, seconds, code = peak_rss(big)
        print(
            f"\nmlhygiene-pickle-files on a {big.stat().st_size / 1e6:.0f} MB checkpoint: peak RSS"
            f" {rss / 1024:.0f} MiB, {seconds:.2f} s, exit {code}"
        )
        big.unlink()
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
