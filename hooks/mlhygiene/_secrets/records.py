"""What the engine passes around: where a block of lines comes from, and a candidate secret."""

from __future__ import annotations

from typing import NamedTuple

# Where a block of lines comes from; it decides which detectors run.
CODE = "code"  # scripts and notebook code cells: quoted literals only (plus shell/magic lines)
OUTPUT = "output"  # notebook outputs: printed reprs, env dumps, cat'ed config files
CONFIG = "config"  # .env .json .yaml .toml .cfg .ini .txt, requirements, pyproject, %%writefile
SHELL = "shell"  # %%bash / %%sh / %%script cells: code plus unquoted NAME=value
PROSE = "prose"  # markdown and raw cells: only the secrets with an unmistakable shape
MODES = (CODE, SHELL, OUTPUT, CONFIG, PROSE)


class Candidate(NamedTuple):
    """A possible secret in one line, before the false-positive filters."""

    rule_id: str
    secret: str
    line: str  # the whole line it was found in
    start: int  # 0-based span of ``secret`` in ``line``
    end: int
    name: str = ""  # for hardcoded credentials: the variable / key / env entry it is assigned to
    name_class: str = ""  # "password" or "key" (see names.credential_class)
    priority: int = 0  # lower wins when two candidates overlap


class Hit(NamedTuple):
    """A secret that survived the filters, in block coordinates (0-based line index)."""

    rule_id: str
    secret: str
    row: int
    start: int
    end: int
    end_row: int
    name: str = ""
