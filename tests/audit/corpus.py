"""Corpora for the audit tests: real git repositories, fake secrets built at run time."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.secrets_factory import Factory

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return out.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


class Org:
    """Two repositories: one leaked a key in its history, one holds copies of a file."""

    def __init__(self, root: Path) -> None:
        fake = Factory(17)
        self.hf, self.openai = fake.make("huggingface"), fake.make("openai-project")
        self.a, self.b = root / "org" / "a", root / "org" / "b"
        for repo in (self.a, self.b):
            repo.mkdir(parents=True)
            git(repo, "init", "-q")
        train = self.a / "train.py"
        train.write_text(f'import pickle\nTOKEN = "{self.hf}"\nm = pickle.load(open("m.pkl", "rb"))\n')
        self.leak = commit(self.a, "add training")
        train.write_text(
            'import pickle\nimport os\nTOKEN = os.environ["HF_TOKEN"]\nm = pickle.load(open("m.pkl", "rb"))\n'
        )
        commit(self.a, "token from the environment")
        copy = f'import pandas as pd\nimport reqeusts\ndf = pd.read_html("http://example.com/t")\nKEY = "{self.openai}"\n'
        (self.b / "x.py").write_text(copy)
        (self.b / "y.py").write_text(copy)
        (self.b / "z.py").write_text(f'import joblib\nOTHER = "{self.openai}"\n')  # same secret, other file
        commit(self.b, "copies")


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def corpus(root: Path, files: int) -> None:
    fake = Factory(99)
    for n in range(files):
        repo = root / "corpus" / f"r{n % 3}"
        repo.mkdir(parents=True, exist_ok=True)
        body = f'import pickle\nimport requests\nKEY_{n} = "{fake.make("huggingface")}"\n'
        body += f'r = requests.get("http://example.com/{n}")\nm = pickle.loads(r.content)\n' * 20
        (repo / f"f{n}.py").write_text(body)
        (repo / f"copy{n}.py").write_text(body)
