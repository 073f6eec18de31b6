"""One Semgrep run for every rule over every unit of every source, mapped back to findings."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from mlhygiene import __version__
from mlhygiene._core import fastpath
from mlhygiene._core.cache import PARSE_ERRORS, ResultCache, target_name
from mlhygiene._core.notebook import SHIM_VERSION
from mlhygiene._core.prefilter import Needs, UnitIndex, may_match, read_needs
from mlhygiene._core.records import CheckResult, FatalError, Finding, Problem, Source, Unit
from mlhygiene._core.trees import Trees

ENGINE_ENV = "MLHYGIENE_SEMGREP_ENGINE"
NO_PREFILTER_ENV = "MLHYGIENE_NO_PREFILTER"
SEMGREP_ENV = "MLHYGIENE_SEMGREP"
_SEVERITY = {"ERROR": "error", "WARNING": "warning", "INFO": "info", "INVENTORY": "info"}


def rules_dir() -> Path:
    """The bundled rules: ``mlhygiene/rules`` in a wheel, ``rules/`` at the top of a checkout.

In a source checkout the package is ``hooks/mlhygiene``, two folders below the rules.
"""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "rules", here.parent.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise FatalError("the bundled Semgrep rules are missing; reinstall mlhygiene")


def rule_files(extra: Sequence[str] = ()) -> list[Path]:
    files = sorted(p for p in rules_dir().rglob("*.yaml"))
    if not files:
        raise FatalError(f"no Semgrep rules found in {rules_dir()}; reinstall mlhygiene")
    for name in extra:
        if not os.path.isfile(name):
            raise FatalError(f"extra rule file {name} does not exist (see extra-rules in [tool.mlhygiene])")
    return files + [Path(p) for p in extra]


def semgrep_command() -> list[str]:
    """How to start Semgrep: $MLHYGIENE_SEMGREP, the one beside our interpreter, or PATH."""
    override = os.environ.get(SEMGREP_ENV)
    if override:
        return [override]
    beside = Path(sys.executable).parent / ("semgrep.exe" if os.name == "nt" else "semgrep")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("semgrep")
    if found:
        return [found]
    raise FatalError(
        "semgrep is not installed or not on PATH; install it with 'pip install semgrep' "
        "(pre-commit installs it for you)"
    )


def semgrep_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SEMGREP_SEND_METRICS="off",
        SEMGREP_ENABLE_VERSION_CHECK="0",
        SEMGREP_VERSION_CHECK_TIMEOUT="0",
        SEMGREP_FORCE_NO_COLOR="1",
    )
    for key in ("SEMGREP_APP_TOKEN", "SEMGREP_RULES", "SEMGREP_REPO_URL"):
        env.pop(key, None)
    return env


def use_osemgrep() -> bool:
    return os.environ.get(ENGINE_ENV, "osemgrep").lower() in ("osemgrep", "experimental")


def engine_id() -> str:
    """What, besides the rules and the text, decides Semgrep's answer (part of the cache key)."""
    exe = semgrep_command()[0]
    try:
        stat = os.stat(exe)
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        stamp = "?"
    try:
        from importlib.metadata import version

        semgrep_version = version("semgrep")
    except Exception:  # not installed as a distribution (e.g. a standalone binary)
        semgrep_version = "?"
    engine = "osemgrep" if use_osemgrep() else "pysemgrep"
    prefiltered = "all" if os.environ.get(NO_PREFILTER_ENV) else "needs"
    fast = "fastpath" if fastpath.enabled() else "semgrep-only"
    return f"{__version__}|{SHIM_VERSION}|{engine}|{semgrep_version}|{exe}|{stamp}|{prefiltered}|{fast}"


