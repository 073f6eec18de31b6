"""mlhygiene-typosquat: misspelt or wrong package names, before they are installed or committed.

Reads imports (scripts and notebook cells), notebook ``!pip``/``%pip install`` lines,
requirements/constraints files, ``pyproject.toml`` and the ``pip:`` part of
``environment.yml``. A name is fine when it is a popular PyPI project (bundled download
counts), in the standard library, the import name of a popular project, a local module, or
allowed in ``[tool.mlhygiene] allow-packages``. Otherwise it is reported when one typo away
from a popular project (see ``mlhygiene/_typosquat/names.py``); a curated table catches real but
wrong names (``pip install sklearn``). Plain-http package indexes are reported too.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from mlhygiene._core.config import Config, Setting
from mlhygiene._core.records import CheckResult, Finding, Problem, Source
from mlhygiene._core.runner import Check, Context
from mlhygiene._core.trees import Trees
from mlhygiene._core.urls import host_of, is_local
from mlhygiene._typosquat import names as known
from mlhygiene._typosquat import policy as org
from mlhygiene._typosquat import provenance
from mlhygiene._typosquat.deps import (
    EXTRA_INDEX,
    IMPORT,
    INDEX,
    INSTALL,
    Ref,
    TomlError,
    environment_refs,
    pyproject_refs,
    requirements_refs,
    shell_refs,
)
from mlhygiene._typosquat.imports import IMPORTS, imports_tolerant
from mlhygiene._typosquat.local import LocalModules
from mlhygiene.command import hook_main

KINDS = frozenset({"script", "notebook", "requirements", "pyproject", "environment"})
ALLOW_PACKAGES = Setting("allow-packages", list, ())  # names (globs) that are fine here
POLICY = Setting("policy", dict, ())  # [tool.mlhygiene.policy]: see mlhygiene/_typosquat/policy.py
CATEGORY = "typosquat"
RULES = {IMPORT: "typosquat-import", INSTALL: "typosquat-install"}
RULE_REQUIREMENT = "typosquat-requirement"
RULE_WRONG = "wrong-package-name"
RULE_INDEX = "insecure-index-url"
RULE_EXTRA_INDEX = "extra-index-url"
RULE_HUB, RULE_REVISION = "hub-repo-not-approved", "hub-revision-unpinned"
RULE_HOST = "data-host-not-approved"
RULE_NOT_APPROVED, RULE_BLOCKED, RULE_INDEX_NOT_APPROVED = (
    "package-not-approved", "package-blocked", "index-not-approved"
)
POLICY_RULES = frozenset(
    {RULE_EXTRA_INDEX, RULE_NOT_APPROVED, RULE_BLOCKED, RULE_INDEX_NOT_APPROVED}
    | {RULE_HUB, RULE_REVISION, RULE_HOST}
)
POLICY_CATEGORY = "policy"
RULE_IDS = (
    *RULES.values(), RULE_REQUIREMENT, RULE_WRONG, RULE_INDEX,
    RULE_EXTRA_INDEX, RULE_NOT_APPROVED, RULE_BLOCKED, RULE_INDEX_NOT_APPROVED,
    RULE_HUB, RULE_REVISION, RULE_HOST,
)
HUB_NOT_APPROVED = (
    "'{repo}' comes from '{org}', not one of the approved hub organisations: its weights, code and"
    " tokenizer are whatever that account publishes; use a model from an approved organisation or"
    " mirror this one there"
)
REVISION_UNPINNED = (
    "'{repo}' is downloaded without revision= set to a commit hash: the repository can change under"
    " you; pin revision=\"<40-hex commit>\""
)
HOST_NOT_APPROVED = (
    "data is downloaded from {host}, which is not an approved data host: check where it comes from"
    " and mirror it on an approved host"
)
EXTRA_INDEX_MESSAGE = (
    "--extra-index-url {url} adds an index beside the default one: pip takes a name from whichever"
    " index has the highest version, so anyone can publish your internal package's name on the"
    " public index and win (dependency confusion); use one index (--index-url) or pin --hash for"
    " every requirement"
)
NOT_APPROVED = "'{name}' ({dist}) is not on the approved package list ({source}); ask for it to be reviewed"
BLOCKED = "'{name}' ({dist}) is blocked by this organisation's policy; remove it"
INDEX_NOT_APPROVED = "package index {url} is not one of the approved indexes ({approved})"
TYPO = (
    "'{name}' is not a known package; did you mean '{target}'{project}? "
    "(a typosquatted name can install malware)"
)
WRONG_INSTALL = "'{name}' is the wrong package: {note}; install '{target}' instead"
WRONG_IMPORT = "'{name}' is the wrong package: {note}; did you mean '{target}'?"
INSECURE_INDEX = (
    "package index http://{host} is plain http: anyone on the network path can swap the "
    "packages it serves; use https://"
)


class Verdict(NamedTuple):
    rule: str
    severity: str
    message: str


def allowed(name: str, patterns: Sequence[str]) -> bool:
    norm = known.normalise(name)
    return any(fnmatch.fnmatchcase(norm, known.normalise(p)) for p in patterns)


def _typo(name: str, near: known.Near, rule: str) -> Verdict:
    target = near.target
    project = f" (from {target.project})" if known.normalise(target.name) != target.project else ""
    return Verdict(rule, "error", TYPO.format(name=name, target=target.name, project=project))


def judge_import(name: str, is_local: Callable[[str], bool]) -> Verdict | None:
    """Whether an imported top-level name is a typo or a known-wrong name."""
    data = known.names()
    lower = name.lower()
    if lower in data.stdlib or lower in data.imports or name.startswith("_"):
        return None  # private modules (``_yaml``) are never PyPI projects
    norm = known.normalise(name)
    wrong = data.wrong.get(norm)
    if (wrong is None and norm in data.downloads) or is_local(name):
        return None
    if wrong is not None:
        target = known.import_name(wrong.project)
        return Verdict(RULE_WRONG, "warning", WRONG_IMPORT.format(name=name, note=wrong.note, target=target))
    near = known.find_near(name, for_imports=True)
    return None if near is None else _typo(name, near, RULES[IMPORT])


def judge_install(name: str, rule: str) -> Verdict | None:
    """Whether a name given to pip (or listed as a dependency) is a typo or a known-wrong name."""
    data = known.names()
    norm = known.normalise(name)
    wrong = data.wrong.get(norm)
    if wrong is not None:
        message = WRONG_INSTALL.format(name=name, note=wrong.note, target=wrong.project)
        return Verdict(RULE_WRONG, "warning", message)
    if norm in data.downloads or name.lower() in data.stdlib:
        return None
    near = known.find_near(name, for_imports=False)
    return None if near is None else _typo(name, near, rule)


def judge_index(url: str) -> Verdict | None:
    scheme, _, rest = url.partition("://")
    if scheme.lower() != "http":
        return None
    host = host_of(rest.split("/", 1)[0])
    if is_local(host):
        return None
    return Verdict(RULE_INDEX, "warning", INSECURE_INDEX.format(host=host))


class Located(NamedTuple):
    """A ref and, for imports, the folders where a local module of that name would be found."""

    ref: Ref
    folders: tuple[Path, ...] = ()
    written: frozenset[str] = frozenset()


def python_refs(source: Source, local: LocalModules, trees: Trees | None = None) -> list[Located]:
    """The imports of a script or notebook (``trees``: the run's parses, shared)."""
    refs: list[Located] = []
    written = _written_modules(source)
    trees = trees or Trees()
    for unit in source.units:
        imports = trees.fact(unit.text, IMPORTS)
        found, paths = imports if imports is not None else (imports_tolerant(unit.text), [])
        folders = tuple(local.folders(source.path, paths))
        for name, line, column in found:
            where: tuple[int | None, int] | None
            if unit.line_map:
                where = unit.line_map[line - 1] if line <= len(unit.line_map) else None
            else:
                where = (None, line)  # a script: lines map to themselves
            if where is None:
                continue  # a notebook context line: its own cell reports it
            cell, cell_line = where
            refs.append(Located(Ref(IMPORT, name, cell_line, column + 1, cell), folders, written))
    return refs


def _written_modules(source: Source) -> frozenset[str]:
    """Modules a notebook writes itself: ``%%writefile helpers.py`` cells."""
    names = set()
    for cell in source.cells:
        first = cell.lines[0].split() if cell.lines else []
        if first[:1] in (["%%writefile"], ["%%file"]) and first[-1].endswith(".py"):
            names.add(os.path.basename(first[-1])[:-3])
    return frozenset(names)


def source_refs(source: Source, local: LocalModules, trees: Trees | None = None) -> list[Located]:
    """Every name and index URL of a source (raises TomlError for a broken pyproject.toml)."""
    if source.kind in ("script", "notebook"):
        refs = python_refs(source, local, trees)
        for shell in source.shell_lines:
            lines = source.cells[shell.cell - 1].lines if 0 < shell.cell <= len(source.cells) else ()
            found = shell_refs(lines, shell.cell, shell.line, shell.column, shell.command)
            refs += [Located(ref) for ref in found]
        return refs
    read = {"requirements": requirements_refs, "pyproject": pyproject_refs, "environment": environment_refs}
    return [Located(ref) for ref in read[source.kind](source.text)]


def verdict(located: Located, local: LocalModules, allow: Sequence[str]) -> Verdict | None:
    ref = located.ref
    if ref.kind in (INDEX, EXTRA_INDEX):
        return judge_index(ref.name)
    if allowed(ref.name, allow):
        return None
    if ref.kind == IMPORT:
        return judge_import(
            ref.name, lambda name: name in located.written or local.provides(name, located.folders)
        )
    return judge_install(ref.name, RULES.get(ref.kind, RULE_REQUIREMENT))


def shown_url(url: str) -> str:
    """An index URL as printed: any ``user:password@`` removed (it may hold a token)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    return scheme + sep + authority.rsplit("@", 1)[-1] + slash + path


def policy_verdicts(located: Located, local: LocalModules, policy: org.Policy, hashed: bool) -> list[Verdict]:
    """What the organisation's policy says of a ref (and, with no policy, of extra indexes)."""
    ref = located.ref
    found: list[Verdict] = []
    if ref.kind in (INDEX, EXTRA_INDEX):
        url = shown_url(ref.name)
        if ref.kind == EXTRA_INDEX and not hashed:
            found.append(Verdict(RULE_EXTRA_INDEX, "warning", EXTRA_INDEX_MESSAGE.format(url=url)))
        if not policy.index_approved(ref.name):
            message = INDEX_NOT_APPROVED.format(url=url, approved=", ".join(policy.indexes or ()))
            found.append(Verdict(RULE_INDEX_NOT_APPROVED, "error", message))
        return found
    name = ref.name
    if ref.kind == IMPORT:
        if name.startswith("_"):
            return []  # a private module is never a distribution
        dist = org.distribution_of_import(name)
    else:
        dist = known.normalise(name)
    if dist is None:
        return []
    if policy.is_blocked(dist):
        judged = Verdict(RULE_BLOCKED, "error", BLOCKED.format(name=name, dist=dist))
    elif not policy.is_approved(dist):
        message = NOT_APPROVED.format(name=name, dist=dist, source=policy.source)
        judged = Verdict(RULE_NOT_APPROVED, "error", message)
    else:
        return []
    # A local module is never a distribution; asked only now, since looking lists folders (and
    # makes the cached verdict depend on them) -- without a policy, never.
    if ref.kind == IMPORT and (name in located.written or local.provides(name, located.folders)):
        return []
    return [judged]


def check_source(
    source: Source,
    local: LocalModules,
    allow: Sequence[str],
    policy: org.Policy = org.NO_POLICY,
    trees: Trees | None = None,
) -> list[Finding]:
    findings = []
    hashed = source.kind == "requirements" and ("--hash" in source.text or "--require-hashes" in source.text)
    for located in source_refs(source, local, trees):
        verdicts = [verdict(located, local, allow), *policy_verdicts(located, local, policy, hashed)]
        for found in verdicts:
            if found is not None:
                findings.append(_finding(source, located.ref, found))
    if policy.judges_provenance and source.kind in ("script", "notebook"):
        findings += provenance_findings(source, policy)
    return findings


def provenance_findings(source: Source, policy: org.Policy) -> list[Finding]:
    """Model-hub repositories and download hosts outside the policy."""
    found: list[tuple[Ref, Verdict]] = []
    refs = [*provenance.python_provenance(source), *provenance.shell_provenance(source)]
    for item in refs:
        if isinstance(item, provenance.HubRef):
            ref = Ref("hub", item.repo, item.line, item.column, item.cell)
            if not policy.org_approved(item.repo):
                message = HUB_NOT_APPROVED.format(repo=item.repo, org=item.repo.split("/", 1)[0])
                found.append((ref, Verdict(RULE_HUB, "error", message)))
            if policy.require_revision and not item.pinned:
                message = REVISION_UNPINNED.format(repo=item.repo)
                found.append((ref, Verdict(RULE_REVISION, "warning", message)))
        elif not policy.host_approved(item.host):
            ref = Ref("host", shown_url(item.url), item.line, item.column, item.cell)
            found.append((ref, Verdict(RULE_HOST, "warning", HOST_NOT_APPROVED.format(host=item.host))))
    return [_finding(source, ref, verdict) for ref, verdict in found]


def _finding(source: Source, ref: Ref, found: Verdict) -> Finding:
    return Finding(
            path=source.path,
            line=ref.line,
            column=ref.column,
            end_line=ref.line,
            end_column=ref.column + len(ref.name),
            rule_id=found.rule,
            category=POLICY_CATEGORY if found.rule in POLICY_RULES else CATEGORY,
            severity=found.severity,
            message=found.message,
            cell=ref.cell,
            matched=ref.name,
        )


def _run(sources: Sequence[Source], ctx: Context) -> CheckResult:
    local = LocalModules(ctx.config.root)
    policy = org.load(ctx.config.setting(POLICY), ctx.config.root, ctx.config.file or "pyproject.toml")
    findings: list[Finding] = []
    problems: list[Problem] = []
    for source in sources:
        try:
            findings += check_source(source, local, ctx.config.setting(ALLOW_PACKAGES), policy, ctx.trees)
        except TomlError as exc:
            problems.append(Problem(source.path, f"not valid TOML ({exc}); dependencies not checked"))
        for key, digest in local.dependencies():
            ctx.depends(source.path, key, digest)
        for file in policy.files:  # the allow-list's contents, not only its name, decide
            key = "file\0" + file
            ctx.depends(source.path, key, local.probe(key))
    return CheckResult(findings, problems)


def _probe(config: Config) -> Callable[[str], str]:
    return LocalModules(config.root).probe


CHECK = Check(
    "typosquat", KINDS, _run, probe=_probe, category=CATEGORY, rule_ids=RULE_IDS,
    settings=(ALLOW_PACKAGES, POLICY), analyses=(IMPORTS,),
    rule_categories=tuple((rule, POLICY_CATEGORY) for rule in sorted(POLICY_RULES)),
)


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main(
        argv,
        "mlhygiene-typosquat",
        "Find misspelt or wrong package names in imports, pip install lines and dependency files.",
        [CHECK],
    )


if __name__ == "__main__":
    raise SystemExit(main())
