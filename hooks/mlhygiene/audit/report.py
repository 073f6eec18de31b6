"""The audit's outputs, rebuilt from the store: summary.json, findings.csv, report.html.

Every number comes from SQL over the store, in a fixed order, so a resumed run writes the
same files as an uninterrupted one. Anything a scanned repository controls (paths, names,
messages) is escaped in the HTML; charts are matplotlib's SVG, inline (no network, no files).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from mlhygiene import __version__
from mlhygiene._core.records import CATEGORIES
from mlhygiene._core.report import escape
from mlhygiene.audit.census import GROUPS
from mlhygiene.audit.store import SCHEMA_VERSION

TOP_MODULES = 50
TOP_REPOS = 20
# per occurrence: a finding counts once for every copy of its content that was seen
_OCCURRENCES = "(SELECT COUNT(*) FROM seen o WHERE o.sha256 = f.sha256)"


def _pairs(db: sqlite3.Connection, sql: str, args: Sequence[object] = ()) -> dict[str, int]:
    return {str(k): int(v) for k, v in db.execute(sql, args).fetchall()}


def _by(db: sqlite3.Connection, column: str, suppressed: int, occurrences: bool) -> dict[str, int]:
    amount = f"SUM({_OCCURRENCES})" if occurrences else "COUNT(*)"
    return _pairs(
        db,
        f"SELECT {column}, {amount} FROM findings f WHERE suppressed = ? "  # noqa: S608
        f"GROUP BY {column} ORDER BY {column}",
        (suppressed,),
    )


def summary(db: sqlite3.Connection, engine: dict[str, Any], suppressions: bool) -> dict[str, Any]:
    """Every number of the audit (see the README, "Audit an organisation")."""

    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0] or 0)

    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "mlhygiene": __version__,
        "repositories": one("SELECT COUNT(DISTINCT repo) FROM seen"),
        "files_scanned": one("SELECT COUNT(*) FROM seen"),
        "files_unique": one("SELECT COUNT(*) FROM contents"),
        "bytes": one("SELECT SUM(size) FROM contents"),
        "bytes_scanned": one("SELECT SUM(c.size) FROM seen o JOIN contents c USING (sha256)"),
        "findings": one("SELECT COUNT(*) FROM findings WHERE suppressed = 0"),
        "findings_by_category": _by(db, "category", 0, False),
        "findings_by_rule": _by(db, "rule", 0, False),
        "findings_by_category_occurrences": _by(db, "category", 0, True),
        "findings_by_rule_occurrences": _by(db, "rule", 0, True),
        "findings_only_in_history_by_category": _pairs(
            db,
            """SELECT category, COUNT(*) FROM findings f WHERE suppressed = 0 AND NOT EXISTS (
                   SELECT 1 FROM occurrences o WHERE o.sha256 = f.sha256 AND o.in_tree = 1)
               GROUP BY category ORDER BY category""",
        ),
        "unique_secrets": {
            "total": one("SELECT COUNT(DISTINCT secret_hash) FROM findings WHERE suppressed = 0"),
            "by_type": _pairs(
                db,
                """SELECT rule, COUNT(DISTINCT secret_hash) FROM findings
                   WHERE suppressed = 0 AND secret_hash IS NOT NULL GROUP BY rule ORDER BY rule""",
            ),
            "only_in_history": one(
                """SELECT COUNT(DISTINCT secret_hash) FROM findings f WHERE suppressed = 0
                   AND secret_hash NOT IN (
                       SELECT g.secret_hash FROM findings g JOIN occurrences o USING (sha256)
                       WHERE o.in_tree = 1 AND g.secret_hash IS NOT NULL)"""
            ),
        },
        "typosquats": _pairs(
            db,
            """SELECT name, COUNT(*) FROM findings WHERE suppressed = 0 AND name IS NOT NULL
               GROUP BY name ORDER BY name""",
        ),
    }
    out["imports"] = _imports(db)
    out["census"] = _census(db)
    out["top_repositories"] = [
        {"repository": repo, "findings": n}
        for repo, n in db.execute(
            f"""SELECT o.repo, COUNT(*) AS n FROM findings f JOIN seen o USING (sha256)
                WHERE f.suppressed = 0 GROUP BY o.repo ORDER BY n DESC, o.repo LIMIT {TOP_REPOS}"""  # noqa: S608
        ).fetchall()
    ]
    out["policy"] = {
        "by_rule": _pairs(
            db,
            """SELECT rule, COUNT(*) FROM findings WHERE suppressed = 0 AND category = 'policy'
               GROUP BY rule ORDER BY rule""",
        ),
        "by_repository": [
            {"repository": repo, "rule": rule, "findings": n}
            for repo, rule, n in db.execute(
                """SELECT o.repo, f.rule, COUNT(*) AS n FROM findings f JOIN seen o USING (sha256)
                   WHERE f.suppressed = 0 AND f.category = 'policy'
                   GROUP BY o.repo, f.rule ORDER BY n DESC, o.repo, f.rule"""
            ).fetchall()
        ],
    }
    if suppressions:
        out["suppressed_by_category"] = _by(db, "category", 1, False)
        out["suppressed_by_rule"] = _by(db, "rule", 1, False)
    out["engine"] = engine
    failed = could_not_check(db)
    out["errors"] = {"files": len(failed), "list": [{"path": p, "message": m} for p, m in failed]}
    return out


def _imports(db: sqlite3.Connection) -> dict[str, Any]:
    rows = db.execute(
        f"""SELECT module, COUNT(*) AS n, SUM({_OCCURRENCES.replace("f.sha256", "i.sha256")}) AS m
            FROM imports i GROUP BY module ORDER BY n DESC, module LIMIT {TOP_MODULES}"""  # noqa: S608
    ).fetchall()
    return {
        "files_importing": db.execute("SELECT COUNT(DISTINCT sha256) FROM imports").fetchone()[0],
        "modules": db.execute("SELECT COUNT(DISTINCT module) FROM imports").fetchone()[0],
        "top": [{"module": m, "files_unique": n, "files_scanned": o} for m, n, o in rows],
    }


def _census(db: sqlite3.Connection) -> dict[str, dict[str, dict[str, int]]]:
    census: dict[str, dict[str, dict[str, int]]] = {}
    for group, names in GROUPS.items():
        census[group] = {}
        for name in names:
            n, m = db.execute(
                f"""SELECT COUNT(*), SUM({_OCCURRENCES.replace("f.sha256", "i.sha256")})
                    FROM imports i WHERE module = ?""",  # noqa: S608
                (name,),
            ).fetchone()
            census[group][name] = {"files_unique": int(n), "files_scanned": int(m or 0)}
    return census


def could_not_check(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """(where, why) of every file or content that could not be checked, in a fixed order."""
    rows = [(f"{_join(r, p)}", m) for r, p, m in db.execute("SELECT repo, path, message FROM unreadable")]
    for sha, message in db.execute(
        "SELECT DISTINCT sha256, message FROM errors WHERE fatal = 1 ORDER BY sha256, message"
    ).fetchall():
        repo, path, commit = db.execute(
            """SELECT repo, path, "commit" FROM occurrences WHERE sha256 = ?
               ORDER BY in_tree DESC, repo, path, "commit" LIMIT 1""",
            (sha,),
        ).fetchone()
        at = f" (blob of commit {commit[:12]})" if commit else ""
        rows.append((f"{_join(repo, path)}{at}", message))
    return sorted(rows)


def _join(repo: str, path: str) -> str:
    return f"{repo}/{path}" if repo and repo != "." else path


def findings_csv(db: sqlite3.Connection, path: str) -> None:
    """One row per finding and copy: where, what, and a secret only as its hint and salted hash."""
    columns = [
        "repository",
        "path",
        "commit",
        "in_tree",
        "cell",
        "output",
        "line",
        "column",
        "rule",
        "category",
        "severity",
        "message",
        "fingerprint",
        "secret_prefix",
        "secret_hash",
        "suppressed",
        "sha256",
    ]
    rows = db.execute(
        """SELECT o.repo, o.path, o."commit", o.in_tree, f.cell, f.output, f.line, f.col, f.rule,
                  f.category, f.severity, f.message, f.fingerprint, f.secret_prefix, f.secret_hash,
                  f.suppressed, f.sha256
           FROM findings f JOIN seen o USING (sha256)
           ORDER BY o.repo, o.path, o."commit", f.cell, f.output, f.line, f.col, f.rule, f.message"""
    )
    with _atomic(path) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            # a spreadsheet must not run a formula a scanned file chose
            writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] and v[0] in "=+-@" else v for v in row])


class _atomic:
    """A file written whole, then renamed into place (a killed run leaves the old one)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.tmp = f"{path}.tmp{os.getpid()}"

    def __enter__(self) -> io.TextIOWrapper:
        self.fh = open(self.tmp, "w", encoding="utf-8", errors="backslashreplace", newline="")
        return self.fh

    def __exit__(self, *exc: object) -> None:
        self.fh.close()
        if exc[0] is None:
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)


