"""Time mlhygiene side by side with the tools a user would otherwise assemble.

    python bench/run.py [--runs 5] [--repo-files 3000] [--slow-runs 1] [--out bench/out]
                        [--only commit|repo] [--seed 0]

Generates two corpora with ``bench/gen_corpus.py`` (a commit: 5 scripts + 5 notebooks; a
repository: ``--repo-files`` files), makes each a git repository (the commit one with a
``.pre-commit-config.yaml`` that runs this checkout's console scripts through
``repo: local`` / ``language: system``, so no hook installation is timed), then times every
command ``--runs`` times, round-robin so that background load hits every row alike, and
reports the median wall time, the peak memory and the ratio to the target's baseline.

Wall time is ``time.perf_counter`` around one child process. Peak memory is the child's
``ru_maxrss`` from ``os.wait4`` on that very child: the largest resident set of any process in
its tree (pre-commit, a hook, Semgrep...), not their sum and not the maximum over earlier
commands. Both are taken by a small launcher interpreter that starts the child, because Linux
carries the high-water RSS of the process that forks across ``exec`` (started from the runner,
every command would report at least the runner's own peak). Results go to the terminal, ``OUT/results.md`` and ``OUT/results.json``; every
command's output is kept in ``OUT/logs/``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_corpus  # a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
BIN = Path(sys.executable).parent
HOOK_IDS = [
    "mlhygiene-credentials", "mlhygiene-deserialization", "mlhygiene-http",
    "mlhygiene-xxe", "mlhygiene-typosquat", "mlhygiene-pickle-files",
]
# Semgrep as a user runs it; the version check is off because it hangs without network.
SEMGREP_FLAGS = ["--metrics=off", "--disable-version-check"]

Argv = list[str] | Callable[[], list[str]]


@dataclass
class Step:
    argv: Argv
    env: dict[str, str] | None = None


@dataclass
class Row:
    key: str
    label: str
    steps: Callable[[int], list[Step]]  # run index -> the commands of that run
    runs: int
    needs: tuple[str, ...] = ()  # executables that must exist, else the row is skipped
    note: str = ""
    cleanup: Callable[[], None] | None = None
    samples: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)  # KiB
    step_samples: list[list[float]] = field(default_factory=list)  # per run, each step's seconds
    exits: list[int] = field(default_factory=list)
    skipped: str = ""


# ---------------------------------------------------------------------------------------------
# Running and measuring


def tool(name: str) -> str | None:
    """The real executable (not a pyenv/asdf shim), beside our interpreter if it is there."""
    beside = BIN / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


# The child that runs a command is started by this small interpreter, not by the runner itself:
# Linux carries a process's high-water resident set across fork and exec, so a command started
# straight from the runner (which holds a corpus' worth of memory) would report the runner's peak
# instead of its own. The launcher's own footprint (~10 MB) is the floor of every figure.
LAUNCHER = """
import os, sys, time
report, argv = int(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
try:
    pid = os.posix_spawnp(argv[0], argv, os.environ)
except OSError as error:
    print(f"bench launcher: cannot start {argv[0]}: {error}", file=sys.stderr)
    os.write(report, f"{time.perf_counter() - start} 0 127".encode())
    raise SystemExit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
os.write(report, f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}".encode())
"""


def measure(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB of the largest process of this command's tree, exit code)."""
    read, write = os.pipe()
    try:
        with open(log, "ab") as out:
            out.write(f"\n$ {' '.join(argv)}\n".encode())
            out.flush()
            launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(write), *argv]
            proc = subprocess.Popen(
                launcher, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=(write,),
            )
            os.close(write)
            write = -1
            report = b""
            while chunk := os.read(read, 4096):
                report += chunk
            proc.wait()
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)
    if not report:
        raise RuntimeError(f"bench launcher failed for {argv[0]} (exit {proc.returncode}); see {log}")
    seconds, rss, code = report.decode().split()
    return float(seconds), int(rss), int(code)


def run_row(row: Row, run: int, cwd: Path, base_env: dict[str, str], logs: Path) -> None:
    times, peak, codes = [], 0, []
    for step in row.steps(run):
        argv = step.argv() if callable(step.argv) else step.argv
        env = {**base_env, **(step.env or {})}
        seconds, rss, code = measure(argv, cwd, env, logs / f"{row.key}.log")
        times.append(seconds)
        peak = max(peak, rss)
        codes.append(code)
    if row.cleanup is not None:
        row.cleanup()
    if run >= 0:  # run -1 is the untimed warm-up
        row.samples.append(sum(times))
        row.step_samples.append(times)
        row.peaks.append(peak)
        row.exits.append(max(codes))


