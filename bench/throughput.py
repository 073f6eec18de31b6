"""Throughput where findings are dense: `mlhygiene scan` against `bandit -r`, before and after.

    python bench/throughput.py [--runs 3] [--before REF] [--corpora dense,600,3000] [--out DIR]

Generates the corpora with gen_corpus.py (``dense``: 2,100 finding-dense files; ``600`` and
``3000``: the repository shape), then times, round-robin, on each corpus:

- ``mlhygiene scan --no-cache .`` of this checkout (cold: no cache is read or written);
- with ``--before REF``: the same command from a git worktree of REF (its own code and rules,
  run as ``python -m mlhygiene.cli`` with that worktree's ``hooks/`` first on ``PYTHONPATH``);
- ``bandit -r -q .`` (the baseline: it reads the scripts only).

Medians (and min-max) of wall seconds, the peak resident set of the largest process of each
command (run.py's launcher), the ratio to bandit, and whether ``before`` and ``after`` report
the same findings (the text lines, sorted). Tables on stdout and in ``OUT/throughput.md``, each
command's output in ``OUT/logs/``. A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_corpus
from run import measure, tool  # the launcher that measures one command's peak

ROOT = Path(__file__).resolve().parent.parent
CORPORA = {"dense": ("dense", 2100), "600": ("repo", 600), "3000": ("repo", 3000)}


def make_corpus(out: Path, name: str, seed: int) -> Path:
    size, files = CORPORA[name]
    path = out / f"corpus-{name}"
    if not path.is_dir():
        gen_corpus.generate(path, size, files, seed)
    return path


def worktree(out: Path, ref: str) -> Path:
    path = out / "before"
    if path.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)
        shutil.rmtree(path, ignore_errors=True)
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref],
        check=True,
        capture_output=True,
    )
    return path


def findings(log: Path) -> list[str]:
    """The finding lines of the last run in a log (``path:line:col: rule message``)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    last = text.rsplit("\n$ ", 1)[-1]
    return sorted(line for line in last.splitlines()[1:] if ": " in line and not line.startswith("mlhygiene"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="a git ref to compare with (e.g. HEAD~5)")
    parser.add_argument("--corpora", default="dense,600,3000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    options = parser.parse_args(argv)
    out = options.out.resolve()
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "after": ([tool("mlhygiene") or "mlhygiene", "scan", "--no-cache", "."], env),
    }
    if options.before:
        before = worktree(out, options.before)
        commands["before"] = (
            [sys.executable, "-m", "mlhygiene.cli", "scan", "--no-cache", "."],
            {**env, "PYTHONPATH": str(before / "hooks")},
        )
    commands["bandit"] = ([tool("bandit") or "bandit", "-r", "-q", "."], env)
    try:
        text = measure_all(options, out, logs, commands)
    finally:
        if options.before:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(out / "before")], check=False
            )
    print(text)
    (out / "throughput.md").write_text(text, encoding="utf-8")
    return 0


def measure_all(
    options: argparse.Namespace, out: Path, logs: Path, commands: dict[str, tuple[list[str], dict[str, str]]]
) -> str:
    lines = []
    for name in options.corpora.split(","):
        corpus = make_corpus(out, name, options.seed)
        samples: dict[str, list[tuple[float, int, int]]] = {key: [] for key in commands}
        for run in range(options.runs):
            for key, (cmd, cmd_env) in commands.items():
                log = logs / f"throughput-{name}-{key}.log"
                print(f"  [{name} run {run + 1}] {key}", file=sys.stderr, flush=True)
                samples[key].append(measure(cmd, corpus, cmd_env, log))
        base = statistics.median(s[0] for s in samples["bandit"])
        lines += [
            f"\n### {name} ({CORPORA[name][1]} files, {CORPORA[name][0]} shape)\n",
            "| command | median s (min-max) | peak MB | x bandit | exit |",
            "|---|---:|---:|---:|---|",
        ]
        for key, rows in samples.items():
            times = [s[0] for s in rows]
            med = statistics.median(times)
            peak = max(s[1] for s in rows) / 1024
            exits = ",".join(sorted({str(s[2]) for s in rows}))
            lines.append(
                f"| {key} | {med:.2f} ({min(times):.2f}-{max(times):.2f}) | {peak:.0f} | "
                f"{med / base:.2f}x | {exits} |"
            )
        if "before" in commands:
            same = findings(logs / f"throughput-{name}-before.log") == findings(
                logs / f"throughput-{name}-after.log"
            )
            count = len(findings(logs / f"throughput-{name}-after.log"))
            lines.append(f"\nbefore and after report the same {count} findings: {'yes' if same else 'NO'}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