def build_command(configs: Sequence[Path], targets: Sequence[str], timeout: int) -> list[str]:
    cmd = semgrep_command()
    if use_osemgrep():
        cmd.append("--experimental")
    else:
        cmd.append("scan")
    cmd += [
        "--json",
        "--metrics=off",
        "--disable-version-check",
        "--no-git-ignore",
        "--quiet",
        "--timeout",
        str(min(timeout, 60)),
        "--timeout-threshold",
        "3",
        "--max-target-bytes",
        "0",
        "-j",
        "1",
    ]
    for config in configs:
        cmd += ["--config", str(config)]
    # The OCaml CLI takes no "--"; our targets are absolute temp paths, never options.
    return [*cmd, *targets] if use_osemgrep() else [*cmd, "--", *targets]


class Target(NamedTuple):
    source: Source
    unit: Unit


MIN_UNITS_PER_PROCESS = 16
MAX_PROCESS_TEXT = 1_500_000  # characters of units per Semgrep process (its peak memory)
START_COST = 250.0  # ms: starting Semgrep and loading the rules, in the units below
PARSE_COST = 4.0  # ms to parse one unit
RULE_COST = 1.0  # ms to match one rule on one unit
TAINT_COST = 15.0  # ms for a taint-mode rule
_TAINT = re.compile(r"^\s*mode:\s*taint\s*$", re.M)


class RuleInfo(NamedTuple):
    needs: Needs | None
    cost: float


def rule_info(config: Path) -> RuleInfo:
    try:
        taint = bool(_TAINT.search(config.read_text(encoding="utf-8")))
    except OSError:
        taint = False
    return RuleInfo(read_needs(config), TAINT_COST if taint else RULE_COST)


def rule_infos(configs: Sequence[Path]) -> dict[Path, RuleInfo]:
    """Each rule file's needs and cost (no needs at all under $MLHYGIENE_NO_PREFILTER)."""
    if os.environ.get(NO_PREFILTER_ENV):
        return {config: RuleInfo(None, rule_info(config).cost) for config in configs}
    return {config: rule_info(config) for config in configs}


def needed(infos: dict[Path, RuleInfo], text: str) -> frozenset[Path]:
    """The rules that could match ``text``; empty when none can (then Semgrep never sees it)."""
    index = UnitIndex(text)
    return frozenset(c for c, info in infos.items() if may_match(info.needs, index))