def write_json(data: dict[str, Any], path: str) -> None:
    with _atomic(path) as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.write("\n")


# -- the HTML report ---------------------------------------------------------------------------


def bar_chart(title: str, counts: dict[str, int], xlabel: str) -> str:
    """A horizontal bar chart on a log scale, as inline SVG (matplotlib's SVG backend)."""
    import matplotlib
    from matplotlib.figure import Figure

    items = [(k, v) for k, v in counts.items() if v > 0]
    items.sort(key=lambda kv: (kv[1], kv[0]))
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mlhygiene", "font.size": 9}):
        figure = Figure(figsize=(7.5, 0.9 + 0.28 * max(len(items), 1)), layout="constrained")
        axes = figure.add_subplot()
        if items:
            labels = [k.replace("$", r"\$") for k, _ in items]
            values = [v for _, v in items]
            bars = axes.barh(labels, values, color="#b03a2e")
            axes.set_xscale("log")
            axes.set_xlim(0.8, max(values) * 3)
            axes.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3)
        else:
            axes.text(0.5, 0.5, "none", ha="center", va="center", transform=axes.transAxes)
            axes.set_yticks([])
        axes.set_title(title)
        axes.set_xlabel(xlabel)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    return svg[svg.index("<svg") :]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or _empty(len(headers))}</tbody></table>"


