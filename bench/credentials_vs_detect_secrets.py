"""mlhygiene-credentials against detect-secrets, as a user runs each: findings, false positives,
planted secrets found, and time.

    python bench/credentials_vs_detect_secrets.py [--files 600] [--planted 120] [--runs 3]
                                                  [--real DIR ...] [--out bench/out/credentials]

Three corpora:

1. **benchmark** — ``bench/gen_corpus.py --size repo``: Kaggle-like notebooks (base64 PNG
   plots, ``_uuid``/``_cell_guid`` metadata, training logs, DataFrame HTML, tokenizer code)
   and scripts. Its generator plants a few fake credentials (``os.environ['X'] = '…'``); they
   are the ground truth, read back from the decoded cells.
2. **planted** — the same kind of notebooks and scripts, plus config files, into which this
   script plants one credential of a known kind in a known place (code cells, ``\\"``-escaped
   literals, ``%env``/``!`` lines, stream/error/rich outputs, markdown, ``.env``/YAML/
   ``kaggle.json``/AWS ``credentials``/``.netrc``) and the decoys ML code is full of (hashes,
   git revisions, tokenizer special tokens, DNA, colour palettes, seeds, UUIDs, placeholders,
   env lookups, secret-manager references).
3. **real** (``--real DIR``, optional) — notebooks and code from packages on PyPI, for a
   sanity check of false positives; nothing is planted, every finding is listed for review.

Fake credentials come from ``tests/secrets_factory.py`` (built at run time, never real).
detect-secrets runs as its CLI (``detect-secrets scan --all-files``) and as its own pre-commit
hook (``detect-secrets-hook``); ours as ``mlhygiene-credentials``. Findings are matched to the
ground truth by the secret itself (detect-secrets reports a SHA-1 of it; a result whose line
holds a planted secret counts as found too). Results go to the terminal and ``OUT/results.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests"), str(ROOT)]
import gen_corpus  # a sibling script, not a package  # noqa: E402
from secrets_factory import Factory  # noqa: E402

BIN = Path(sys.executable).parent
OURS = [str(BIN / "mlhygiene-credentials")] if (BIN / "mlhygiene-credentials").exists() else [
    sys.executable, "-m", "mlhygiene.credentials"]
SCANNED = {".ipynb", ".py", ".env", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".txt", ".netrc"}


class Truth(NamedTuple):
    path: str  # relative to the corpus root
    secret: str
    kind: str  # where and what, e.g. "output: printed os.environ (HF token)"


# ---------------------------------------------------------------------------------------------
# Building the planted corpus

def _cell(source: str, *outputs: dict[str, Any], cell_type: str = "code") -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": cell_type, "metadata": {}, "source": source.splitlines(keepends=True)}
    if cell_type == "code":
        cell.update(execution_count=1, outputs=list(outputs))
    return cell


def _stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text.splitlines(keepends=True)}


def _result(plain: str, html: str | None = None) -> dict[str, Any]:
    data = {"text/plain": [plain]}
    if html is not None:
        data["text/html"] = [html]
    return {"output_type": "execute_result", "execution_count": 1, "data": data, "metadata": {}}


Planting = Callable[[Factory], tuple[list[dict[str, Any]], list[tuple[str, str]]]]


def _notebook_plantings() -> list[Planting]:
    """Each returns (cells to insert, [(secret, kind)])."""

    def openai(f: Factory) -> Any:
        k = f.openai_project()
        return [_cell(f'from openai import OpenAI\nclient = OpenAI(api_key="{k}")')], [(k, "code: OpenAI key")]

    def hf_login(f: Factory) -> Any:
        k = f.huggingface()
        return [_cell(f'from huggingface_hub import login\nlogin(token="{k}")')], [(k, "code: HF token")]

    def escaped_password(f: Factory) -> Any:
        p = f.password()
        src = f'conn = psycopg2.connect(host="db", user="ml", password="{p}")'
        return [_cell(src)], [(p, 'code: password="…" (\\"-escaped in the JSON)')]

    def env_magic(f: Factory) -> Any:
        k = f.anthropic()
        return [_cell(f"%env ANTHROPIC_API_KEY={k}")], [(k, "code: %env Anthropic key")]

    def wandb(f: Factory) -> Any:
        k = f.hex40()
        return [_cell(f'import wandb\nwandb.login(key="{k}")')], [(k, "code: wandb.login(key=…)")]

    def kaggle_echo(f: Factory) -> Any:
        k = f.hex32()
        src = f"!mkdir -p ~/.kaggle\n!echo '{{\"username\":\"jdoe\",\"key\":\"{k}\"}}' > ~/.kaggle/kaggle.json"
        return [_cell(src)], [(k, "code: kaggle.json written by !echo")]

    def aws_pair(f: Factory) -> Any:
        i, s = f.aws_key_id(), f.aws_secret()
        src = f's3 = boto3.client("s3",\n    aws_access_key_id="{i}",\n    aws_secret_access_key="{s}")'
        return [_cell(src)], [(i, "code: AWS key id"), (s, "code: AWS secret key")]

    def gemini(f: Factory) -> Any:
        k = f.google()
        return [_cell(f'import google.generativeai as genai\ngenai.configure(api_key="{k}")')], [(k, "code: Google API key")]

    def git_clone(f: Factory) -> Any:
        k = f.github_classic()
        return [_cell(f"!git clone https://{k}@github.com/acme/private-data.git")], [(k, "code: GitHub token in a clone URL")]

    def db_url(f: Factory) -> Any:
        p = f.password()
        src = f'engine = create_engine("postgresql://ml:{p}@db.internal:5432/features")'
        return [_cell(src)], [(p, "code: password in a URL")]

    def generic_client(f: Factory) -> Any:
        k = f.api_key()
        return [_cell(f'client = Client(api_key="{k}")')], [(k, "code: api_key= kwarg (no known prefix)")]

    def printed_environ(f: Factory) -> Any:
        hf, p = f.huggingface(), f.password()
        text = f"environ({{'PATH': '/usr/local/bin', 'HF_TOKEN': '{hf}', 'DB_PASSWORD': '{p}', 'COLAB_JUPYTER_TOKEN': ''}})\n"
        return [_cell("print(os.environ)", _stream(text))], [(hf, "output: printed os.environ (HF token)"),
                                                              (p, "output: printed os.environ (password)")]

    def cat_kaggle(f: Factory) -> Any:
        k = f.hex32()
        return [_cell("!cat ~/.kaggle/kaggle.json", _stream(f'{{"username":"jdoe","key":"{k}"}}\n'))], [(k, "output: !cat kaggle.json")]

    def config_repr(f: Factory) -> Any:
        k = f.api_key()
        plain = f"Namespace(lr=0.0003, api_key='{k}', epochs=5)"
        return [_cell("args", _result(plain, f"<pre>{plain}</pre>"))], [(k, "output: config repr (api_key=)")]

    def traceback(f: Factory) -> Any:
        k = f.openai_project()
        frame = f'\x1b[0;32m----> 3\x1b[0m client \x1b[38;5;241m=\x1b[39m OpenAI(api_key=\x1b[38;5;124m"{k}"\x1b[39m)'
        err = {"output_type": "error", "ename": "NameError", "evalue": "name 'OpenAI' is not defined", "traceback": [frame]}
        return [_cell("client = make_client()", err)], [(k, "output: traceback")]

    def env_dump(f: Factory) -> Any:
        i, s = f.aws_key_id(), f.aws_secret()
        text = f"HOME=/root\nAWS_ACCESS_KEY_ID={i}\nAWS_SECRET_ACCESS_KEY={s}\nLANG=C.UTF-8\n"
        return [_cell("!env", _stream(text))], [(i, "output: !env (AWS key id)"), (s, "output: !env (AWS secret)")]

    def markdown(f: Factory) -> Any:
        k = f.groq()
        return [_cell(f"Run with:\n\n    export GROQ_API_KEY={k}\n", cell_type="markdown")], [(k, "markdown: key in instructions")]

    return [openai, hf_login, escaped_password, env_magic, wandb, kaggle_echo, aws_pair, gemini, git_clone,
            db_url, generic_client, printed_environ, cat_kaggle, config_repr, traceback, env_dump, markdown]


def _decoy_cells(rng: random.Random) -> list[dict[str, Any]]:
    """What detect-secrets reports in ML notebooks and a credentials hook must not."""
    hexs = "0123456789abcdef"

    def h(n: int) -> str:
        return "".join(rng.choice(hexs) for _ in range(n))

    dna = "".join(rng.choice("ACGT") for _ in range(60))
    choices = [
        _cell(f'EXPECTED_SHA256 = "{h(64)}"\nassert hashlib.sha256(open("model.bin", "rb").read()).hexdigest() == EXPECTED_SHA256'),
        _cell(f'model = AutoModel.from_pretrained("bert-base-uncased", revision="{h(40)}")'),
        _cell('tokenizer = AutoTokenizer.from_pretrained("gpt2", pad_token="[PAD]", eos_token="<|endoftext|>")\n'
              'tokenizer.add_special_tokens({"mask_token": "<mask>"})\nos.environ["TOKENIZERS_PARALLELISM"] = "false"'),
        _cell('api_key = os.environ.get("OPENAI_API_KEY")\npassword = getpass.getpass("Password: ")\n'
              'token = userdata.get("HF_TOKEN")'),
        _cell('client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")\n# api_key = "sk-..."\n'
              'OPENAI_API_KEY = "YOUR_API_KEY"'),
        _cell(f'primers = ["ACCA{dna[:16]}", "{dna[16:40]}"]\nprint(primers)', _stream(f"['ACCA{dna[:16]}', '{dna}']\n")),
        _cell('palette = ["#1f77b4", "#ff7f0e", "#2ca02c"]\ntoken_colors = "#1f77b4,#ff7f0e"\nSEED = 42\nsecret_seed = "8675309"'),
        _cell("print(run.id, run.name)", _stream(f"{h(8)}-{h(4)}-4{h(3)}-a{h(3)}-{h(12)} {h(32)}\n")),
        _cell('secret_name = "projects/ml/secrets/openai/versions/latest"\nsecret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hf-AbC"'),
        _cell("!sha256sum model.safetensors", _stream(f"{h(64)}  model.safetensors\n")),
        _cell("model.fit(x)", {"output_type": "display_data", "metadata": {}, "data": {
            "application/vnd.jupyter.widget-view+json": {"model_id": h(32), "version_major": 2, "version_minor": 0}}}),
    ]
    return rng.sample(choices, 3)


def _planted_notebook(rng: random.Random, plant: Planting, factory: Factory) -> tuple[str, list[tuple[str, str]]]:
    nb = json.loads(gen_corpus.notebook(rng))
    cells, secrets = plant(factory)
    for cell in [*_decoy_cells(rng), *cells]:
        nb["cells"].insert(rng.randint(1, len(nb["cells"])), cell)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", secrets


def _planted_script(rng: random.Random, factory: Factory, n: int) -> tuple[str, list[tuple[str, str]]]:
    lines = gen_corpus.script(rng).split("\n")
    kind = n % 6
    if kind == 0:
        k = factory.openai_project()
        planted, secrets = [f'OPENAI_API_KEY = "{k}"'], [(k, "script: OpenAI key")]
    elif kind == 1:
        p = factory.password()
        planted, secrets = [f'DB_PASSWORD = "{p}"'], [(p, "script: DB_PASSWORD")]
    elif kind == 2:
        w = factory.slack_webhook()
        planted, secrets = [f'SLACK_WEBHOOK = "{w}"'], [(w, "script: Slack webhook")]
    elif kind == 3:
        key = factory.private_key_lines()
        planted, secrets = ['SSH_KEY = """' + key[0], *key[1:-1], key[-1] + '"""'], [("\n".join(key[1:-1]), "script: private key block")]
    elif kind == 4:
        r = factory.replicate()
        planted, secrets = [f'os.environ["REPLICATE_API_TOKEN"] = "{r}"'], [(r, "script: Replicate token")]
    else:
        c = factory.cohere()
        planted, secrets = [f'co = cohere.Client("{c}")'], [(c, "script: Cohere key")]
    decoys = [f'CHECKPOINT_SHA1 = "{"".join(rng.choice("0123456789abcdef") for _ in range(40))}"',
              'tokenizer = AutoTokenizer.from_pretrained(MODEL, pad_token="[PAD]")',
              'api_key = os.getenv("OPENAI_API_KEY", "")']
    at = rng.randint(1, len(lines) - 1)
    return "\n".join([*lines[:at], *decoys, *planted, *lines[at:]]) + "\n", secrets


def _configs(factory: Factory) -> list[tuple[str, str, list[tuple[str, str]]]]:
    oa, pw, wb, kg = factory.openai_project(), factory.password(), factory.api_key(), factory.hex32()
    aws_id, aws_secret, netrc = factory.aws_key_id(), factory.aws_secret(), factory.hex40()
    sha = hashlib.sha256(b"model").hexdigest()
    return [
        (".env", f"# local\nOPENAI_API_KEY={oa}\nDB_PASSWORD={pw}\nAPI_BASE=http://localhost:8000\nHF_TOKEN=\n",
         [(oa, "config: .env OpenAI key"), (pw, "config: .env password")]),
        ("config.yaml", f"model:\n  name: bert-base-uncased\n  revision: {sha[:40]}\n  pad_token: '[PAD]'\nwandb:\n  api_key: {wb}\n",
         [(wb, "config: YAML api_key")]),
        ("kaggle.json", f'{{\n  "username": "jdoe",\n  "key": "{kg}"\n}}\n', [(kg, "config: kaggle.json")]),
        ("aws/credentials.cfg", f"[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n",
         [(aws_id, "config: AWS credentials (id)"), (aws_secret, "config: AWS credentials (secret)")]),
        ("netrc.txt", f"machine api.wandb.ai\n  login user\n  password {netrc}\n", [(netrc, "config: .netrc W&B key")]),
        ("requirements.txt", f"torch==2.1.0 --hash=sha256:{sha}\ntransformers>=4.40\n", []),
    ]


def build_planted(out: Path, count: int, seed: int) -> list[Truth]:
    if out.exists():
        shutil.rmtree(out)
    truths: list[Truth] = []
    plantings = _notebook_plantings()
    for n in range(count):
        rng, factory = random.Random(f"{seed}:planted:{n}"), Factory(seed * 100_003 + n)
        if n % 3 == 2:
            rel = f"p{n:04d}/src/train_{n}.py"
            text, secrets = _planted_script(rng, factory, n)
        else:
            rel = f"p{n:04d}/notebooks/{n:02d}-explore.ipynb"
            text, secrets = _planted_notebook(rng, plantings[n % len(plantings)], factory)
        _write(out / rel, text)
        truths += [Truth(rel, s, k) for s, k in secrets]
    for name, text, secrets in _configs(Factory(seed + 7)):
        rel = f"configs/{name}"
        _write(out / rel, text)
        truths += [Truth(rel, s, k) for s, k in secrets]
    return truths


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------------------------
# Ground truth of the benchmark corpus: gen_corpus's own fake credentials

_GEN_CREDENTIAL = re.compile(
    r"(WANDB_API_KEY|HF_TOKEN|AWS_ACCESS_KEY_ID|OPENAI_API_KEY|KAGGLE_KEY)'?\]? = '([^']+)'"
)


def benchmark_truths(root: Path, files: Sequence[Path]) -> list[Truth]:
    truths = []
    for path in files:
        if path.suffix not in (".py", ".ipynb"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            nb = json.loads(text)
            text = "\n".join("".join(c.get("source", [])) for c in nb["cells"])
        for match in _GEN_CREDENTIAL.finditer(text):
            truths.append(Truth(str(path.relative_to(root)), match.group(2), f"benchmark: {match.group(1)}"))
    return truths


# ---------------------------------------------------------------------------------------------
# Running the tools

def corpus_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and (p.suffix in SCANNED or p.name.startswith(".env")) and ".git" not in p.parts
    )


def timed(argv: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def median_time(argv: list[str], cwd: Path, runs: int) -> float:
    return statistics.median(timed(argv, cwd)[0] for _ in range(runs))


class Score(NamedTuple):
    findings: int
    true: int
    false: int
    found: set[Truth]
    false_by_type: Counter[str]


def score_detect_secrets(root: Path, report: dict[str, Any], truths: Sequence[Truth]) -> Score:
    by_hash = {(t.path, hashlib.sha1(t.secret.encode()).hexdigest()): t for t in truths}
    by_path: dict[str, list[Truth]] = {}
    for t in truths:
        by_path.setdefault(t.path, []).append(t)
    found: set[Truth] = set()
    true = false = 0
    false_by_type: Counter[str] = Counter()
    lines_cache: dict[str, list[str]] = {}
    for path, results in report.get("results", {}).items():
        for r in results:
            hit = by_hash.get((path, r["hashed_secret"]))
            if hit is None and r["type"] == "Private Key":  # it hashes the header, not the key
                hit = next((t for t in by_path.get(path, []) if "private key" in t.kind), None)
            if hit is None and path in by_path:
                lines = lines_cache.setdefault(path, (root / path).read_text(encoding="utf-8").split("\n"))
                line = lines[r["line_number"] - 1] if r["line_number"] <= len(lines) else ""
                hit = next((t for t in by_path[path] if t.secret.split("\n")[0] in line), None)
            if hit is None:
                false += 1
                false_by_type[r["type"]] += 1
            else:
                true += 1
                found.add(hit)
    return Score(true + false, true, false, found, false_by_type)


def score_ours(root: Path, files: Sequence[Path], truths: Sequence[Truth]) -> tuple[Score, list[str]]:
    """In-process (the same code the console script runs), to see ``Finding.matched``."""
    from mlhygiene import credentials
    from mlhygiene._core.config import Config
    from mlhygiene._core.report import text_line
    from mlhygiene._core.runner import run_checks

    old = Path.cwd()
    os.chdir(root)
    try:
        options = argparse.Namespace(no_baseline=True, no_cache=True, debug=False)
        rel = [str(p.relative_to(root)) for p in files]
        findings, _ = run_checks(rel, [credentials.CHECK], Config(root=root), options)
    finally:
        os.chdir(old)
    by_path: dict[str, list[Truth]] = {}
    for t in truths:
        by_path.setdefault(t.path, []).append(t)
    found: set[Truth] = set()
    false_lines: list[str] = []
    false_by_type: Counter[str] = Counter()
    true = 0
    for f in findings:
        hit = next((t for t in by_path.get(f.path, []) if t.secret == f.matched or t.secret in f.matched), None)
        if hit is None:
            false_lines.append(text_line(f))
            false_by_type[f.rule_id] += 1
        else:
            true += 1
            found.add(hit)
    return Score(len(findings), true, len(false_lines), found, false_by_type), false_lines


def detect_secrets_scan(root: Path, rel: Sequence[str]) -> tuple[float, dict[str, Any]]:
    """``detect-secrets scan --all-files`` over the same files our hook reads."""
    seconds, done = timed(["detect-secrets", "scan", "--all-files", *rel], root)
    if done.returncode != 0:
        raise SystemExit(f"detect-secrets scan failed: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    return seconds, report


# ---------------------------------------------------------------------------------------------
# Report

def _row(name: str, tool: str, score: Score, truths: int, seconds: float) -> str:
    found = f"{len(score.found)}/{truths}" if truths else "-"
    return f"| {name} | {tool} | {score.findings} | {score.true} | {score.false} | {found} | {seconds:.1f} s |"


def _missed(score: Score, truths: Sequence[Truth]) -> str:
    missed = Counter(t.kind for t in truths if t not in score.found)
    return ", ".join(f"{k} (x{n})" for k, n in sorted(missed.items())) or "none"


def compare(name: str, root: Path, truths: Sequence[Truth], runs: int, lines: list[str]) -> dict[str, Any]:
    files = corpus_files(root)
    rel = [str(p.relative_to(root)) for p in files]
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"[{name}] {len(files)} files, {size:.1f} MB, {len(truths)} planted secrets", file=sys.stderr)
    ds_seconds, report = detect_secrets_scan(root, rel)
    ds = score_detect_secrets(root, report, truths)
    ours, false_lines = score_ours(root, files, truths)
    our_seconds = median_time([*OURS, "--no-cache", "--no-baseline", *rel], root, runs)
    hook_seconds = median_time(["detect-secrets-hook", *rel], root, 1)
    lines += [
        f"### {name}: {len(files)} files, {size:.1f} MB, {len(truths)} planted secrets", "",
        "| corpus | tool | findings | true | false | planted found | time |",
        "|---|---|---|---|---|---|---|",
        _row(name, "`detect-secrets scan --all-files`", ds, len(truths), ds_seconds),
        f"| {name} | `detect-secrets-hook FILES` | (same engine and findings) | | | | {hook_seconds:.1f} s |",
        _row(name, "`mlhygiene-credentials FILES`", ours, len(truths), our_seconds),
        "",
        f"- detect-secrets false positives by type: {dict(ds.false_by_type.most_common())}",
        f"- detect-secrets missed: {_missed(ds, truths)}",
        f"- mlhygiene false positives by rule: {dict(ours.false_by_type.most_common()) or 'none'}",
        f"- mlhygiene missed: {_missed(ours, truths)}",
        "",
    ]
    if false_lines:
        lines += ["mlhygiene findings not planted (review them):", "", *[f"    {x}" for x in false_lines[:50]], ""]
    return {
        "corpus": name, "files": len(files), "megabytes": round(size, 1), "planted": len(truths),
        "detect_secrets": {"findings": ds.findings, "true": ds.true, "false": ds.false, "found": len(ds.found),
                           "scan_seconds": round(ds_seconds, 2), "hook_seconds": round(hook_seconds, 2),
                           "false_by_type": dict(ds.false_by_type)},
        "mlhygiene": {"findings": ours.findings, "true": ours.true, "false": ours.false, "found": len(ours.found),
                      "seconds": round(our_seconds, 2), "false_by_rule": dict(ours.false_by_type)},
    }


def commit_timing(root: Path, runs: int, lines: list[str]) -> None:
    files = corpus_files(root)
    notebooks = [p for p in files if p.suffix == ".ipynb"][:5]
    scripts = [p for p in files if p.suffix == ".py"][:5]
    rel = [str(p.relative_to(root)) for p in notebooks + scripts]
    ds = median_time(["detect-secrets-hook", *rel], root, runs)
    ours = median_time([*OURS, "--no-cache", *rel], root, runs)
    lines += [
        f"### One commit (5 notebooks + 5 scripts), median of {runs} runs", "",
        "| tool | time |", "|---|---|",
        f"| `detect-secrets-hook` | {ds:.2f} s |", f"| `mlhygiene-credentials` | {ours:.2f} s |", "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=600, help="benchmark corpus size (gen_corpus --size repo)")
    parser.add_argument("--planted", type=int, default=120, help="notebooks and scripts with a planted secret")
    parser.add_argument("--runs", type=int, default=3, help="timing runs (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", nargs="*", type=Path, default=[], help="folders of real notebooks/code")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "credentials")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    lines = ["# mlhygiene-credentials vs detect-secrets", ""]
    results = []

    bench = args.out / "benchmark"
    files = gen_corpus.generate(bench, "repo", args.files, args.seed)
    results.append(compare("benchmark", bench, benchmark_truths(bench, files), args.runs, lines))
    commit_timing(bench, max(args.runs, 5), lines)

    planted = args.out / "planted"
    truths = build_planted(planted, args.planted, args.seed)
    truths += benchmark_truths(planted, corpus_files(planted))  # the background notebooks' own
    results.append(compare("planted", planted, truths, args.runs, lines))

    for folder in args.real:
        results.append(compare(f"real:{folder.name}", folder.resolve(), [], 1, lines))

    (args.out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