def plan(
    configs: Sequence[Path],
    texts: dict[str, str],
    infos: dict[Path, RuleInfo] | None = None,
    chosen: dict[str, frozenset[Path]] | None = None,
    processes: int | None = None,
) -> list[tuple[list[Path], list[str]]]:
    """Which rules each Semgrep process runs on which targets.

    Each unit only needs the rules whose declared needs its text has (``mlhygiene/_core/prefilter``);
    a unit that needs none is not handed to Semgrep at all. Units needing the same rules form a
    group; groups are merged while that costs less than starting another process, and large
    groups are split so that the processes keep every core busy (at most ``processes`` per
    group; default: one per core), and so that no process holds more than ``MAX_PROCESS_TEXT``
    characters of units. Returns (configs, targets)
    pairs; every target that needs a rule is in exactly one pair, with every rule it needs.
    """
    infos = rule_infos(configs) if infos is None else infos
    by_rules: dict[frozenset[Path], list[str]] = {}
    for name, text in texts.items():
        rules = chosen[name] if chosen is not None else needed(infos, text)
        if rules:
            by_rules.setdefault(rules, []).append(name)
    groups = _merge([(rules, names) for rules, names in by_rules.items()], infos)
    cores = processes or os.cpu_count() or 1
    weights = [_cost(rules, names, infos) for rules, names in groups]
    total = sum(weights) or 1.0
    pairs = []
    for (rules, names), weight in zip(groups, weights, strict=True):
        parts = max(1, min(round(cores * weight / total), len(names) // MIN_UNITS_PER_PROCESS))
        # Semgrep's memory grows with the text it holds (~30 MB per MB here): bound it.
        parts = max(parts, -(-sum(len(texts[n]) for n in names) // MAX_PROCESS_TEXT))
        for chunk in _balanced(sorted(names), texts, parts):
            pairs.append(([c for c in configs if c in rules], chunk))
    return pairs


def _cost(rules: frozenset[Path], names: Sequence[str], infos: dict[Path, RuleInfo]) -> float:
    return len(names) * (PARSE_COST + sum(infos[r].cost for r in rules))


def _merge(
    groups: list[tuple[frozenset[Path], list[str]]], infos: dict[Path, RuleInfo]
) -> list[tuple[frozenset[Path], list[str]]]:
    """Merge the pair of groups whose merge costs least, while that is less than a process start."""
    while len(groups) > 1:
        best: tuple[float, int, int] | None = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                (ra, na), (rb, nb) = groups[i], groups[j]
                extra = _cost(ra | rb, na + nb, infos) - _cost(ra, na, infos) - _cost(rb, nb, infos)
                if best is None or extra < best[0]:
                    best = (extra, i, j)
        assert best is not None
        extra, i, j = best
        if extra >= START_COST:
            break
        (ra, na), (rb, nb) = groups[i], groups[j]
        groups = [g for k, g in enumerate(groups) if k not in (i, j)] + [(ra | rb, na + nb)]
    return groups


def _balanced(names: list[str], texts: dict[str, str], parts: int) -> list[list[str]]:
    """``names`` in ``parts`` chunks of about equal text size (largest first, to the lightest)."""
    if parts <= 1:
        return [names]
    chunks: list[tuple[int, list[str]]] = [(0, []) for _ in range(parts)]
    for name in sorted(names, key=lambda n: -len(texts[n])):
        size, members = min(chunks, key=lambda c: c[0])
        chunks.remove((size, members))
        members.append(name)
        chunks.append((size + len(texts[name]), members))
    return [sorted(members) for _, members in chunks if members]


class SemgrepRun:
    """A Semgrep run over the Python units of ``sources``, started now and collected later.

    Units whose results are in the cache (same text, rules, Semgrep and shim) are not handed
    to Semgrep again; when all are cached, Semgrep does not start at all. A rule only sees the
    units that have what it needs (see ``plan``). The processes run side by side,
    and in the background: the caller does its own work until it asks for the ``result``.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        extra_rules: Sequence[str] = (),
        timeout: int = 300,
        use_cache: bool = True,
        processes: int | None = None,
        trees: Trees | None = None,
    ) -> None:
        configs = rule_files(extra_rules)
        self.trees = trees or Trees()
        self.timeout = timeout
        self.cache = ResultCache.open(configs, engine_id()) if use_cache else None
        self.tmp = tempfile.TemporaryDirectory(prefix="mlhygiene-")
        self.targets: dict[str, Target] = {}
        self.keys: dict[str, str] = {}  # units Semgrep runs on
        self.fresh: dict[str, str] = {}  # units not answered by the cache (what it learns)
        self.fast_results: list[dict[str, Any]] = []
        self.answered: dict[str, frozenset[str]] = {}  # unit -> rule ids the fast path answered
        bundled = configs[: len(configs) - len(extra_rules)]
        fast = fastpath.enabled()
        self.fast = frozenset(c for c in bundled if fast and c.stem in fastpath.HANDLERS)
        self.chosen: dict[str, frozenset[Path]] = {}
        self.output: dict[str, Any] = {"results": [], "errors": []}
        self.procs: list[subprocess.Popen[str]] = []
        self.deadline = time.monotonic() + timeout
        self._result: CheckResult | None = None
        try:
            infos = rule_infos(configs)
            self._prepare(sources, infos)
            if self.keys:
                for group, names in plan(configs, self.keys, infos, self.chosen, processes):
                    self.procs.append(_launch(build_command(group, names, timeout)))
        except BaseException:
            self.close()
            raise

    def _prepare(self, sources: Sequence[Source], infos: dict[Path, RuleInfo]) -> None:
        """Temp files for the units some rule needs and the cache does not answer."""
        tmp = self.tmp.name
        for source in sources:
            for unit in source.units:
                name = os.path.join(tmp, f"{len(self.targets)}.py")
                self.targets[name] = Target(source, unit)
                chosen = needed(infos, unit.text)
                if not chosen:
                    continue  # no rule can match: no Semgrep, no cache entry
                self.chosen[name] = chosen
                cached = self.cache.get(unit.text) if self.cache else None
                if cached is not None:
                    for kind in ("results", "errors"):
                        self.output[kind] += [{**item, "path": name} for item in cached[kind]]
                    continue
                self.fresh[name] = unit.text
                fast = chosen & self.fast
                if fast:  # the busiest syntactic rules, answered from Python's ast where it can
                    results, answered = fastpath.results(fastpath.parse(unit.text, self.trees), fast, name)
                    self.fast_results += results
                    self.answered[name] = frozenset(c.stem for c in answered)
                    chosen = chosen - answered
                    if not chosen:
                        continue  # every rule it needs answered: no Semgrep for this unit
                    self.chosen[name] = chosen
                self.keys[name] = unit.text
                with open(name, "w", encoding="utf-8", errors="surrogatepass") as fh:
                    fh.write(unit.text)

    def result(self) -> CheckResult:
        if self._result is None:
            try:
                fresh: dict[str, Any] = {"results": list(self.fast_results), "errors": []}
                for proc in self.procs:
                    try:
                        remaining = max(0.1, self.deadline - time.monotonic())
                        stdout, stderr = proc.communicate(timeout=remaining)
                    except subprocess.TimeoutExpired:
                        raise FatalError(
                            f"semgrep did not finish within {self.timeout} s; raise semgrep-timeout in "
                            "[tool.mlhygiene] or check fewer files at once"
                        ) from None
                    parsed = _parse_output(proc.returncode, stdout, stderr)
                    # A process may run a rule on more units than need it (merged groups): the
                    # fast path's answer for a unit stands, Semgrep's repeat of it is dropped.
                    fresh["results"] += [r for r in parsed["results"] if not self._answered(r)]
                    fresh["errors"] += parsed["errors"]
                self.output["results"] += fresh["results"]
                self.output["errors"] += fresh["errors"]
                if self.cache is not None and self.fresh:
                    self.cache.put_all(self.fresh, fresh, self.tmp.name)
                self._result = _convert(self.output, self.targets, self.tmp.name)
            finally:
                self.close()
        return self._result

    def _answered(self, result: dict[str, Any]) -> bool:
        name = target_name(str(result.get("path", "")), self.tmp.name)
        return str(result.get("check_id", "")).rsplit(".", 1)[-1] in self.answered.get(name, ())

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.tmp.cleanup()


def run_semgrep(
    sources: Sequence[Source],
    extra_rules: Sequence[str] = (),
    timeout: int = 300,
    use_cache: bool = True,
) -> CheckResult:
    """Run every rule over the Python units of ``sources`` and wait for the result."""
    return SemgrepRun(sources, extra_rules, timeout, use_cache).result()


def _launch(cmd: list[str]) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=semgrep_env(),
        )
    except FileNotFoundError:
        raise FatalError(
            f"cannot start semgrep ({cmd[0]} not found); install it with 'pip install semgrep'"
        ) from None


def _parse_output(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
    try:
        output: dict[str, Any] = json.loads(stdout)
        if not isinstance(output, dict) or not isinstance(output.get("results"), list):
            raise ValueError("no results")
    except ValueError:
        cause = first_error(stderr or stdout)[:300]
        raise FatalError(f"semgrep failed (exit {returncode}): {cause}") from None
    if not isinstance(output.get("errors"), list):
        output["errors"] = []
    if returncode not in (0, 1) and not any(not e.get("path") for e in output["errors"]):
        # Fail closed: an exit code that means "could not run" is never a clean result.
        output["errors"].append(
            {"type": "exit", "level": "error", "message": f"semgrep exited with code {returncode}"}
        )
    return output


def first_error(text: str) -> str:
    """Semgrep's own first error line, not the last line of a traceback that follows it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    frames = ("Traceback", 'File "', "raise ", "^")
    cause = re.compile(r"\berror\b|fatal|invalid|cannot|not found|failed", re.I)
    for line in lines:
        if cause.search(line) and not line.startswith(frames):
            return line
    return lines[0] if lines else "no output"


def _map_line(unit: Unit, line: int) -> tuple[int | None, int] | None:
    if not unit.line_map:
        return None, line
    if 1 <= line <= len(unit.line_map):
        return unit.line_map[line - 1]
    return None


@lru_cache(maxsize=8)
def _utf8(text: str) -> bytes:
    """A unit's text as Semgrep read it: its ``offset``s and ``col``s count these bytes."""
    return text.encode("utf-8", "surrogatepass")


def _char_column(unit: Unit, position: dict[str, Any]) -> int:
    """Semgrep's 1-based byte column as a 1-based character column (what editors show)."""
    col = int(position["col"])
    offset = int(position.get("offset", -1))
    if unit.text.isascii() or offset < col - 1:
        return col
    data = _utf8(unit.text)
    line_start = offset - (col - 1)
    return len(data[line_start:offset].decode("utf-8", "replace")) + 1


def _matched(unit: Unit, start: dict[str, Any], end: dict[str, Any]) -> str:
    data = _utf8(unit.text)
    return data[int(start.get("offset", 0)) : int(end.get("offset", 0))].decode("utf-8", "replace")


def _convert(output: dict[str, Any], targets: dict[str, Target], tmp: str) -> CheckResult:
    findings: list[Finding] = []
    problems: list[Problem] = []

    def target_of(path: str) -> Target | None:
        return targets.get(target_name(path, tmp))

    for result in output.get("results", []):
        target = target_of(str(result.get("path", "")))
        if target is None:
            continue
        start, end = result["start"], result["end"]
        first = _map_line(target.unit, int(start["line"]))
        if first is None:
            continue
        last = _map_line(target.unit, int(end["line"])) or first
        extra = result.get("extra", {})
        metadata = extra.get("metadata") or {}
        cell, line = first
        findings.append(
            Finding(
                path=target.source.path,
                line=line,
                column=_char_column(target.unit, start),
                end_line=last[1] if last[0] == cell else line,
                end_column=_char_column(target.unit, end if last[0] == cell else start),
                rule_id=str(result["check_id"]).rsplit(".", 1)[-1],
                category=str(metadata.get("mlhygiene-category", "custom")),
                severity=_SEVERITY.get(str(extra.get("severity", "WARNING")).upper(), "warning"),
                message=" ".join(str(extra.get("message", "")).split()),
                cell=cell,
                matched=_matched(target.unit, start, end),
            )
        )
    seen: set[tuple[str, int | None, str]] = set()
    for error in output.get("errors", []):
        problem = _problem(error, target_of)
        if problem is not None and (problem.path, problem.cell, problem.message) not in seen:
            seen.add((problem.path, problem.cell, problem.message))
            problems.append(problem)
    return CheckResult(findings, problems)


def _problem(error: dict[str, Any], target_of: Any) -> Problem | None:
    kind = str(error.get("type", ""))
    if isinstance(error.get("type"), list):
        kind = str(error["type"][0])
    message = " ".join(str(error.get("message", kind)).split())
    path = error.get("path")
    target: Target | None = target_of(str(path)) if path else None
    if target is None:  # about a rule file or the run itself: nothing is trustworthy
        where = f" in {path}" if path else ""
        return Problem("<semgrep>", f"semgrep error{where}: {message[:300]}")
    cell: int | None = None
    spans = error.get("spans") or []
    if spans and target.unit.line_map:
        mapped = _map_line(target.unit, int(spans[0].get("start", {}).get("line", 0)))
        cell = mapped[0] if mapped else None
    if kind.startswith(PARSE_ERRORS):
        return Problem(
            target.source.path,
            "Semgrep could parse only part of this Python; findings may be incomplete",
            fatal=False,
            cell=cell,
        )
    if "Timeout" in kind or "timeout" in message.lower():
        return Problem(
            target.source.path, "semgrep timed out on this file; it was not fully checked", cell=cell
        )
    return Problem(
        target.source.path, f"semgrep could not check this file ({kind or message[:200]})", cell=cell
    )
