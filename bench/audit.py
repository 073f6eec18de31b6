"""The audit against a cold scan of the same tree: wall time, MB/s per core, peak memory.

    python bench/audit.py [--files 300] [-j 2] [--runs 1] [--out bench/out/audit]

Generates a repository corpus with ``bench/gen_corpus.py`` (``--files`` files, a git
repository), then times, each in its own child process (wall time with ``time.perf_counter``,
peak RSS from ``os.wait4`` of that child: the largest resident set in its process tree):

- ``scan (cold)``: ``mlhygiene scan --no-cache -j J`` -- the issue's yardstick;
- ``audit``: ``mlhygiene audit -j J`` into a fresh results folder;
- ``audit, 2 copies``: the same corpus twice (two repositories): each content is checked once;
- ``audit, rerun``: the same results folder again (everything already in the store).

The issue's target: an audit costs at most 1.5x the cold scan. MB/s per core is the corpus
bytes over wall time over J. The big measurement (a multi-GB tree) is this script with
``--files`` large; it is not a test and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def timed(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in MB, exit code) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.returncode not in (0, 1, 3):
        sys.exit(f"{' '.join(argv)} failed ({child.returncode}):\n{err}")
    return elapsed, usage.ru_maxrss // 1024, child.returncode


def corpus_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts)


def make_corpus(corpus: Path, files: int, seed: int) -> int:
    """A generated repository-shaped corpus (a git repository) at ``corpus``; its size in bytes."""
    subprocess.run(
        [sys.executable, str(HERE / "gen_corpus.py"), str(corpus), "--size", "repo",
         "--files", str(files), "--seed", str(seed)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    subprocess.run(["git", "init", "-q", str(corpus)], check=True)
    return corpus_bytes(corpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "out" / "audit"))
    args = parser.parse_args()
    out = Path(args.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    corpus = out / "org" / "repo"
    size = make_corpus(corpus, args.files, args.seed)
    twice = out / "twice"
    twice.mkdir()
    shutil.copytree(corpus, twice / "repo1", symlinks=True)
    shutil.copytree(corpus, twice / "repo2", symlinks=True)
    env_cache = {"MLHYGIENE_CACHE_DIR": str(out / "cache")}
    os.environ.update(env_cache)
    mlh = str(BIN / "mlhygiene")
    jobs = ["-j", str(args.jobs)]
    rows: dict[str, list[tuple[float, int, int]]] = {}
    for run in range(args.runs):
        results = out / f"results{run}"
        commands = {
            "scan (cold)": ([mlh, "scan", "--no-cache", *jobs, "org"], size),
            "audit": ([mlh, "audit", "--out", str(results), *jobs, "org"], size),
            "audit, 2 copies": ([mlh, "audit", "--out", str(out / f"twice{run}"), *jobs, "twice"], 2 * size),
            "audit, rerun": ([mlh, "audit", "--out", str(results), *jobs, "org"], size),
        }
        for name, (argv, _) in commands.items():
            rows.setdefault(name, []).append(timed(argv, out))
    cold = min(t for t, _, _ in rows["scan (cold)"])
    table = [
        f"corpus: {args.files} files, {size / 1048576:.1f} MB; -j {args.jobs}; best of {args.runs}",
        "",
        "| command | wall s | MB/s per core | peak RSS MB | x cold scan |",
        "|---|---:|---:|---:|---:|",
    ]
    summary = {}
    for name, samples in rows.items():
        wall = min(t for t, _, _ in samples)
        rss = max(r for _, r, _ in samples)
        volume = 2 * size if name == "audit, 2 copies" else size
        rate = volume / 1048576 / wall / args.jobs
        table.append(f"| {name} | {wall:.2f} | {rate:.2f} | {rss} | {wall / cold:.2f} |")
        summary[name] = {"wall_s": wall, "mb_s_per_core": rate, "peak_rss_mb": rss}
    print("\n".join(table))
    (out / "results.md").write_text("\n".join(table) + "\n")
    (out / "results.json").write_text(json.dumps({"files": args.files, "bytes": size, **summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