def run_rows(
    rows: Sequence[Row], cwd: Path, env: dict[str, str], logs: Path, warmup: bool, after_round: Callable[[], object]
) -> None:
    active = []
    for row in rows:
        missing = [n for n in row.needs if not n.startswith("module:") and tool(n) is None]
        missing += [n[7:] for n in row.needs if n.startswith("module:") and importlib.util.find_spec(n[7:]) is None]
        if missing:
            row.skipped = f"skipped ({', '.join(missing)} not installed)"
        else:
            active.append(row)
    for run in range(-1 if warmup else 0, max((r.runs for r in active), default=0)):
        for row in active:
            if run < row.runs:
                print(f"  [{'warm-up' if run < 0 else f'run {run + 1}'}] {row.label}", file=sys.stderr, flush=True)
                run_row(row, run, cwd, env, logs)
        if run >= 0:
            after_round()


class Caches:
    """mlhygiene result-cache folders: every cold run gets an empty one; the very first cold run
    of a size fills the shared warm one, which the warm rows (ordered after) then reuse."""

    def __init__(self, root: Path, size: str) -> None:
        self.root = root
        self.warm = root / f"{size}-warm"
        self.size = size
        self.count = 0
        shutil.rmtree(self.warm, ignore_errors=True)

    def cold(self) -> Path:
        self.count += 1
        if self.count == 1:
            return self.warm
        path = self.root / f"{self.size}-cold-{self.count}"
        shutil.rmtree(path, ignore_errors=True)
        return path

    def cold_env(self) -> dict[str, str]:
        return {"MLHYGIENE_CACHE_DIR": str(self.cold())}

    def warm_env(self) -> dict[str, str]:
        return {"MLHYGIENE_CACHE_DIR": str(self.warm)}

    def sweep(self) -> None:
        for path in self.root.glob(f"{self.size}-cold-*"):
            shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Corpora


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def precommit_config() -> str:
    """This checkout's hook manifest as a ``repo: local`` / ``language: system`` config."""
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = []
    for hook in hooks:
        entry = {k: v for k, v in hook.items() if k != "description"}
        entry["language"] = "system"
        local.append(entry)
    return str(yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}, sort_keys=False))


def make_repo(path: Path, size: str, files: int, seed: int) -> list[Path]:
    paths = gen_corpus.generate(path, size, files, seed)
    git(path, "init", "-q")
    if size == "commit":
        (path / ".pre-commit-config.yaml").write_text(precommit_config(), encoding="utf-8")
    git(path, "add", "-A")
    return [p.relative_to(path) for p in paths]


def converted(notebooks: Sequence[Path]) -> list[Path]:
    """Where ``jupyter nbconvert --to script`` writes each notebook's script."""
    return [nb.with_suffix(".py") for nb in notebooks]


def remove(paths: Sequence[Path]) -> Callable[[], None]:
    def clean() -> None:
        for p in paths:
            p.unlink(missing_ok=True)

    return clean


# ---------------------------------------------------------------------------------------------
# Rows


