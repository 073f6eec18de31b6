"""mlhygiene-credentials: every supported secret type in scripts, notebook cells, outputs and
config files, the decoys that must stay quiet, the named filters, redaction and suppression.

Every fake credential is built at run time by ``secrets_factory`` (no secret-shaped literal in
the repo). Templates carry the placeholder ``SECRET``; expected lines use ``{s:.N}`` for the
N-character hint the message shows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlhygiene import credentials
from tests.secrets_factory import Factory

LOAD = "load it from an environment variable or a secrets manager, and "
CLEAR = " in this cell's output: clear this cell's output and "
KEY, TOKEN, PASSWORD, IT = "rotate the key", "revoke the token", "change the password", "rotate it"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path with an empty config, so no repository baseline or exclude applies."""
    (tmp_path / "pyproject.toml").write_text("[tool.mlhygiene]\n")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    rc = credentials.main(list(args))
    out, err = capsys.readouterr()
    return rc, out.splitlines(), err


def write_baseline(*paths: str) -> int:
    """What ``mlhygiene baseline`` writes, for this hook alone (the other hooks start Semgrep)."""
    import argparse

    from mlhygiene._core import baseline
    from mlhygiene._core.config import load_config
    from mlhygiene._core.runner import run_checks

    findings, _ = run_checks(paths, [credentials.CHECK], load_config(), argparse.Namespace(), apply_baseline=False)
    return baseline.write_baseline(".mlhygiene-baseline.json", findings)


def fake(kind: str, seed: int = 1) -> str:
    return Factory(seed).make(kind)


# --- notebooks ----------------------------------------------------------------------------
def notebook(*cells: dict[str, Any]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}, indent=1)


def code(source: str, *outputs: dict[str, Any], tags: tuple[str, ...] = (), **metadata: Any) -> dict[str, Any]:
    meta: dict[str, Any] = dict(metadata)
    if tags:
        meta["tags"] = list(tags)
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": meta,
        "outputs": list(outputs),
        "source": source.splitlines(keepends=True),
    }


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text.splitlines(keepends=True)}


def result(**data: str) -> dict[str, Any]:
    mimes = {k.replace("_", "/", 1).replace("_", "-"): v.splitlines(keepends=True) for k, v in data.items()}
    return {"output_type": "execute_result", "execution_count": 1, "data": mimes, "metadata": {}}