def _empty(width: int) -> str:
    return f'<tr><td colspan="{width}">none</td></tr>'


def _cell(value: object) -> str:
    """A table cell's text: numbers grouped, control characters shown as escapes."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else escape(str(value))


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:left}td:nth-child(n+2){text-align:right}h2{margin-top:2em}figure{margin:0}"""


def report_html(data: dict[str, Any], path: str) -> None:
    """A self-contained page: numbers, tables and inline SVG charts; nothing loaded from anywhere."""
    categories = {c: data["findings_by_category"].get(c, 0) for c in CATEGORIES}
    extra = {k: v for k, v in data["findings_by_category"].items() if k not in categories}
    categories.update(extra)
    occ = data["findings_by_category_occurrences"]
    parts = [
        f"<h1>mlhygiene audit</h1><p>{data['repositories']:,} repositories, "
        f"{data['files_scanned']:,} files scanned ({data['files_unique']:,} unique contents, "
        f"{data['bytes']:,} bytes), {data['findings']:,} findings in unique contents, "
        f"{data['unique_secrets']['total']:,} unique secrets, "
        f"{data['errors']['files']:,} files could not be checked.</p>",
        "<h2>Findings by category</h2>",
        "<figure id='figure-1'>"
        + bar_chart("Figure 1. Findings by category (unique contents)", categories, "findings (log scale)")
        + "</figure>",
        _table(
            ["category", "unique contents", "every copy", "only in history"],
            [
                (c, n, occ.get(c, 0), data["findings_only_in_history_by_category"].get(c, 0))
                for c, n in categories.items()
            ],
        ),
        "<h2>Findings by rule</h2>",
        "<figure id='figure-rules'>"
        + bar_chart("Findings by rule (unique contents)", data["findings_by_rule"], "findings (log scale)")
        + "</figure>",
        _table(
            ["rule", "unique contents", "every copy"],
            [
                (r, n, data["findings_by_rule_occurrences"].get(r, 0))
                for r, n in data["findings_by_rule"].items()
            ],
        ),
    ]
    if "suppressed_by_rule" in data:
        parts += [
            "<h2>Silenced by researchers (suppressed findings, not counted above)</h2>",
            _table(["rule", "unique contents"], list(data["suppressed_by_rule"].items())),
        ]
    secrets = data["unique_secrets"]
    parts += [
        "<h2>Top repositories</h2>",
        _table(
            ["repository", "findings"], [(r["repository"], r["findings"]) for r in data["top_repositories"]]
        ),
        "<h2>Unique secrets by type</h2>",
        f"<p>{secrets['total']:,} unique secret values; {secrets['only_in_history']:,} of them only in "
        "history (deleted since, still leaked). Counts only: no secret is in this report.</p>",
        _table(["type", "unique values"], list(secrets["by_type"].items())),
        "<h2>Typosquatted names found</h2>",
        _table(["name", "findings"], list(data["typosquats"].items())),
    ]
    if data["policy"]["by_rule"]:
        parts += [
            "<h2>Organisation policy</h2>",
            _table(["rule", "unique contents"], list(data["policy"]["by_rule"].items())),
            _table(
                ["repository", "rule", "findings"],
                [(r["repository"], r["rule"], r["findings"]) for r in data["policy"]["by_repository"]],
            ),
        ]
    parts += [
        "<h2>Import census</h2>",
        f"<p>{data['imports']['files_importing']:,} unique files import "
        f"{data['imports']['modules']:,} distinct top-level modules.</p>",
        "<figure id='figure-imports'>"
        + bar_chart(
            f"Top {TOP_MODULES} imported modules (unique files)",
            {m["module"]: m["files_unique"] for m in data["imports"]["top"]},
            "files (log scale)",
        )
        + "</figure>",
        _table(
            ["module", "unique files", "every copy"],
            [(m["module"], m["files_unique"], m["files_scanned"]) for m in data["imports"]["top"]],
        ),
    ]
    for group, modules in data["census"].items():
        parts += [
            f"<h3>{html.escape(escape(group))}</h3>",
            _table(
                ["module", "unique files", "every copy"],
                [(m, v["files_unique"], v["files_scanned"]) for m, v in modules.items()],
            ),
        ]
    parts += [
        "<h2>Files that could not be checked</h2>",
        _table(["file", "why"], [(e["path"], e["message"]) for e in data["errors"]["list"]]),
        f"<p>Engine: {html.escape(json.dumps(data['engine']))}; mlhygiene {html.escape(__version__)}; "
        f"results store schema {SCHEMA_VERSION}.</p>",
    ]
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>mlhygiene audit</title><style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
    with _atomic(path) as fh:
        fh.write(_NO_COMMENTS.sub("", page))


_NO_COMMENTS = re.compile(r"<!-- .*? -->")  # matplotlib's "Created with" comments