def commit_rows(repo: Path, files: list[Path], caches: Caches, runs: int) -> list[Row]:
    names = [str(p) for p in files]
    scripts = [str(p) for p in files if p.suffix == ".py"]
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    out_scripts = [str(p) for p in converted(notebooks)]
    precommit = [sys.executable, "-m", "pre_commit", "run", "--color", "never"]
    semgrep = [tool("semgrep") or "semgrep", "scan", "--config", str(RULES), *SEMGREP_FLAGS]
    rows = [
        Row("commit-precommit-cold", "`pre-commit run --files` (10 files), all 6 hooks, cold cache",
            lambda r: [Step([*precommit, "--files", *names], caches.cold_env())], runs),
        Row("commit-precommit-warm", "`pre-commit run --files` (10 files), all 6 hooks, warm cache",
            lambda r: [Step([*precommit, "--files", *names], caches.warm_env())], runs),
    ]
    def one_hook(hook: str) -> Callable[[int], list[Step]]:
        return lambda r: [Step([*precommit, hook, "--files", *names], caches.cold_env())]

    for hook in HOOK_IDS:
        rows.append(Row(f"commit-{hook}", f"`pre-commit run {hook} --files`, cold cache", one_hook(hook), runs))
    rows += [
        Row("commit-scan-cold", "`mlhygiene scan` (10 files), cold cache",
            lambda r: [Step([tool("mlhygiene") or "mlhygiene", "scan", *names], caches.cold_env())], runs),
        Row("commit-scan-warm", "`mlhygiene scan` (10 files), warm cache",
            lambda r: [Step([tool("mlhygiene") or "mlhygiene", "scan", *names], caches.warm_env())], runs),
        Row("commit-semgrep", "**baseline**: `semgrep scan --config rules` on the 5 scripts",
            lambda r: [Step([*semgrep, *scripts])], runs, ("semgrep",)),
        Row("commit-osemgrep", "`semgrep --experimental --config rules` on the 5 scripts (what the hooks start)",
            lambda r: [Step([tool("semgrep") or "semgrep", "--experimental", "--config", str(RULES), *SEMGREP_FLAGS, *scripts])],
            runs, ("semgrep",)),
        Row("commit-bandit", "`bandit -q` on the 5 scripts",
            lambda r: [Step([tool("bandit") or "bandit", "-q", *scripts])], runs, ("bandit",)),
        Row("commit-detect-secrets", "`detect-secrets scan` on the 10 files",
            lambda r: [Step([tool("detect-secrets") or "detect-secrets", "scan", *names])], runs, ("detect-secrets",)),
        Row("commit-nbconvert-semgrep", "`jupyter nbconvert --to script` (5 notebooks), then `semgrep scan` on them + the 5 scripts",
            lambda r: [Step([tool("jupyter") or "jupyter", "nbconvert", "--to", "script", "--log-level", "WARN",
                             *map(str, notebooks)]),
                       Step([*semgrep, *scripts, *out_scripts])],
            runs, ("jupyter", "semgrep", "module:nbconvert"), cleanup=remove([repo / p for p in converted(notebooks)])),
        Row("commit-floor", "floor: `json.load` + `ast.parse` of the 10 files in one process",
            lambda r: [Step([sys.executable, str(ROOT / "bench" / "floor.py"), *names])], runs),
    ]
    return rows


def repo_rows(repo: Path, files: list[Path], caches: Caches, runs: int, slow_runs: int) -> list[Row]:
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    scripts = [str(p) for p in files if p.suffix == ".py"]
    out_scripts = [str(p) for p in converted(notebooks)]
    semgrep = [tool("semgrep") or "semgrep", "scan", "--config", str(RULES), *SEMGREP_FLAGS]
    scan = [tool("mlhygiene") or "mlhygiene", "scan", "."]
    slow = "slow: --slow-runs"
    return [
        Row("repo-scan-cold", "`mlhygiene scan .` (every file), cold cache", lambda r: [Step(scan, caches.cold_env())], runs),
        Row("repo-scan-warm", "`mlhygiene scan .` (every file), warm cache", lambda r: [Step(scan, caches.warm_env())], runs),
        Row("repo-bandit", "**baseline**: `bandit -r -q .` (scripts only)",
            lambda r: [Step([tool("bandit") or "bandit", "-r", "-q", "."])], runs, ("bandit",)),
        Row("repo-semgrep", "`semgrep scan --config rules .` (scripts only: it cannot read notebooks)",
            lambda r: [Step([*semgrep, "."])], runs, ("semgrep",)),
        Row("repo-osemgrep", "`semgrep --experimental --config rules .` (scripts only; the engine the hooks start)",
            lambda r: [Step([tool("semgrep") or "semgrep", "--experimental", "--config", str(RULES), *SEMGREP_FLAGS, "."])],
            runs, ("semgrep",)),
        Row("repo-detect-secrets", "`detect-secrets scan .` (every tracked file)",
            lambda r: [Step([tool("detect-secrets") or "detect-secrets", "scan", "."])], slow_runs, ("detect-secrets",), note=slow),
        Row("repo-nbconvert-semgrep", "`nbconvert`, then `semgrep scan` on every script + converted notebook",
            lambda r: [Step([tool("jupyter") or "jupyter", "nbconvert", "--to", "script", "--log-level", "WARN", *map(str, notebooks)]),
                       Step([*semgrep, *scripts, *out_scripts])],
            slow_runs, ("jupyter", "semgrep", "module:nbconvert"), note=slow, cleanup=remove([repo / p for p in converted(notebooks)])),
        Row("repo-floor", "floor: `json.load` + `ast.parse` of every script and notebook in one process",
            lambda r: [Step([sys.executable, str(ROOT / "bench" / "floor.py"), "."])], runs),
    ]