def error(ename: str, evalue: str, *traceback: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": list(traceback)}


# ==========================================================================================
# Scripts: one line per supported type (the hit table)
# ==========================================================================================
SCRIPT_HITS = [
    ("openai_project", 'client = OpenAI(api_key="SECRET")', "openai-api-key OpenAI project API key ({s:.6}…): " + LOAD + KEY),
    ("openai_svcacct", 'OPENAI_API_KEY = "SECRET"', "openai-api-key OpenAI service-account key ({s:.6}…): " + LOAD + KEY),
    ("openai_admin", 'admin = "SECRET"', "openai-api-key OpenAI admin key ({s:.6}…): " + LOAD + KEY),
    ("openai_legacy", 'openai.api_key = "SECRET"', "openai-api-key OpenAI API key ({s:.6}…): " + LOAD + KEY),
    ("openai_style", 'client = OpenAI(base_url="https://api.deepseek.com", api_key="SECRET")', "openai-api-key OpenAI-style API key ({s:.6}…): " + LOAD + KEY),
    ("anthropic", 'client = anthropic.Anthropic(api_key="SECRET")', "anthropic-api-key Anthropic API key ({s:.6}…): " + LOAD + KEY),
    ("anthropic_admin", 'ADMIN = "SECRET"', "anthropic-api-key Anthropic admin key ({s:.6}…): " + LOAD + KEY),
    ("huggingface", 'login(token="SECRET")', "huggingface-token Hugging Face access token ({s:.6}…): " + LOAD + TOKEN),
    ("huggingface_org", 'api = HfApi(token="SECRET")', "huggingface-token Hugging Face organization token ({s:.6}…): " + LOAD + TOKEN),
    ("hex32", 'os.environ["KAGGLE_KEY"] = "SECRET"', "kaggle-api-key Kaggle API key ({s:.4}…): " + LOAD + KEY),
    ("hex32", "creds = '{\"username\": \"jdoe\", \"key\": \"SECRET\"}'", "kaggle-api-key Kaggle API key ({s:.4}…): " + LOAD + KEY),
    ("hex32", "creds = {'key': 'SECRET', 'username': 'jdoe'}", "kaggle-api-key Kaggle API key ({s:.4}…): " + LOAD + KEY),
    ("hex40", 'wandb.login(key="SECRET")', "wandb-api-key Weights & Biases API key ({s:.4}…): " + LOAD + KEY),
    ("hex40", 'os.environ["WANDB_API_KEY"] = "SECRET"', "wandb-api-key Weights & Biases API key ({s:.4}…): " + LOAD + KEY),
    ("replicate", 'os.environ["REPLICATE_API_TOKEN"] = "SECRET"', "replicate-api-token Replicate API token ({s:.6}…): " + LOAD + TOKEN),
    ("groq", 'client = Groq(api_key="SECRET")', "groq-api-key Groq API key ({s:.6}…): " + LOAD + KEY),
    ("cohere", 'co = cohere.Client("SECRET")', "cohere-api-key Cohere API key ({s:.4}…): " + LOAD + KEY),
    ("cohere", 'os.environ["CO_API_KEY"] = "SECRET"', "cohere-api-key Cohere API key ({s:.4}…): " + LOAD + KEY),
    ("google", 'genai.configure(api_key="SECRET")', "google-api-key Google API key ({s:.6}…): " + LOAD + KEY),
    ("google_oauth", 'flow_secret = "SECRET"', "google-oauth-client-secret Google OAuth client secret ({s:.6}…): " + LOAD + KEY),
    ("github_classic", 'g = Github("SECRET")', "github-token GitHub token ({s:.6}…): " + LOAD + TOKEN),
    ("github_fine_grained", 'GITHUB_TOKEN = "SECRET"', "github-token GitHub fine-grained token ({s:.6}…): " + LOAD + TOKEN),
    ("gitlab", 'gl = gitlab.Gitlab(url, private_token="SECRET")', "gitlab-token GitLab token ({s:.6}…): " + LOAD + TOKEN),
    ("aws_key_id", 'session = boto3.Session(aws_access_key_id="SECRET")', "aws-access-key AWS access key id ({s:.6}…): " + LOAD + KEY),
    ("aws_secret", 'aws_secret_access_key = "SECRET"', "aws-secret-key AWS secret access key ({s:.4}…): " + LOAD + KEY),
    ("azure_storage", 'conn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=SECRET;"', "azure-storage-key Azure storage account key ({s:.4}…): " + LOAD + KEY),
    ("slack_token", 'slack = WebClient(token="SECRET")', "slack-token Slack token ({s:.6}…): " + LOAD + TOKEN),
    ("slack_webhook", 'requests.post("SECRET", json=msg)', "slack-webhook Slack webhook URL: " + LOAD + "regenerate the webhook"),
    ("discord", 'bot.run("SECRET")', "discord-bot-token Discord bot token ({s:.4}…): " + LOAD + TOKEN),
    ("telegram", 'bot = telebot.TeleBot("SECRET")', "telegram-bot-token Telegram bot token ({s:.4}…): " + LOAD + TOKEN),
    ("stripe", 'stripe.api_key = "SECRET"', "stripe-api-key Stripe live key ({s:.6}…): " + LOAD + KEY),
    ("sendgrid", 'sg = SendGridAPIClient("SECRET")', "sendgrid-api-key SendGrid API key ({s:.6}…): " + LOAD + KEY),
    ("mailchimp", 'client.set_config({"server": "us12", "key": "SECRET"})', "mailchimp-api-key Mailchimp API key ({s:.4}…): " + LOAD + KEY),
    ("twilio", 'client = Client("SECRET", auth)', "twilio-api-key Twilio key ({s:.4}…): " + LOAD + KEY),
    ("square", 'SQUARE = "SECRET"', "square-oauth-secret Square OAuth secret ({s:.6}…): " + LOAD + KEY),
    ("pypi", 'twine_password = "SECRET"', "pypi-token PyPI upload token ({s:.6}…): " + LOAD + TOKEN),
    ("npm", 'NPMRC = "//registry.npmjs.org/:_authToken=SECRET"', "npm-token npm token ({s:.6}…): " + LOAD + TOKEN),
    ("jwt", 'headers = {"Authorization": "Bearer SECRET"}', "json-web-token JSON Web Token ({s:.6}…): " + LOAD + TOKEN),
    ("password", 'engine = create_engine("postgresql://admin:SECRET@db.internal:5432/ml")', "password-in-url password in a URL ({s:.3}…): " + LOAD + PASSWORD),
    ("password", 'db_password = "SECRET"', "hardcoded-credential credential assigned to 'db_password' ({s:.3}…): " + LOAD + IT),
    ("password", 'conn = connect(host="db", user="ml", password="SECRET")', "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("api_key", 'client = Client(api_key="SECRET")', "hardcoded-credential credential assigned to 'api_key' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'os.environ["PINECONE_API_KEY"] = "SECRET"', "hardcoded-credential credential assigned to 'PINECONE_API_KEY' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'os.environ.setdefault("COMET_API_KEY", "SECRET")', "hardcoded-credential credential assigned to 'COMET_API_KEY' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'CONFIG = {"secret_key": "SECRET"}', "hardcoded-credential credential assigned to 'secret_key' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'self.access_token: str = "SECRET"', "hardcoded-credential credential assigned to 'self.access_token' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'headers = {"Authorization": "Token SECRET"}', "hardcoded-credential credential assigned to 'Authorization' ({s:.4}…): " + LOAD + IT),
    ("password", 'r = requests.get(url, auth=("ml", "SECRET"))', "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("password", 'conn = psycopg2.connect("host=db user=ml password=SECRET dbname=features")', "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("password", 'cnxn = pyodbc.connect("Driver={ODBC Driver 18};Server=db;UID=ml;PWD=SECRET;")', "hardcoded-credential credential assigned to 'PWD' ({s:.3}…): " + LOAD + IT),
    ("api_key", 'r = requests.get("https://api.example.com/v1/search?q=cats&api_key=SECRET")', "hardcoded-credential credential assigned to 'api_key' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'if "SECRET" == api_secret:', "hardcoded-credential credential ({s:.4}…): " + LOAD + IT),
    # shapes that were missed (detection-recall issue)
    ("url_password", 'engine = create_engine("postgresql://ml:SECRET@db.internal:5432/ml")', "password-in-url password in a URL ({s:.4}…): " + LOAD + PASSWORD),
    ("mixed_quote", "API_TOKEN = 'SECRET'", "hardcoded-credential credential assigned to 'API_TOKEN' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'token = jwt.encode({"sub": user_id}, "SECRET", algorithm="HS256")', "hardcoded-credential credential assigned to 'signing_key' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'sig = hmac.new(b"SECRET", body, hashlib.sha256).hexdigest()', "hardcoded-credential credential assigned to 'signing_key' ({s:.4}…): " + LOAD + IT),
    ("api_key", 'app.secret_key = "SECRET"', "hardcoded-credential credential assigned to 'app.secret_key' ({s:.4}…): " + LOAD + IT),
    ("spelled_password", 'DB_PASSWORD = "SECRET"', "hardcoded-credential credential assigned to 'DB_PASSWORD' ({s:.4}…): " + LOAD + IT),
    ("mapbox", 'MAPBOX_ACCESS_TOKEN = "SECRET"', "mapbox-token Mapbox secret token ({s:.6}…): " + LOAD + TOKEN),
    ("slack_legacy", 'slack = WebClient(token="SECRET")', "slack-token Slack token ({s:.6}…): " + LOAD + TOKEN),
    ("slack_webhook_http", 'requests.post("SECRET", json=msg)', "slack-webhook Slack webhook URL: " + LOAD + "regenerate the webhook"),
]


def _hit_id(case: tuple[str, str, str]) -> str:
    _, template, expected = case
    return f"{expected.split()[0]}:{template.split('(')[0].split('=')[0].strip()[:24]}"


@pytest.mark.parametrize("kind,template,expected", SCRIPT_HITS, ids=[_hit_id(c) for c in SCRIPT_HITS])
def test_script_hit(capsys: pytest.CaptureFixture[str], kind: str, template: str, expected: str) -> None:
    secret = fake(kind)
    Path("train.py").write_text("import os\n" + template.replace("SECRET", secret) + "\n")
    column = template.index("SECRET") + 1
    rc, out, _ = run(capsys, "train.py")
    assert rc == 1
    assert out == [f"train.py:2:{column}: " + expected.format(s=secret)]


def test_detector_gates_let_every_hit_through() -> None:
    """A detector skips a block without one of its gate literals: every hit line must have one."""
    from mlhygiene._secrets.plugins import build_detectors

    lines = [t.replace("SECRET", fake(k)) for k, t, _ in SCRIPT_HITS]
    lines += [t.replace("SECRET", fake(k)) for _, k, t, _ in CONFIG_HITS]
    lines += [s.replace("SECRET", fake(k)) for k, s, _ in CELL_HITS]
    for detector in build_detectors():
        for text in lines:
            near = detector.nearby is None or detector.nearby.search(text)
            if near and any(True for _ in detector.spans(text)):
                assert detector.may_match(text.lower()), (type(detector.plugin).__name__, text[:30])


def test_narrowed_engine_keeps_the_detectors_a_text_can_reach() -> None:
    from mlhygiene._secrets.engine import build_engine, narrowed

    engine = build_engine()
    text = "x = 1\nurl = 'https://db.example.org/x'\n"
    kept = narrowed(engine, text).detectors
    assert kept == tuple(d for d in engine.detectors if not d.gate or any(g in text.lower() for g in d.gate))
    assert any(not d.gate for d in kept)  # ungated detectors always stay
    assert len(kept) < len(engine.detectors)


def test_private_key_block_in_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    lines = Factory(3).private_key_lines()
    Path("deploy.py").write_text('KEY = """' + "\n".join(lines) + '"""\n')
    rc, out, _ = run(capsys, "deploy.py")
    assert (rc, out) == (1, ["deploy.py:1:10: private-key RSA private key block: " + LOAD + KEY])


def test_aws_pair_on_one_line_and_apart(capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(4)
    key_id, secret = factory.aws_key_id(), factory.aws_secret()
    other_id, other_secret = factory.aws_key_id(), factory.aws_secret()
    Path("s3.py").write_text(
        f's3 = boto3.client("s3", "{key_id}", "{secret}")\n'
        f'ID = "{other_id}"\n'
        "# region\n"
        f'SECRET = "{other_secret}"\n'
    )
    rc, out, _ = run(capsys, "s3.py")
    assert rc == 1
    assert out == [
        f"s3.py:1:26: aws-access-key AWS access key id ({key_id:.6}…): " + LOAD + KEY,
        f"s3.py:1:50: aws-secret-key AWS secret access key ({secret:.4}…): " + LOAD + KEY,
        f"s3.py:2:7: aws-access-key AWS access key id ({other_id:.6}…): " + LOAD + KEY,
        f"s3.py:4:11: aws-secret-key AWS secret access key ({other_secret:.4}…): " + LOAD + KEY,
    ]


def test_two_secrets_on_one_line_and_one_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    """A typed key assigned to a credential name is reported once, by its most specific rule."""
    factory = Factory(5)
    hf, oa = factory.huggingface(), factory.openai_project()
    Path("keys.py").write_text(f'HF_TOKEN, OPENAI_API_KEY = "{hf}", "{oa}"\n')
    rc, out, _ = run(capsys, "keys.py")
    assert rc == 1
    assert out == [
        f"keys.py:1:29: huggingface-token Hugging Face access token ({hf:.6}…): " + LOAD + TOKEN,
        f"keys.py:1:{29 + len(hf) + 4}: openai-api-key OpenAI project API key ({oa:.6}…): " + LOAD + KEY,
    ]


# ==========================================================================================
# Notebook code cells: decoded from JSON, located as cell N:line
# ==========================================================================================
CELL_HITS = [
    ("openai_project", 'from openai import OpenAI\nclient = OpenAI(api_key="SECRET")',
     "openai-api-key OpenAI project API key ({s:.6}…): " + LOAD + KEY),
    # JSON stores this line as  password = \"…\"  : detect-secrets' keyword regexes miss it
    ("password", 'import psycopg2\npassword = "SECRET"',
     "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("openai_project", "import os\n%env OPENAI_API_KEY=SECRET",
     "openai-api-key OpenAI project API key ({s:.6}…): " + LOAD + KEY),
    ("password", "import os\n%env DB_PASSWORD=SECRET",
     "hardcoded-credential credential assigned to 'DB_PASSWORD' ({s:.3}…): " + LOAD + IT),
    ("api_key", 'import os\n!echo "MISTRAL_API_KEY=SECRET" >> .env',
     "hardcoded-credential credential assigned to 'MISTRAL_API_KEY' ({s:.4}…): " + LOAD + IT),
    ("huggingface", "import os\n!export HF_TOKEN=SECRET",
     "huggingface-token Hugging Face access token ({s:.6}…): " + LOAD + TOKEN),
    ("hex40", "import wandb\n!wandb login --relogin SECRET",
     "wandb-api-key Weights & Biases API key ({s:.4}…): " + LOAD + KEY),
    ("hex32", "!mkdir -p ~/.kaggle\n!echo '{\"username\":\"jdoe\",\"key\":\"SECRET\"}' > ~/.kaggle/kaggle.json",
     "kaggle-api-key Kaggle API key ({s:.4}…): " + LOAD + KEY),
    ("password", "%%bash\nexport DB_HOST=db\nexport DB_PASSWORD=SECRET",
     "hardcoded-credential credential assigned to 'DB_PASSWORD' ({s:.3}…): " + LOAD + IT),
    ("password", "%%writefile .env\nDB_HOST=db\nDB_PASSWORD=SECRET",
     "hardcoded-credential credential assigned to 'DB_PASSWORD' ({s:.3}…): " + LOAD + IT),
    ("hex40", "import os\nwith open('/root/.netrc', 'w') as f:\n    f.write('machine api.wandb.ai login user password SECRET')",
     "wandb-api-key Weights & Biases API key ({s:.4}…): " + LOAD + KEY),
]


@pytest.mark.parametrize(
    "kind,source,expected", CELL_HITS, ids=[f"{c[2].split()[0]}-{i}" for i, c in enumerate(CELL_HITS)]
)
def test_code_cell_hit(capsys: pytest.CaptureFixture[str], kind: str, source: str, expected: str) -> None:
    secret = fake(kind)
    text = source.replace("SECRET", secret)
    Path("nb.ipynb").write_text(notebook(markdown("# Setup"), code(text)))
    line = text.splitlines()[-1]
    rc, out, _ = run(capsys, "nb.ipynb")
    assert rc == 1
    assert out == [f"nb.ipynb:cell 2:{text.count(chr(10)) + 1}:{line.index(secret) + 1}: " + expected.format(s=secret)]


def test_markdown_cell_reports_only_unmistakable_shapes(capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(6)
    key, password = factory.groq(), factory.password()
    Path("nb.ipynb").write_text(
        notebook(markdown(f"Set the key:\n\n    export GROQ_API_KEY={key}\n\npassword: {password}"))
    )
    rc, out, _ = run(capsys, "nb.ipynb")
    assert (rc, out) == (1, [f"nb.ipynb:cell 1:3:25: groq-api-key Groq API key ({key:.6}…): " + LOAD + KEY])


# ==========================================================================================
# Notebook outputs: cell N:output K:line, "clear this cell's output"
# ==========================================================================================
def test_printed_environment_in_a_stream_output(capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(7)
    hf, password = factory.huggingface(), factory.password()
    printed = f"environ({{'PATH': '/usr/bin', 'HF_TOKEN': '{hf}', 'DB_PASSWORD': '{password}', 'COLAB_JUPYTER_TOKEN': ''}})\n"
    Path("nb.ipynb").write_text(notebook(code("import os\nprint(os.environ)", stream("setup done\n" + printed))))
    rc, out, _ = run(capsys, "nb.ipynb")
    assert rc == 1
    assert out == [
        f"nb.ipynb:cell 1:output 1:2:43: huggingface-token Hugging Face access token ({hf:.6}…)" + CLEAR + TOKEN,
        f"nb.ipynb:cell 1:output 1:2:{43 + len(hf) + 19}: hardcoded-credential credential assigned to "
        f"'DB_PASSWORD' ({password:.3}…)" + CLEAR + IT,
    ]


def test_cat_kaggle_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    key = fake("hex32")
    Path("nb.ipynb").write_text(
        notebook(code("!cat ~/.kaggle/kaggle.json", stream(f'{{"username":"jdoe","key":"{key}"}}\n')))
    )
    rc, out, _ = run(capsys, "nb.ipynb")
    assert (rc, out) == (1, [f"nb.ipynb:cell 1:output 1:1:27: kaggle-api-key Kaggle API key ({key:.4}…)" + CLEAR + KEY])


def test_config_repr_in_an_execute_result_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    """text/plain and text/html show the same secret: one finding, from text/plain."""
    key = fake("api_key")
    plain = f"Namespace(lr=0.001, api_key='{key}', epochs=3)"
    html = f"<pre>Namespace(lr=0.001, api_key='{key}', epochs=3)</pre>"
    Path("nb.ipynb").write_text(notebook(code("args", result(text_html=html, text_plain=plain))))
    rc, out, _ = run(capsys, "nb.ipynb")
    assert rc == 1
    assert out == [f"nb.ipynb:cell 1:output 1:1:30: hardcoded-credential credential assigned to 'api_key' ({key:.4}…)" + CLEAR + IT]


def test_a_credential_deep_inside_a_minified_html_output(capsys: pytest.CaptureFixture[str]) -> None:
    """Long lines are searched around their cues only: the column must still be exact."""
    key = fake("api_key")
    filler = "".join(f"var k{i}=t.tokenize(d[{i}]);" for i in range(400))
    js = f"<script>{filler}Plotly.setConfig({{mapboxAccessToken: '{key}'}});{filler}</script>"
    Path("nb.ipynb").write_text(notebook(code("fig.show()", result(text_html=js, text_plain="<Figure>"))))
    rc, out, _ = run(capsys, "nb.ipynb")
    assert (rc, out) == (1, [
        f"nb.ipynb:cell 1:output 1:1:{js.index(key) + 1}: hardcoded-credential credential assigned to "
        f"'mapboxAccessToken' ({key:.4}…)" + CLEAR + IT
    ])


def test_traceback_in_an_error_output(capsys: pytest.CaptureFixture[str]) -> None:
    key = fake("anthropic")
    frame = f'\x1b[0;32m----> 1\x1b[0m client \x1b[38;5;241m=\x1b[39m Anthropic(api_key=\x1b[38;5;124m"{key}"\x1b[39m)'
    Path("nb.ipynb").write_text(notebook(code("client = make()", error("NameError", "name 'Anthropic' is not defined", frame))))
    rc, out, _ = run(capsys, "nb.ipynb")
    assert rc == 1
    assert out == [f"nb.ipynb:cell 1:output 1:2:37: anthropic-api-key Anthropic API key ({key:.6}…)" + CLEAR + KEY]


def test_env_dump_and_netrc_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(8)
    key_id, secret, wandb_key = factory.aws_key_id(), factory.aws_secret(), factory.hex40()
    env = f"HOME=/root\nAWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"
    netrc = f"machine api.wandb.ai\n  login user\n  password {wandb_key}\n"
    Path("nb.ipynb").write_text(notebook(code("!env", stream(env)), code("!cat ~/.netrc", stream(netrc))))
    rc, out, _ = run(capsys, "nb.ipynb")
    assert rc == 1
    assert out == [
        f"nb.ipynb:cell 1:output 1:2:19: aws-access-key AWS access key id ({key_id:.6}…)" + CLEAR + KEY,
        f"nb.ipynb:cell 1:output 1:3:23: aws-secret-key AWS secret access key ({secret:.4}…)" + CLEAR + KEY,
        f"nb.ipynb:cell 2:output 1:3:12: wandb-api-key Weights & Biases API key ({wandb_key:.4}…)" + CLEAR + KEY,
    ]


def test_output_tag_and_baseline_suppress_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(9)
    a, b, c = factory.huggingface(), factory.huggingface(), factory.huggingface()
    Path("nb.ipynb").write_text(
        notebook(
            code("print(token)", stream(a + "\n"), tags=("mlhygiene-ignore",)),
            code("print(token)", stream(b + "\n"), tags=("mlhygiene-ignore:huggingface-token",)),
            code("print(token)", stream(c + "\n"), tags=("mlhygiene-ignore:openai-api-key",)),
        )
    )
    rc, out, _ = run(capsys, "nb.ipynb")
    assert (rc, out) == (1, [f"nb.ipynb:cell 3:output 1:1:1: huggingface-token Hugging Face access token ({c:.6}…)" + CLEAR + TOKEN])
    assert write_baseline("nb.ipynb") == 1
    assert c not in Path(".mlhygiene-baseline.json").read_text()
    assert run(capsys, "nb.ipynb")[:2] == (0, [])


# ==========================================================================================
# Config files
# ==========================================================================================
CONFIG_HITS = [
    (".env", "openai_project", "# keys\nOPENAI_API_KEY=SECRET", "openai-api-key OpenAI project API key ({s:.6}…): " + LOAD + KEY),
    (".env", "password", "DB_HOST=db\nDB_PASSWORD=SECRET", "hardcoded-credential credential assigned to 'DB_PASSWORD' ({s:.3}…): " + LOAD + IT),
    (".env.local", "huggingface", "export HF_TOKEN=SECRET", "huggingface-token Hugging Face access token ({s:.6}…): " + LOAD + TOKEN),
    ("config.yaml", "password", "db:\n  host: db\n  password: SECRET", "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("config.yml", "api_key", "wandb:\n  api-key: 'SECRET'", "hardcoded-credential credential assigned to 'api-key' ({s:.4}…): " + LOAD + IT),
    ("kaggle.json", "hex32", '{\n  "username": "jdoe",\n  "key": "SECRET"\n}', "kaggle-api-key Kaggle API key ({s:.4}…): " + LOAD + KEY),
    ("settings.json", "api_key", '{\n  "openai": {\n    "apiKey": "SECRET"\n  }\n}', "hardcoded-credential credential assigned to 'apiKey' ({s:.4}…): " + LOAD + IT),
    ("secrets.toml", "password", '[db]\npassword = "SECRET"', "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("setup.cfg", "password", "[server]\npasswd = SECRET", "hardcoded-credential credential assigned to 'passwd' ({s:.3}…): " + LOAD + IT),
    ("db.ini", "password", "[client]\nuser = ml\npassword=SECRET  ; local", "hardcoded-credential credential assigned to 'password' ({s:.3}…): " + LOAD + IT),
    ("notes.txt", "openai_legacy", "the old key was SECRET, rotated?", "openai-api-key OpenAI API key ({s:.6}…): " + LOAD + KEY),
    ("requirements.txt", "password", "--extra-index-url https://ml:SECRET@pypi.internal/simple\ntorch", "password-in-url password in a URL ({s:.3}…): " + LOAD + PASSWORD),
    ("credentials", "aws_secret", "[default]\naws_secret_access_key = SECRET", "aws-secret-key AWS secret access key ({s:.4}…): " + LOAD + KEY),
    (".netrc", "hex40", "machine api.wandb.ai\n  login user\n  password SECRET", "wandb-api-key Weights & Biases API key ({s:.4}…): " + LOAD + KEY),
    ("environment.yml", "password", "dependencies:\n  - pip:\n    - --index-url https://u:SECRET@pkgs.internal/simple", "password-in-url password in a URL ({s:.3}…): " + LOAD + PASSWORD),
    ("pyproject.toml", "password", '[[tool.poetry.source]]\nurl = "https://ml:SECRET@pkgs.internal/simple"', "password-in-url password in a URL ({s:.3}…): " + LOAD + PASSWORD),
]


@pytest.mark.parametrize(
    "name,kind,template,expected", CONFIG_HITS, ids=[f"{c[0]}-{c[3].split()[0]}" for c in CONFIG_HITS]
)
def test_config_hit(capsys: pytest.CaptureFixture[str], name: str, kind: str, template: str, expected: str) -> None:
    secret = fake(kind)
    text = template.replace("SECRET", secret)
    Path(name).write_text(text + "\n")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines, 1) if secret in line)
    rc, out, _ = run(capsys, name)
    assert rc == 1
    assert out == [f"{name}:{row}:{lines[row - 1].index(secret) + 1}: " + expected.format(s=secret)]


def test_service_account_json_private_key(capsys: pytest.CaptureFixture[str]) -> None:
    lines = Factory(10).private_key_lines("")
    block = "\\n".join(line.replace("BEGIN  ", "BEGIN ").replace("END  ", "END ") for line in lines) + "\\n"
    Path("sa.json").write_text('{\n  "type": "service_account",\n  "private_key": "' + block + '",\n  "client_email": "x@y.iam"\n}\n')
    rc, out, _ = run(capsys, "sa.json")
    assert (rc, out) == (1, ["sa.json:3:19: private-key private key block: " + LOAD + KEY])


# ==========================================================================================
# Decoys: what detect-secrets (or a naive regex) reports in ML code, and we must not
# ==========================================================================================
SCRIPT_DECOYS = {
    # near misses of the shapes the detection-recall issue added
    "mapbox-public": 'MAPBOX_PUBLIC = "p' + 'k.eyJ1IjoibWFwYm94IiwiYSI6ImNpejY4M29iazA2Z2gycXA4N2pmbDZmangifQ.-g_vE53SD2WrJ6tFX7QHmA"',
    "doc-password": 'DB_PASSWORD = "MyPassword123!"',
    "doc-password-2": 'password = "SuperSecretPassword2024"',
    "jwt-variable-key": 'token = jwt.encode(payload, SECRET_KEY, algorithm="HS256")',
    "jwt-env-key": 'token = jwt.encode(payload, os.environ["JWT_SECRET"], algorithm="HS256")',
    "url-template-password": 'engine = create_engine("postgresql://ml:${DB_PASSWORD}@db:5432/ml")',
    "url-user-only": 'engine = create_engine("postgresql://ml@db.internal:5432/ml")',
    "env-get": 'api_key = os.environ.get("OPENAI_API_KEY")',
    "env-getenv-default-empty": 'token = os.getenv("HF_TOKEN", "")',
    "getpass": 'password = getpass.getpass("Password: ")',
    "getpass-prompt": 'password = getpass("Enter your password")',
    "colab-userdata": 'os.environ["HF_TOKEN"] = userdata.get("HF_TOKEN")',
    "kaggle-secrets": 'key = UserSecretsClient().get_secret("openai")',
    "databricks-secrets": 'token = dbutils.secrets.get(scope="kv", key="hf-token")',
    "placeholder-your": 'api_key = "YOUR_API_KEY"',
    "placeholder-ellipsis": 'api_key = "sk-..."',
    "placeholder-angle": 'OPENAI_API_KEY = "<your-openai-key>"',
    "placeholder-token": 'token = "<token>"',
    "placeholder-xxx": 'hf_token = "xxx"',
    "placeholder-x-run": 'hf_token = "hf_' + "x" * 34 + '"',
    "placeholder-here": 'api_key = "your-api-key-here"',
    "vllm-empty": 'client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")',
    "ollama": 'client = OpenAI(base_url="http://localhost:11434/v1", api_key="ollama")',
    "aws-docs-example": 'aws_access_key_id = "AKIAIOSFODNN7' + 'EXAMPLE"',
    "template": 'password = "{{ secrets.DB_PASSWORD }}"',
    "fstring": 'headers = {"Authorization": f"Bearer {token}"}',
    "tokenizer-kwargs": 'tok = AutoTokenizer.from_pretrained("gpt2", pad_token="[PAD]", eos_token="<|endoftext|>")',
    "tokenizer-dict": 'tok.add_special_tokens({"pad_token": "<pad>", "mask_token": "[MASK]"})',
    "tokenizer-sentencepiece": 'unk_token = "▁<unk>"',
    "tokenizers-parallelism": 'os.environ["TOKENIZERS_PARALLELISM"] = "false"',
    "token-type": 'token_type = "Bearer"',
    "max-tokens": 'max_tokens = "4096"',
    "sha256": 'SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08d8e5a5b6c1"',
    "model-revision": 'model = AutoModel.from_pretrained("bert-base-uncased", revision="5546055f03398095e385d7dc625e636cc8910bf2")',
    "checksum-named-key": 'weights_key_sha1 = "5546055f03398095e385d7dc625e636cc8910bf2"',
    "md5": 'expected_md5 = "d41d8cd98f00b204e9800998ecf8427e"',
    "token-hash": 'token_hash = "d41d8cd98f00b204e9800998ecf8427e"',
    "run-id": 'run_id = "3f2a9c1e7b5d4a0f8e6c2b1a9d7f5e3c"',
    "mlflow-run-token": 'run_token = "3f2a9c1e7b5d4a0f8e6c2b1a9d7f5e3c"',
    "uuid-session": 'session_token = "123e4567-e89b-12d3-a456-426614174000"',
    "gcp-secret-name": 'secret_name = "projects/my-proj/secrets/openai-key/versions/latest"',
    "aws-secret-arn": 'api_key_secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf"',
    "1password-ref": 'OPENAI_API_KEY = "op://ml/openai/credential"',
    "env-var-name": 'api_key_env = "OPENAI_API_KEY"',
    "env-var-name-value": 'token = "HF_TOKEN"',
    "token-colours": 'token_colors = "#1f77b4,#ff7f0e,#2ca02c"',
    "palette": 'palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]',
    "seed": 'secret_seed = "8675309"',
    "random-state-token": 'token_random_state = "20240117"',
    "password-field": 'password_field = "password"',
    "key-path": 'api_key_path = "/content/drive/MyDrive/openai_key.txt"',
    "key-file": 'secret_file = "client_secret.json"',
    "pem-path": 'private_key = "~/.ssh/id_rsa"',
    "dna-primer": 'primer = "ACCAGTTGACCATGGACTGA"',
    "dna-read": 'seq = "TTGACCAGTTGACCATGGACTGAACCAGTTGACCATGGACTGAGGCT"',
    "url-placeholder-password": 'url = "postgresql://user:password@localhost/db"',
    "url-fstring": 'url = f"postgresql://{user}:{password}@{host}/db"',
    "url-env": 'url = "mysql://root:${DB_PASSWORD}@db:3306/x"',
    "url-no-password": 'url = "https://user@github.com/org/repo.git"',
    "prose-password": 'prompt = {"password": "Please type your password"}',
    "short-pwd-dir": 'pwd = "."',
    "model-name-key": 'api_key = "gpt-4o-mini"',
    "identifier-key": 'secret_key = "my-flask-secret-key"',
    "comparison-placeholder": 'if api_key == "":',
    "auth-tuple-variables": "r = requests.get(url, auth=(user, password))",
    "conn-string-fstring": 'conn = psycopg2.connect(f"host=db user=ml password={pw}")',
    "password-kwarg-variable": 'conn = connect("db", password=db_password)',
    "url-param-fstring": 'url = f"https://api.example.com/v1?api_key={API_KEY}&q=x"',
    "url-param-not-secret": 'url = "https://api.example.com/v1?token_type=bearer&key_id=3"',
    "hex-colour-key": 'KEY_COLOR = "#ff7f0e"',
}


@pytest.mark.parametrize("line", list(SCRIPT_DECOYS.values()), ids=list(SCRIPT_DECOYS))
def test_script_decoy(capsys: pytest.CaptureFixture[str], line: str) -> None:
    Path("train.py").write_text("import os\n" + line + "\n")
    assert run(capsys, "train.py")[:2] == (0, [])


def _png() -> str:
    import base64
    import random

    rng = random.Random(11)
    payload = bytes(rng.randrange(256) for _ in range(6000))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + payload).decode()


def _blob_with(embedded: str) -> str:
    """A base64 payload that happens to contain ``embedded`` (as random data sometimes does)."""
    png = _png()
    return png[:2000] + embedded + png[2000:]


NOTEBOOK_DECOYS = {
    "image-png-output": code("plt.show()", {"output_type": "display_data", "data": {"image/png": _blob_with("AKIA" + "Z" * 16), "text/plain": ["<Figure size 640x480>"]}, "metadata": {}}),
    "html-data-uri": code("display(img)", result(text_html=f'<img src="data:image/png;base64,{_blob_with("AKIA" + "Q7" * 8)}"/>', text_plain="<IPython.core.display.Image object>")),
    "kaggle-uuid-metadata": code("import numpy as np", _uuid="8f2839f25d086af736a60e9eeb907d3b93b6e0e5", _cell_guid="b1076dfc-b9ad-4769-8c92-a6c4dae69d19"),
    "widget-state": code("model.fit(x)", {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "3f2a9c1e7b5d4a0f8e6c2b1a9d7f5e3c", "version_major": 2}}, "metadata": {}}),
    "training-log": code("trainer.train()", stream("".join(f"Epoch {i}/50 loss=0.{i:04d} acc=0.9{i:02d} lr=3e-05 step_id={i:08x}{i * 7:08x}\n" for i in range(200)))),
    "tqdm-progress": code("train()", stream("100%|██████████| 938/938 [00:21<00:00, 43.66it/s]\r" * 20 + "\n")),
    "sha256sum-output": code("!sha256sum model.bin", stream("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08d8e5a5b6c1  model.bin\n")),
    "git-log-output": code("!git log --oneline -3", stream("commit 5546055f03398095e385d7dc625e636cc8910bf2\nAuthor: a <a@b.c>\n")),
    "dna-output": code("print(seqs)", stream("['ACCAGTTGACCATGGACTGAACCA', 'ASIAGTTGACCATGGACTGA']\n")),
    "tokenizer-repr": code("tokenizer", result(text_plain="GPT2TokenizerFast(name_or_path='gpt2', vocab_size=50257, special_tokens={'bos_token': '<|endoftext|>', 'pad_token': '[PAD]'})")),
    "colab-environ-no-secrets": code("print(os.environ)", stream("environ({'COLAB_JUPYTER_TOKEN': '', 'JPY_PARENT_PID': '7', 'TF_FORCE_GPU_ALLOW_GROWTH': 'true', 'TOKENIZERS_PARALLELISM': 'false'})\n")),
    "hf-login-output": code("notebook_login()", stream("Token is valid (permission: write).\nYour token has been saved to /root/.cache/huggingface/token\nLogin successful\n")),
    "wandb-output": code("wandb.init()", stream("wandb: Currently logged in as: jdoe. Use `wandb login --relogin` to force relogin\nwandb: Run data is saved locally in /content/wandb/run-20240101_000000-3f2a9c1e\nwandb: 🚀 View run at https://wandb.ai/jdoe/proj/runs/3f2a9c1e\n")),
    "pip-freeze-output": code("!pip freeze", stream("torch @ https://download.pytorch.org/whl/cu118/torch-2.1.0%2Bcu118-cp310-cp310-linux_x86_64.whl#sha256=a81b554184492005543ddc32e96469f9369d778dedd195d73bda9bed407d6589\n")),
    "uuid-output": code("print(run.id)", stream("123e4567-e89b-12d3-a456-426614174000\n")),
}


@pytest.mark.parametrize("cell", list(NOTEBOOK_DECOYS.values()), ids=list(NOTEBOOK_DECOYS))
def test_notebook_decoy(capsys: pytest.CaptureFixture[str], cell: dict[str, Any]) -> None:
    Path("nb.ipynb").write_text(notebook(cell))
    assert run(capsys, "nb.ipynb")[:2] == (0, [])


CONFIG_DECOYS = {
    ".env": "API_KEY=${API_KEY}\nDB_PASSWORD=$DB_PASSWORD\nTOKENIZERS_PARALLELISM=false\nHF_TOKEN=\n",
    "config.yaml": "model:\n  pad_token: '<pad>'\n  eos_token: </s>\n  revision: 5546055f03398095e385d7dc625e636cc8910bf2\napi_key: !ENV ${OPENAI_API_KEY}\npassword: changeme\n",
    "sweep.yaml": "method: bayes\nmetric:\n  name: val_loss\nparameters:\n  seed:\n    values: [1, 2, 3]\n",
    "package-lock.json": '{\n  "integrity": "sha512-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz0123=="\n}\n',
    "requirements.txt": "torch==2.1.0 --hash=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08d8e5a5b6c1\ntransformers>=4.40\n",
    "tokenizer_config.json": '{\n  "pad_token": "[PAD]",\n  "unk_token": {"content": "<unk>"},\n  "model_max_length": 512\n}\n',
    "notes.txt": "Set your token: export HF_TOKEN=<your token>\nThe password: see the team vault\n",
}


@pytest.mark.parametrize("name,text", list(CONFIG_DECOYS.items()), ids=list(CONFIG_DECOYS))
def test_config_decoy(capsys: pytest.CaptureFixture[str], name: str, text: str) -> None:
    Path(name).write_text(text)
    assert run(capsys, name)[:2] == (0, [])


# ==========================================================================================
# The named filters, one by one: a case each skips and a near miss each keeps
# ==========================================================================================
def candidate(secret: str, line: str = "", *, name: str = "", name_class: str = "key", rule: str = "hardcoded-credential") -> Any:
    from mlhygiene._secrets.records import Candidate

    line = line or f'x = "{secret}"'
    start = line.index(secret)
    return Candidate(rule, secret, line, start, start + len(secret), name, name_class)


def _filter_cases() -> list[Any]:
    f = Factory(12)
    hf, key, aws = f.huggingface(), f.api_key(), f.aws_key_id()
    blob = _png()[:300]
    header = "-" * 5 + "BEGIN RSA " + "PRIVATE KEY" + "-" * 5
    cases = [
        ("placeholder", candidate("YOUR_API_KEY"), True),
        ("placeholder", candidate("hf_" + "x" * 34, rule="huggingface-token"), True),
        ("placeholder", candidate("EMPTY"), True),
        ("placeholder", candidate("abcdefghijklmnop"), True),
        ("placeholder", candidate(hf, rule="huggingface-token"), False),
        ("interpolated", candidate("{password}"), True),
        ("interpolated", candidate("${DB_PASSWORD}"), True),
        ("interpolated", candidate("%(password)s"), True),
        ("interpolated", candidate(key), False),
        ("embedded_in_longer_token", candidate(aws, f"0{aws}", rule="aws-access-key"), True),
        ("embedded_in_longer_token", candidate(aws, f"{aws}9", rule="aws-access-key"), True),
        ("embedded_in_longer_token", candidate(hf, f'"\\n{hf}"', rule="huggingface-token"), False),
        ("embedded_in_longer_token", candidate(aws, f"id={aws};", rule="aws-access-key"), False),
        ("base64_payload", candidate(aws, f"data:image/png;base64,{blob}{aws}{blob}", rule="aws-access-key"), True),
        ("base64_payload", candidate(aws, f"{blob}+{aws}/{blob}", rule="aws-access-key"), True),
        ("base64_payload", candidate(aws, f"key = '{aws}'", rule="aws-access-key"), False),
        ("biological_sequence", candidate("ACCAGTTGACCATGGACTGA", rule="aws-access-key"), True),
        ("biological_sequence", candidate("AKIAMKVLAAGIVGLLLAAS", rule="aws-access-key"), True),
        ("biological_sequence", candidate(aws, rule="aws-access-key"), False),
        ("checksum", candidate("5546055f03398095e385d7dc625e636cc8910bf2", name="revision"), True),
        ("checksum", candidate("d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e  model.bin"), True),
        ("checksum", candidate("5546055f03398095e385d7dc625e636cc8910bf2", name="api_key"), False),
        ("env_lookup", candidate("OPENAI_API_KEY", 'k = os.environ.get("OPENAI_API_KEY")'), True),
        ("env_lookup", candidate("os.environ.get(", "password = os.environ.get("), True),
        ("env_lookup", candidate(key, f'os.environ["X"] = "{key}"'), False),
        ("secret_manager_reference", candidate("arn:aws:secretsmanager:us-east-1:1:secret:x"), True),
        ("secret_manager_reference", candidate("op://vault/item/field"), True),
        ("secret_manager_reference", candidate(key), False),
        ("reference_name", candidate(key, name="secret_name"), True),
        ("reference_name", candidate(key, name="HF_TOKEN_PATH"), True),
        ("reference_name", candidate(key, name="secret_key"), False),
        ("tokenizer_token", candidate("[PAD]", name="pad_token"), True),
        ("tokenizer_token", candidate("<|endoftext|>", name="eos"), True),
        ("tokenizer_token", candidate(key, name="hf_token"), False),
        ("random_seed", candidate("8675309", name="secret_seed"), True),
        ("random_seed", candidate("20240117", name="access_token"), True),
        ("random_seed", candidate("20240117", name="db_password", name_class="password"), False),
        ("colour_palette", candidate("#1f77b4,#ff7f0e", name="x"), True),
        ("colour_palette", candidate("1f77b4ff7f0e2ca02c", name="token_colours"), True),
        ("colour_palette", candidate("1f77b4ff7f0e2ca02cd62728", name="api_key"), False),
        ("uuid_or_run_id", candidate("123e4567-e89b-12d3-a456-426614174000", name="session_token"), True),
        ("uuid_or_run_id", candidate("3f2a9c1e7b5d4a0f8e6c2b1a9d7f5e3c", name="run_token"), True),
        ("uuid_or_run_id", candidate("123e4567-e89b-12d3-a456-426614174000", name="PINECONE_API_KEY"), False),
        ("file_path_or_url", candidate("/content/drive/MyDrive/key.txt"), True),
        ("file_path_or_url", candidate("https://example.org/api"), True),
        ("file_path_or_url", candidate("/xY3+k9Qz/Lm2pR8sT1vW4aB6cD0eF5gH7iJ9kL1m"), False),
        ("prose", candidate("Enter your password"), True),
        ("prose", candidate(key), False),
        ("env_var_name", candidate("OPENAI_API_KEY"), True),
        ("env_var_name", candidate(key), False),
        ("not_credential_shaped", candidate("gpt-4o-mini"), True),
        ("not_credential_shaped", candidate("my-flask-secret-key"), True),
        ("not_credential_shaped", candidate("aaaaaaaaaaaaaaab"), True),
        ("not_credential_shaped", candidate("abc", name_class="password"), True),
        ("not_credential_shaped", candidate(f.aws_secret().lower(), rule="aws-secret-key"), True),
        ("not_credential_shaped", candidate(key), False),
        ("not_credential_shaped", candidate("hunter22", name_class="password"), False),
        ("placeholder", candidate("MyPassword123!", name_class="password"), True),
        ("placeholder", candidate("s3cr3t", "postgres://u:s3cr3t@db/x", rule="password-in-url"), True),
        ("non_secret_token", candidate(key, name="NextContinuationToken"), True),
        ("non_secret_token", candidate(key, name="idempotency_token"), True),
        ("non_secret_token", candidate(key, name="refresh_token"), False),
        ("code_reference", candidate("StreamDescription.Shards[-1].ShardId"), True),
        ("code_reference", candidate("(?:secret[-_]?key)"), True),
        ("code_reference", candidate("ecr\\-pullthroughcache\\/[a-zA-Z0-9\\/_+=.@-]+$"), True),
        ("code_reference", candidate(key), False),
        ("code_reference", candidate(f.aws_secret()), False),
        ("date_or_version", candidate("2016-09-24T16:18:07Z"), True),
        ("date_or_version", candidate("1.14.2"), True),
        ("date_or_version", candidate("20240117", name_class="password"), False),
        ("secret_manager_reference", candidate("arn:aws-cn:iam::aws:policy/IAMUserChangePassword"), True),
        ("not_credential_shaped", candidate("not_supported", name_class="password"), True),
        ("not_credential_shaped", candidate("48205d4ffd7feba3"), True),
        ("no_key_body", candidate(header, f'if line.startswith("{header}"):', rule="private-key"), True),
        ("no_key_body", candidate("\n".join(f.private_key_lines()), rule="private-key"), False),
        ("no_key_body", candidate(header + "\\n" + blob + "\\n", rule="private-key"), False),
    ]
    return [pytest.param(name, c, skip, id=f"{name}-{'skip' if skip else 'keep'}-{i}") for i, (name, c, skip) in enumerate(cases)]


@pytest.mark.parametrize("name,cand,skips", _filter_cases())
def test_named_filter(name: str, cand: Any, skips: bool) -> None:
    from mlhygiene._secrets import filters

    predicate = dict((n, p) for n, p, _ in filters.FILTERS)[name]
    assert predicate(cand) is skips


def test_every_filter_is_tested() -> None:
    from mlhygiene._secrets import filters

    tested = {p.values[0] for p in _filter_cases()}
    assert tested == {name for name, _, _ in filters.FILTERS}


NAMES = {
    "password": "password", "db_password": "password", "dbPassword": "password", "DB_PASS": "password",
    "passwd": "password", "password1": "password", "api_key": "key", "apiKey": "key", "OPENAI_API_KEY": "key",
    "hf_token": "key", "access_token": "key", "client_secret": "key", "Authorization": "key",
    "aws_secret_access_key": "key", "credentials": "key", "PINECONE_API_KEY": "key",
    "key": None, "sort_key": None, "primary_key": None, "tokenizer": None, "max_tokens": None,
    "TOKENIZERS_PARALLELISM": None, "first_pass": None, "bypass": None, "compass": None, "secretary": None,
}


@pytest.mark.parametrize("name,expected", list(NAMES.items()), ids=list(NAMES))
def test_credential_names(name: str, expected: str | None) -> None:
    from mlhygiene._secrets.names import credential_class

    assert credential_class(name) == expected


# ==========================================================================================
# Never print a secret whole
# ==========================================================================================
@pytest.mark.parametrize(
    "rule,secret,hint",
    [
        ("openai-api-key", "sk-" + "proj-" + "a1B2" * 40, "sk-pro"),
        ("aws-access-key", "AK" + "IA" + "Q" * 14 + "12", "AKIAQQ"),
        ("hardcoded-credential", "s3cretPW", "s3"),
        ("hardcoded-credential", "hunter2", ""),
        ("kaggle-api-key", "0123456789abcdef" * 2, "0123"),
        ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE", ""),
        ("slack-webhook", "https://hooks.slack.com/services/T0/B0/abc", ""),
    ],
)
def test_hint_is_short(rule: str, secret: str, hint: str) -> None:
    from mlhygiene._secrets.rules import hint as make_hint

    shown = make_hint(rule, secret)
    assert shown == hint
    assert len(shown) <= min(6, len(secret) // 3)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_format_prints_a_secret(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    factory = Factory(13)
    secrets = [factory.openai_project(), factory.password(), factory.hex40()]
    Path("a.py").write_text(f'k = "{secrets[0]}"\npassword = "{secrets[1]}"\nwandb.login(key="{secrets[2]}")\n')
    Path("nb.ipynb").write_text(notebook(code("print(k)", stream(secrets[0] + "\n"))))
    rc, out, err = run(capsys, "a.py", "nb.ipynb", "--format", fmt)
    assert rc == 1
    text = "\n".join(out) + err
    if fmt == "sarif":  # the rules' fixed descriptions name public key prefixes (sk-proj-…)
        log = json.loads("\n".join(out))
        log["runs"][0]["tool"]["driver"]["rules"] = []
        text = json.dumps(log) + err
    assert all(s[:7] not in text and s[-7:] not in text for s in secrets)
    if fmt == "json":
        assert len(json.loads("\n".join(out))["findings"]) == 4


def test_a_crash_names_the_file_not_the_secret(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    secret = fake("openai_project")
    Path("a.py").write_text(f'k = "{secret}"\n')

    def boom(engine: Any, source: Any) -> list[Any]:
        raise ValueError(f"cannot handle {secret}")

    monkeypatch.setattr(credentials, "source_findings", boom)
    rc, out, err = run(capsys, "a.py")
    assert (rc, out) == (3, [])
    assert err.splitlines()[0] == "a.py: error: could not be scanned for credentials (ValueError); rerun with --debug and report it"
    assert secret[:8] not in err


# ==========================================================================================
# Suppression by comment (detect-secrets' pragma and ours) and the baseline
# ==========================================================================================
@pytest.mark.parametrize(
    "comment,reported",
    [
        ("  # pragma: allowlist secret", False),
        ("  # mlhygiene: ignore[huggingface-token]", False),
        ("  # mlhygiene: ignore[credentials]", False),
        ("  # mlhygiene: ignore[openai-api-key]", True),
        ("  # nosec", False),
    ],
)
def test_inline_suppression(capsys: pytest.CaptureFixture[str], comment: str, reported: bool) -> None:
    Path("a.py").write_text(f'token = "{fake("huggingface")}"{comment}\n')
    rc, out, _ = run(capsys, "a.py")
    assert (rc, len(out)) == ((1, 1) if reported else (0, 0))


def test_allowlist_nextline_in_a_cell(capsys: pytest.CaptureFixture[str]) -> None:
    Path("nb.ipynb").write_text(notebook(code(f'# pragma: allowlist nextline secret\ntoken = "{fake("huggingface")}"')))
    assert run(capsys, "nb.ipynb")[:2] == (0, [])


def test_baseline_keeps_old_secrets_quiet_and_new_ones_loud(capsys: pytest.CaptureFixture[str]) -> None:
    factory = Factory(14)
    old, new = factory.huggingface(), factory.huggingface()
    Path("a.py").write_text(f'token = "{old}"\n')
    assert write_baseline("a.py") == 1
    assert old[3:] not in Path(".mlhygiene-baseline.json").read_text()
    Path("a.py").write_text(f'# moved down\ntoken = "{old}"\nother = "{new}"\n')
    rc, out, _ = run(capsys, "a.py")
    assert (rc, out) == (1, [f"a.py:3:10: huggingface-token Hugging Face access token ({new:.6}…): " + LOAD + TOKEN])


# ==========================================================================================
# Invariants: lazy import, no detect-secrets global state, the repo passes its own hook
# ==========================================================================================
def test_importing_the_hook_does_not_import_detect_secrets() -> None:
    code_ = "import sys, mlhygiene.credentials; print('detect_secrets' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code_], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_detect_secrets_global_settings_are_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    from detect_secrets.settings import get_settings

    before = json.dumps(get_settings().json(), sort_keys=True)
    Path("a.py").write_text(f'token = "{fake("huggingface")}"\n')
    run(capsys, "a.py")
    assert json.dumps(get_settings().json(), sort_keys=True) == before


def test_our_own_files_pass_the_hook(capsys: pytest.CaptureFixture[str]) -> None:
    ours = [
        ROOT / "hooks" / "mlhygiene" / "credentials.py", *sorted((ROOT / "hooks" / "mlhygiene" / "_secrets").glob("*.py")),
        ROOT / "tests" / "test_credentials.py", ROOT / "tests" / "secrets_factory.py",
        *sorted((ROOT / "bench").glob("credentials*.py")),
    ]
    assert run(capsys, *map(str, ours))[:2] == (0, [])


@pytest.mark.parametrize(
    "line",
    [
        'secret = "run-" + hashlib.sha256(seed).hexdigest()[:16]',
        'token = "Bearer " + get_token()',
        'api_key = "prefix-%s" % suffix',
        'password = "{}-{}".format(user, year)',
    ],
    ids=["concat-call", "bearer-concat", "percent-format", "str-format"],
)
def test_computed_values_are_not_hardcoded(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    (tmp_path / "a.py").write_text(line + "\n")
    assert credentials.main(["a.py"]) == 0
    assert capsys.readouterr().out == ""
