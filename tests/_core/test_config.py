from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene._core.config import Config, Setting, load_config
from mlhygiene._core.records import UsageError

ALLOW = Setting("allow-packages", list, ())


def test_a_checks_own_key_is_known_only_when_declared(in_tmp: Path) -> None:
    path = write(in_tmp, '[tool.mlhygiene]\nallow-packages = ["mypkg"]\n')
    with pytest.raises(UsageError, match="unknown key 'allow-packages'"):
        load_config()
    assert load_config(settings=[ALLOW]).setting(ALLOW) == ("mypkg",)
    with pytest.raises(UsageError, match="unknown key"):
        load_config(str(path), [Setting("other", bool, True)])


def test_the_checks_declare_their_keys(in_tmp: Path) -> None:
    from mlhygiene.checks import load_config as load_all

    write(in_tmp, '[tool.mlhygiene]\nallow-packages = ["mypkg"]\npickle-allow = ["lab.*"]\n')
    assert load_all().settings == (("allow-packages", ("mypkg",)), ("pickle-allow", ("lab.*",)))


def write(tmp: Path, body: str) -> Path:
    path = tmp / "pyproject.toml"
    path.write_text(body)
    return path


def test_defaults_without_pyproject(in_tmp: Path) -> None:
    config = load_config()
    assert config.root == in_tmp
    assert config.baseline == ".mlhygiene-baseline.json"
    assert config.enable == () and config.disable == ()


def test_reads_nearest_pyproject(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        in_tmp,
        '[tool.mlhygiene]\ndisable = ["http"]\nexclude = ["vendor/", "*.gen.py"]\nallow-packages = ["mypkg"]\nstrict-parse = true\nextra-rules = ["r.yaml"]\n',
    )
    sub = in_tmp / "src" / "pkg"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    config = load_config(settings=[ALLOW])
    assert config.root == in_tmp
    assert config.disable == ("http",)
    assert config.setting(ALLOW) == ("mypkg",)
    assert config.settings == (("allow-packages", ("mypkg",)),)
    assert config.strict_parse is True
    assert config.extra_rules == (str(in_tmp / "r.yaml"),)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[tool.mlhygiene]\ndisabel = ["x"]\n', "unknown key 'disabel' in [tool.mlhygiene]"),
        ('[tool.mlhygiene]\ndisable = "http"\n', "[tool.mlhygiene] disable must be a list"),
        ("[tool.mlhygiene]\nmax-file-size = true\n", "[tool.mlhygiene] max-file-size must be a int"),
        ("[tool.mlhygiene]\ndisable = [1]\n", "[tool.mlhygiene] disable must be a list of strings"),
        ("[tool.mlhygiene\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_usage_error(in_tmp: Path, body: str, message: str) -> None:
    path = write(in_tmp, body)
    with pytest.raises(UsageError) as exc:
        load_config(str(path))
    assert str(exc.value).startswith(f"{path}: ")
    assert message in str(exc.value)


def test_rule_selection_and_excludes(tmp_path: Path) -> None:
    config = Config(
        root=tmp_path,
        enable=("deserialization", "http-url-fetch"),
        disable=("torch-load-without-weights-only",),
        exclude=("vendor/", "*.gen.py", "legacy"),
    )
    assert config.rule_enabled("pickle-load", "deserialization")
    assert config.rule_enabled("http-url-fetch", "http")
    assert not config.rule_enabled("torch-load-without-weights-only", "deserialization")
    assert not config.rule_enabled("lxml-parse", "xxe")
    assert config.excluded(str(tmp_path / "vendor" / "x.py"))
    assert config.excluded(str(tmp_path / "a" / "b.gen.py"))
    assert config.excluded(str(tmp_path / "legacy"))
    assert not config.excluded(str(tmp_path / "src" / "vendor.py"))