# ---------------------------------------------------------------------------------------------
# Reporting


def rules_digest() -> str:
    """The rules' contents: if they change during a run, the cache rows measure nothing useful."""
    digest = hashlib.sha256()
    for path in sorted(RULES.rglob("*.y*ml")):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus (nproc)": str(affinity),
        "cpu": model,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "mlhygiene": version("mlhygiene"),
        "semgrep": version("semgrep"),
        "pre-commit": version("pre-commit"),
        "bandit": version("bandit"),
        "detect-secrets": version("detect-secrets"),
        "nbconvert": version("nbconvert"),
        "load average at start": load,
    }


def median(row: Row) -> float | None:
    return statistics.median(row.samples) if row.samples else None


def table(title: str, rows: Sequence[Row], baseline: Row, extra: str) -> list[str]:
    base = median(baseline)
    lines = [f"### {title}", "", extra, "",
             "| command | runs | median s | min-max s | peak MB | x baseline | exit |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        if row.skipped or not row.samples:
            lines.append(f"| {row.label} | 0 | {row.skipped or 'not run'} | | | | |")
            continue
        m = median(row)
        assert m is not None
        ratio = f"{m / base:.2f}x" if base else "n/a"
        exits = ",".join(str(c) for c in sorted(set(row.exits)))
        label = row.label
        if row.step_samples and len(row.step_samples[0]) > 1:
            parts = [statistics.median(s[i] for s in row.step_samples) for i in range(len(row.step_samples[0]))]
            label += " (" + " + ".join(f"{p:.2f}" for p in parts) + " s)"
        lines.append(
            f"| {label} | {len(row.samples)}{f' ({row.note})' if row.note else ''} | {m:.2f} | "
            f"{min(row.samples):.2f}-{max(row.samples):.2f} | {max(row.peaks) / 1024:.0f} | {ratio} | {exits} |"
        )
    return [*lines, ""]


def verdict(name: str, value: float | None, target: float, stretch: float | None = None) -> str:
    if value is None:
        return f"- {name}: not measured"
    ok = "met" if value <= target else "NOT met"
    text = f"- {name}: **{value:.2f}x** (target <= {target}x: {ok}"
    if stretch is not None:
        text += f"; stretch <= {stretch}x: {'met' if value <= stretch else 'not met'}"
    return text + ")"


def ratio(a: Row | None, b: Row | None) -> float | None:
    ma, mb = (median(a) if a else None), (median(b) if b else None)
    return ma / mb if ma is not None and mb else None


def report(info: dict[str, str], corpora: dict[str, str], commit: list[Row], repo: list[Row]) -> str:
    by_key = {r.key: r for r in [*commit, *repo]}
    lines = ["## Benchmark results", "", "Machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()), ""]
    if info.get("rules at start") != info.get("rules at end", info.get("rules at start")):
        lines += ["**WARNING: the rules in rules/ changed during this run; the cache rows are not comparable.**", ""]
    odd = [r.label for r in [*commit, *repo] if any(c not in (0, 1) for c in r.exits)]
    if odd:
        lines += ["**WARNING: unexpected exit codes (the tool could not check everything; see OUT/logs/): "
                  + "; ".join(odd) + "**", ""]
    lines += [f"- {name}: {text}" for name, text in corpora.items()]
    lines += ["- wall time: median over the runs; peak MB: largest resident set of any one process in the "
              "command's tree (max over runs); exit: the exit codes seen (1 = findings).", ""]
    if commit:
        lines += table("Commit size (5 scripts + 5 notebooks)", commit, by_key["commit-semgrep"],
                       "Baseline: `semgrep scan --config rules` on the 5 scripts alone (the notebooks unscanned).")
    if repo:
        lines += table("Repository size", repo, by_key["repo-bandit"],
                       "Baseline: `bandit -r -q .` (it reads the scripts only: no notebook, secret or import check).")
    lines += ["### Targets", ""]
    if commit:
        lines.append(verdict("commit, all 6 hooks via pre-commit (cold cache) / semgrep on the 5 scripts",
                             ratio(by_key["commit-precommit-cold"], by_key["commit-semgrep"]), 1.0, 0.6))
    if repo:
        lines.append(verdict("repo, `mlhygiene scan` (cold cache) / bandit on the scripts",
                             ratio(by_key["repo-scan-cold"], by_key["repo-bandit"]), 1.0))
        lines.append(verdict("repo, `mlhygiene scan` warm cache / cold cache",
                             ratio(by_key["repo-scan-warm"], by_key["repo-scan-cold"]), 0.1))
    return "\n".join(lines) + "\n"


def corpus_summary(repo: Path, files: list[Path]) -> str:
    sizes = [(repo / p).stat().st_size for p in files]
    nbs = [s for p, s in zip(files, sizes, strict=True) if p.suffix == ".ipynb"]
    kinds: dict[str, int] = {}
    for p in files:
        kinds[p.suffix] = kinds.get(p.suffix, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    mean_nb = f", notebooks {statistics.mean(nbs) / 1024:.0f} KiB on average" if nbs else ""
    return f"{len(files)} files ({parts}), {sum(sizes) / 1e6:.1f} MB{mean_nb}"


def rows_json(rows: Sequence[Row]) -> list[dict[str, object]]:
    return [
        {"key": r.key, "label": r.label, "runs": len(r.samples), "median_s": median(r), "samples_s": r.samples,
         "step_samples_s": r.step_samples, "peak_kib": r.peaks, "exit_codes": r.exits, "skipped": r.skipped or None}
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------


def preflight(env: dict[str, str], cwd: Path) -> str | None:
    """Why the console scripts would not time this checkout (a crash exits 1, like findings), or None."""
    probe = "import mlhygiene.cli; print(mlhygiene.cli.__file__)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not Path(done.stdout.strip()).resolve().is_relative_to(ROOT):
        where = done.stdout.strip() or done.stderr.strip().splitlines()[-1:]
        return f"the installed mlhygiene is not this checkout ({where}); run: pip install -e '{ROOT}[dev,bench]'"
    for script in ("mlhygiene", *HOOK_IDS):
        done = subprocess.run([tool(script) or script, "--help"], cwd=cwd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            return f"`{script} --help` failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--slow-runs", type=int, default=1,
                        help="runs for the slow repository-size peers: detect-secrets, nbconvert (default 1)")
    parser.add_argument("--repo-files", type=int, default=3000, help="files in the repository corpus (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--only", choices=["commit", "repo"], help="run one size only")
    args = parser.parse_args(argv)

    out = args.out.resolve()
    logs = out / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PRE_COMMIT_HOME"] = str(out / "pre-commit-home")
    env.pop("MLHYGIENE_CACHE_DIR", None)
    problem = preflight(env, out)
    if problem:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    info = machine()
    info["rules at start"] = rules_digest()
    corpora: dict[str, str] = {}
    commit: list[Row] = []
    repo: list[Row] = []

    if args.only in (None, "commit"):
        path = out / "commit"
        print(f"generating the commit corpus in {path}", file=sys.stderr)
        files = make_repo(path, "commit", 10, args.seed)
        corpora["commit corpus"] = corpus_summary(path, files)
        caches = Caches(out / "cache", "commit")
        commit = commit_rows(path, files, caches, args.runs)
        run_rows(commit, path, env, logs, True, lambda: save(out, info, corpora, commit, repo, final=False))
        caches.sweep()
    if args.only in (None, "repo"):
        path = out / "repo"
        print(f"generating the repository corpus ({args.repo_files} files) in {path}", file=sys.stderr)
        files = make_repo(path, "repo", args.repo_files, args.seed)
        corpora["repository corpus"] = corpus_summary(path, files)
        caches = Caches(out / "cache", "repo")
        repo = repo_rows(path, files, caches, args.runs, args.slow_runs)
        run_rows(repo, path, env, logs, False, lambda: save(out, info, corpora, commit, repo, final=False))
        caches.sweep()

    info["load average at end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    info["rules at end"] = rules_digest()
    print(save(out, info, corpora, commit, repo, final=True))
    print(f"wrote {out / 'results.md'} and {out / 'results.json'}; command output in {logs}", file=sys.stderr)
    return 0


def save(out: Path, info: dict[str, str], corpora: dict[str, str], commit: list[Row], repo: list[Row], final: bool) -> str:
    """Write results.md and results.json (also after every round, so an interrupted run leaves data)."""
    text = report(info, corpora, commit, repo)
    if not final:
        text = "*(partial: the run is still going or was interrupted)*\n\n" + text
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(
        json.dumps({"machine": info, "corpora": corpora, "complete": final, "commit": rows_json(commit),
                    "repo": rows_json(repo)}, indent=1),
        encoding="utf-8",
    )
    return text


if __name__ == "__main__":
    raise SystemExit(main())
