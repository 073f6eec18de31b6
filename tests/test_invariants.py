"""The invariants of DESIGN.md, tested: scanning never executes what it scans, never touches
the network, never prints a whole secret, never modifies a user's file."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlhygiene import cli, credentials, deserialization, http_urls, pickle_files, typosquat, xxe
from tests.conftest import notebook_json
from tests.pickle_artifacts import Payload
from tests.secrets_factory import Factory

REPO = Path(__file__).resolve().parent.parent
HOOKS = (credentials, deserialization, http_urls, xxe, typosquat, pickle_files)
FORMATS = ("text", "json", "sarif")
UNSHARE = shutil.which("unshare")
needs_semgrep = pytest.mark.skipif(shutil.which("semgrep") is None, reason="semgrep not installed")


def canary_tree(root: Path, canary: Path, xml_source: Path) -> None:
    """Files that would create ``canary`` (or leak ``xml_source``) if anything ran or resolved them."""
    touch = f"open({str(canary)!r}, 'w').write('ran')"
    (root / "evil.pkl").write_bytes(pickle.dumps(Payload(str(canary)), protocol=2))
    (root / "evil.joblib").write_bytes(pickle.dumps(Payload(str(canary)), protocol=4))
    (root / "model.pt").write_bytes(pickle.dumps(Payload(str(canary)), protocol=0))
    (root / "setup.py").write_text(f"import os\n{touch}\nos.system('touch {canary}')\n")
    (root / "conftest.py").write_text(f"{touch}\n")
    (root / "__init__.py").write_text(f"{touch}\n")
    (root / "sitecustomize.py").write_text(f"{touch}\n")
    (root / "run.ipynb").write_text(
        notebook_json(
            [touch, f"!touch {canary}", f"%%bash\ntouch {canary}", f"%run setup.py\nexec({touch!r})"]
        )
    )
    entity = f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file://{xml_source}">]>\n<r>&e;</r>\n'
    (root / "data.xml").write_text(entity)
    (root / "feed.svg").write_text(entity)
    (root / "parse.py").write_text(
        f"import lxml.etree\nXML = {entity!r}\ntree = lxml.etree.fromstring(XML)\n"
        "import pandas as pd\npd.read_xml('data.xml')\n"
    )
    (root / "config.json").write_text(json.dumps({"xml": entity}))
    (root / "requirements.txt").write_text("-e .\n./\nnumpy\n")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "x"\nversion = "0"\ndependencies = ["numpy"]\n'
    )


@pytest.fixture
def canary(in_tmp: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    outside = tmp_path_factory.mktemp("outside")
    flag = outside / "canary"
    xml_source = outside / "canary-source"
    secret = "CANARY-SOURCE-" + hashlib.sha256(str(outside).encode()).hexdigest()[:16]
    xml_source.write_text(secret)
    canary_tree(in_tmp, flag, xml_source)
    yield flag, secret
    assert not flag.exists(), "scanning executed scanned content"
    assert not (in_tmp / "canary").exists()


def test_hooks_never_execute_or_resolve_scanned_content(
    canary: tuple[Path, str], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flag, secret = canary
    files = sorted(p.name for p in in_tmp.iterdir() if p.is_file())
    for hook in HOOKS:
        for fmt in FORMATS:
            code = hook.main([*files, "--format", fmt])
            out, err = capsys.readouterr()
            assert code in (0, 1), (hook.__name__, err)
            assert secret not in out + err
            assert not flag.exists(), hook.__name__
    # the pickle payloads are found, not run
    assert pickle_files.main(["evil.pkl"]) == 1
    assert "os.system" in capsys.readouterr().out


def test_scan_subprocess_never_executes_scanned_content(canary: tuple[Path, str], in_tmp: Path) -> None:
    flag, secret = canary
    for fmt in FORMATS:
        proc = subprocess.run(
            [sys.executable, "-m", "mlhygiene.cli", "scan", "--format", fmt, "."],
            cwd=in_tmp,
            env={**os.environ, "PYTHONPATH": str(REPO / "hooks")},
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert secret not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert not flag.exists()


@needs_semgrep
@pytest.mark.skipif(UNSHARE is None, reason="unshare not available")
def test_scan_works_without_any_network(in_tmp: Path, tmp_path: Path) -> None:
    """Semgrep and every hook, in a network namespace with no interface up: same findings."""
    if subprocess.run([UNSHARE or "unshare", "-n", "true"], capture_output=True, check=False).returncode:
        pytest.skip("unshare -n not permitted here")
    (in_tmp / "train.py").write_text(
        "import reqeusts\nimport pickle\nm = pickle.load(open('m.pkl', 'rb'))\n"
        "import requests\nrequests.get('http://example.com/data.csv')\n"
    )
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(["!wget http://example.com/x.zip", "import lxml.etree\nlxml.etree.parse('x.xml')"])
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "hooks"), "MLHYGIENE_CACHE_DIR": str(tmp_path / "fresh-cache")}
    cmd = [sys.executable, "-m", "mlhygiene.cli", "scan", "--format", "json", "."]
    online = subprocess.run(
        cmd,
        cwd=in_tmp,
        env={**env, "MLHYGIENE_CACHE_DIR": str(tmp_path / "c2")},
        capture_output=True,
        text=True,
        check=False,
    )
    offline = subprocess.run(
        [UNSHARE or "unshare", "-n", *cmd],
        cwd=in_tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert offline.returncode == 1, offline.stderr
    rules = sorted(f["rule_id"] for f in json.loads(offline.stdout)["findings"])
    assert {"pickle-load", "typosquat-import", "http-shell-download", "http-url-fetch"} <= set(rules)
    assert json.loads(offline.stdout)["findings"] == json.loads(online.stdout)["findings"]
    assert json.loads(offline.stdout)["errors"] == []


# -- no whole secret in any output ---------------------------------------------------------
KINDS = (
    "openai_project",
    "anthropic",
    "huggingface",
    "github_classic",
    "aws_secret",
    "slack_token",
    "password",
)


def secret_tree(root: Path) -> list[str]:
    make = Factory(4321).make
    s = {kind: make(kind) for kind in KINDS}
    aws_id = make("aws_key_id")
    (root / "train.py").write_text(
        f'OPENAI_API_KEY = "{s["openai_project"]}"\n'
        f'client = Anthropic(api_key="{s["anthropic"]}")\n'
        f'AWS_ACCESS_KEY_ID = "{aws_id}"\nAWS_SECRET_ACCESS_KEY = "{s["aws_secret"]}"\n'
        f'requests.get("http://admin:{s["password"]}@example.com/data.csv")\n'
    )
    (root / "old.py").write_text(f'print "no py3"\nHF_TOKEN = "{s["huggingface"]}"\n')
    (root / "nb.ipynb").write_text(
        notebook_json(
            [
                f'token = "{s["github_classic"]}"',
                f"!wget http://user:{s['password']}@example.com/model.bin",
                {
                    "cell_type": "code",
                    "source": ["print(token)\n"],
                    "execution_count": 1,
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": [s["slack_token"] + "\n"]}
                    ],
                },
            ]
        )
    )
    (root / ".env").write_text(f"HUGGINGFACE_TOKEN={s['huggingface']}\nSLACK_TOKEN={s['slack_token']}\n")
    (root / "requirements.txt").write_text(
        f"git+https://oauth2:{s['github_classic']}@github.com/org/reqeusts.git\n"
        f"--extra-index-url http://user:{s['password']}@pypi.example.com/simple\n"
    )
    return [*s.values(), aws_id]


def test_no_whole_secret_in_any_output_or_the_baseline(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = secret_tree(in_tmp)
    for fmt in FORMATS:
        code = cli.main(["scan", "--format", fmt, "."])
        out, err = capsys.readouterr()
        assert code == 1, err
        if fmt == "json":  # the secrets are found (so their absence below means something)
            found = [f for f in json.loads(out)["findings"] if f["category"] == "credentials"]
            assert len(found) >= 12
        for secret in secrets:
            assert secret not in out and secret not in err, (fmt, secret[:6])
    for hook in HOOKS:
        hook.main([p.name for p in in_tmp.iterdir() if p.is_file()])
        out, err = capsys.readouterr()
        for secret in secrets:
            assert secret not in out + err, (hook.__name__, secret[:6])
    assert cli.main(["baseline", "--baseline", "base.json", "."]) == 0
    out, err = capsys.readouterr()
    baseline = (in_tmp / "base.json").read_text()
    assert json.loads(baseline)["findings"]
    for secret in secrets:
        assert secret not in out + err + baseline
    for argv in (["--diff", "--unsafe-fixes", "--add-ignore"], ["--unsafe-fixes", "--add-ignore"]):
        cli.main(["fix", *argv, "--baseline", "base.json", "."])  # diffs and fix lines show no secret
        out, err = capsys.readouterr()
        for secret in secrets:
            assert secret not in out + err + (in_tmp / "base.json").read_text(), (argv, secret[:6])


# -- no user file is modified -------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    state = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            digest = (
                hashlib.sha256(Path(path).read_bytes()).hexdigest() if not os.path.islink(path) else "link"
            )
            state[os.path.relpath(path, root)] = (digest, st.st_mtime_ns, st.st_mode)
    return state


def test_scanning_modifies_no_user_file(
    in_tmp: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    canary_tree(in_tmp, tmp_path_factory.mktemp("o") / "canary", in_tmp / "nothing")
    (in_tmp / "sub").mkdir()
    secret_tree(in_tmp / "sub")
    (in_tmp / "crlf.py").write_bytes(b"import pickle\r\npickle.load(f)\r\n")
    (in_tmp / "bom.ipynb").write_bytes(
        b"\xef\xbb\xbf" + notebook_json(["import pickle\npickle.load(f)"]).encode()
    )
    (in_tmp / "link.py").symlink_to("crlf.py")
    before = snapshot(in_tmp)
    files = sorted(before)
    for hook in HOOKS:
        hook.main([*files, "--no-cache"])
    for fmt in FORMATS:
        cli.main(["scan", "--format", fmt, "."])
    cli.main(["fix", "--diff", "--unsafe-fixes", "--add-ignore", "."])  # --diff writes nothing
    capsys.readouterr()
    assert snapshot(in_tmp) == before
