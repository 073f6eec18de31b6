"""Where code pulls models and data from: model-hub repositories and download hosts.

Read with ``ast`` from scripts and notebook cells (nothing is imported or run), and from notebook
shell lines (``!wget``, ``!curl``). Only literal names and URLs are judged: a repository or URL
computed at run time is not guessed at.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from typing import NamedTuple

from mlhygiene._core.records import Source
from mlhygiene._core.urls import host_of
from mlhygiene._typosquat.imports import parse_python

# Calls that fetch a model or dataset repository from a hub, and where the repo id is.
_HUB_FIRST_ARG = frozenset({"from_pretrained", "hf_hub_download", "snapshot_download", "load_dataset"})
_HUB_KEYWORDS = ("pretrained_model_name_or_path", "repo_id", "path", "model")
_HUB_PREFIX = re.compile(r"^hf[_-]hub:", re.I)
_SHA = re.compile(r"^[0-9a-f]{40}$")
# Calls that download what their first argument (or url=) names.
_FETCHERS = frozenset(
    {
        "get", "post", "urlopen", "urlretrieve", "download", "download_url_to_file",
        "load_state_dict_from_url", "get_file", "read_csv", "read_table", "read_json", "read_parquet",
        "read_excel", "read_feather", "read_html", "read_xml", "load_image", "imread", "loadtxt",
    }
)
_FETCH_MODULES = frozenset(
    {"requests", "httpx", "urllib", "request", "wget", "gdown", "hub", "utils", "pd", "pandas", "np",
     "numpy", "io", "imageio", "keras", "tf", "torch", "session", "client", "s"}
)
_URL = re.compile(r"^(?:https?|ftp|s3|gs)://([^/\s?#]+)", re.I)
_SHELL_FETCHERS = frozenset({"wget", "curl", "aria2c", "gdown"})


class HubRef(NamedTuple):
    repo: str  # "org/name" (a GitHub "owner/repo" for torch.hub)
    pinned: bool  # a revision= (or torch.hub ":ref") that is a full commit hash
    line: int
    column: int
    cell: int | None


class HostRef(NamedTuple):
    host: str
    url: str
    line: int
    column: int
    cell: int | None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _name_of(func: ast.expr) -> tuple[str, str]:
    """(receiver's last name, called name): ``torch.hub.load`` -> ("hub", "load")."""
    if isinstance(func, ast.Attribute):
        value = func.value
        if isinstance(value, ast.Attribute):
            return value.attr, func.attr
        return (value.id if isinstance(value, ast.Name) else ""), func.attr
    return "", func.id if isinstance(func, ast.Name) else ""


def _argument(call: ast.Call, keywords: tuple[str, ...]) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in keywords), None)


def _revision(call: ast.Call) -> str | None:
    return next((_literal(k.value) for k in call.keywords if k.arg == "revision"), None)


def _hub(call: ast.Call) -> tuple[str, bool] | None:
    receiver, name = _name_of(call.func)
    if name == "load" and receiver == "hub":  # torch.hub.load("owner/repo:ref", "model")
        spec = _literal(_argument(call, ("repo_or_dir",)))
        if spec is None or "/" not in spec or spec.startswith((".", "/")):
            return None
        repo, _, ref = spec.partition(":")
        return repo, bool(_SHA.match(ref))
    if name == "create_model":  # timm.create_model("hf_hub:org/name")
        spec = _literal(_argument(call, ("model_name",)))
        if spec is None or not _HUB_PREFIX.match(spec):
            return None
        return _HUB_PREFIX.sub("", spec), False
    if name in _HUB_FIRST_ARG or (name == "pipeline" and any(k.arg == "model" for k in call.keywords)):
        model = next((k.value for k in call.keywords if k.arg == "model"), None)
        spec = _literal(model if name == "pipeline" else _argument(call, _HUB_KEYWORDS))
        if spec is None or spec.count("/") != 1 or spec.startswith((".", "/", "~")) or "://" in spec:
            return None  # a local path, a canonical name without an org, or not a literal
        revision = _revision(call)
        return spec, bool(revision and _SHA.match(revision))
    return None


def _fetched_url(call: ast.Call) -> str | None:
    receiver, name = _name_of(call.func)
    if name not in _FETCHERS:
        return None
    if name in ("get", "post") and receiver.lower() not in _FETCH_MODULES:
        return None  # dict.get(...), a client of something else
    url = _literal(_argument(call, ("url", "filepath_or_buffer", "io", "fname", "uri")))
    return url if url is not None and _URL.match(url) else None


Where = tuple[int | None, int, int]


def _where(unit_map: tuple[tuple[int, int] | None, ...], node: ast.AST) -> Where | None:
    line, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
    if not unit_map:
        return None, line, column
    if line > len(unit_map) or unit_map[line - 1] is None:
        return None
    cell, cell_line = unit_map[line - 1]  # type: ignore[misc]
    return cell, cell_line, column


def python_provenance(source: Source) -> Iterator[HubRef | HostRef]:
    for unit in source.units:
        tree = parse_python(unit.text)  # only with a policy: not worth an analysis on every parse
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            hub = _hub(node)
            url = None if hub else _fetched_url(node)
            if hub is None and url is None:
                continue
            where = _where(unit.line_map, node.args[0] if node.args else node)
            if where is None:
                continue
            cell, line, column = where
            if hub is not None:
                yield HubRef(hub[0], hub[1], line, column, cell)
            elif url is not None:
                match = _URL.match(url)
                if match:
                    yield HostRef(host_of(match.group(1)).split(":")[0].lower(), url, line, column, cell)


def shell_provenance(source: Source) -> Iterator[HostRef]:
    for shell in source.shell_lines:
        try:
            words = shlex.split(shell.command, comments=True)
        except ValueError:
            words = shell.command.split()
        if not words or words[0] not in _SHELL_FETCHERS:
            continue
        for word in words[1:]:
            match = _URL.match(word)
            if match:
                lines = source.cells[shell.cell - 1].lines if 0 < shell.cell <= len(source.cells) else ()
                line_text = lines[shell.line - 1] if 0 < shell.line <= len(lines) else ""
                column = line_text.find(word) + 1 or shell.column
                host = host_of(match.group(1)).split(":")[0].lower()
                yield HostRef(host, word, shell.line, column, shell.cell)
