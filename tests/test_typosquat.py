"""mlhygiene-typosquat: imports, install lines, requirements, pyproject, environment.yml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlhygiene import typosquat
from mlhygiene._typosquat import names as known
from mlhygiene._typosquat.local import LocalModules
from tests.conftest import notebook_json

# Built at run time so no credential-shaped literal sits in the repo.
FAKE_PASSWORD = "".join(["k7", "Qm", "Zp", "4v"])

REPO = Path(__file__).resolve().parent.parent
INDEX = (
    "insecure-index-url package index http://{host} is plain http: anyone on the network path "
    "can swap the packages it serves; use https://"
)


def typo(rule: str, name: str, target: str, project: str = "") -> str:
    source = f" (from {project})" if project else ""
    return (
        f"{rule} '{name}' is not a known package; did you mean '{target}'{source}? "
        "(a typosquatted name can install malware)"
    )


def wrong_import(name: str, note: str, target: str) -> str:
    return f"wrong-package-name '{name}' is the wrong package: {note}; did you mean '{target}'?"


def wrong_install(name: str, note: str, target: str) -> str:
    return f"wrong-package-name '{name}' is the wrong package: {note}; install '{target}' instead"


def run(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, list[str]]:
    code = typosquat.main(list(files))
    return code, capsys.readouterr().out.splitlines()


# --- imports ----------------------------------------------------------------------------------

IMPORT_HITS = [
    ("import", "import mathplotlib\n", f"1:8: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}"),
    (
        "second-alias",
        "import numpy as np, mathplotlib.pyplot as plt\n",
        f"1:21: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}",
    ),
    (
        "from-import",
        "from   skleran.metrics import f1_score\n",
        f"1:8: {typo('typosquat-import', 'skleran', 'sklearn', 'scikit-learn')}",
    ),
    ("doubled", "import tensorfloww as tf\n", f"1:8: {typo('typosquat-import', 'tensorfloww', 'tensorflow')}"),
    ("dunder-import", "m = __import__('reqeusts')\n", f"1:17: {typo('typosquat-import', 'reqeusts', 'requests')}"),
    (
        "import-module",
        "import importlib\nm = importlib.import_module('torchvison.models')\n",
        f"2:30: {typo('typosquat-import', 'torchvison', 'torchvision')}",
    ),
    (
        "bare-import-module",
        "from importlib import import_module\nm = import_module(\"seabron\")\n",
        f"2:20: {typo('typosquat-import', 'seabron', 'seaborn')}",
    ),
    ("look-alike", "import matpIotlib\n", f"1:8: {typo('typosquat-import', 'matpIotlib', 'matplotlib')}"),
    ("nested", "def f():\n    import colourama\n", f"2:12: {typo('typosquat-import', 'colourama', 'colorama')}"),
    (
        "optional",
        "try:\n    import ujsno as json\nexcept ImportError:\n    import json\n",
        f"2:12: {typo('typosquat-import', 'ujsno', 'ujson')}",
    ),
    ("panda", "import panda as pd\n", f"1:8: {wrong_import('panda', 'an unrelated project', 'pandas')}"),
    (
        "pytorch",
        "import pytorch\n",
        f"1:8: {wrong_import('pytorch', 'a placeholder that fails to install', 'torch')}",
    ),
    ("opencv", "import opencv\n", f"1:8: {wrong_import('opencv', 'not OpenCV' + chr(39) + 's package name', 'cv2')}"),
    (
        "beautifulsoup",
        "from beautifulsoup import BeautifulSoup\n",
        f"1:6: {wrong_import('beautifulsoup', 'Beautiful Soup 3, for Python 2 only', 'bs4')}",
    ),
]


@pytest.mark.parametrize(("code", "expected"), [h[1:] for h in IMPORT_HITS], ids=[h[0] for h in IMPORT_HITS])
def test_import_hits(in_tmp: Path, capsys: pytest.CaptureFixture[str], code: str, expected: str) -> None:
    (in_tmp / "a.py").write_text(code)
    assert run(capsys, "a.py") == (1, [f"a.py:{expected}"])


IMPORT_NEAR_MISSES = [
    ("popular", "import matplotlib.pyplot as plt\nimport pandas as pd\nimport numpy as np\n"),
    ("import-names", "import sklearn, cv2, yaml, skimage, dateutil, dotenv, attr, jwt, ffmpeg, fitz\nfrom PIL import Image\n"),
    ("bs4", "from bs4 import BeautifulSoup\nfrom google.colab import drive\n"),
    (
        "look-alike-real",
        "import jellyfish, requests_oauthlib, torchvision\nimport xgboost, lightgbm, catboost, scanpy\n",
    ),
    ("stdlib", "import os, sys, collections, tomllib, asyncio\nfrom urllib.parse import urlparse\n"),
    ("python2-stdlib", "import cPickle, urllib2, ConfigParser, StringIO, Queue\n"),
    ("relative", "from . import modell\nfrom .utils import x\nfrom ..pkg import y\n"),
    ("future", "from __future__ import annotations\n"),
    ("dynamic", "import importlib\nm = importlib.import_module('.sub', 'pkg')\nn = __import__(name)\n"),
    ("local-ish", "import utils, config, model, dataset, helpers, src, train\n"),
    ("plural-local", "import network, networks, schemas, configs, transforms, paths, params\n"),
    ("private", "import _yaml, _pytest\n"),
    ("platform", "from kaggle_secrets import UserSecretsClient\nimport en_core_web_sm\n"),
    ("not-code", "x = 'import mathplotlib'\n# import mathplotlib\n"),
    ("obscure-far", "import mylocalthing, zzyzx_internal\n"),
]


@pytest.mark.parametrize("code", [m[1] for m in IMPORT_NEAR_MISSES], ids=[m[0] for m in IMPORT_NEAR_MISSES])
def test_import_near_misses(in_tmp: Path, capsys: pytest.CaptureFixture[str], code: str) -> None:
    (in_tmp / "a.py").write_text(code)
    assert run(capsys, "a.py") == (0, [])


def test_python2_script_is_read_tolerantly(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "old.py").write_text('import os, mathplotlib as m\nprint "hi"\nfrom skleran import svm\n')
    assert typosquat.main(["old.py"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"old.py:1:12: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}",
        f"old.py:3:6: {typo('typosquat-import', 'skleran', 'sklearn', 'scikit-learn')}",
    ]
    assert "old.py: warning: does not parse as Python 3" in err


def test_notebook_imports_and_unparsable_cell(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(
            [
                ("markdown", "# import mathplotlib"),
                "%matplotlib inline\nimport numpy as np\nimport mathplotlib.pyplot as plt",
                'print "py2 cell"\nimport seabron',
                "%time import panda",
            ]
        )
    )
    assert typosquat.main(["nb.ipynb"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"nb.ipynb:cell 2:3:8: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}",
        f"nb.ipynb:cell 3:2:8: {typo('typosquat-import', 'seabron', 'seaborn')}",
        f"nb.ipynb:cell 4:1:14: {wrong_import('panda', 'an unrelated project', 'pandas')}",
    ]
    assert "nb.ipynb:cell 3: warning: does not parse as Python 3" in err


# --- local modules ------------------------------------------------------------------------------

LOCAL_MODULES = [
    ("beside", "nb/modell.py", "nb/a.py", "import modell\n"),
    ("package-dir", "nb/modell/__init__.py", "nb/a.py", "from modell import Net\n"),
    ("namespace-dir", "nb/modell/net.py", "nb/a.py", "from modell.net import Net\n"),
    ("extension", "nb/modell.cpython-311-x86_64-linux-gnu.so", "nb/a.py", "import modell\n"),
    ("repo-root", "modell.py", "nb/deep/a.py", "import modell\n"),
    ("src", "src/modell/__init__.py", "nb/a.py", "import modell\n"),
    ("sys-path", "lib/modell.py", "nb/a.py", "import sys\nsys.path.append('../lib')\nimport modell\n"),
    (
        "sys-path-join",
        "nb/vendor/modell.py",
        "nb/a.py",
        "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'vendor'))\nimport modell\n",
    ),
    ("shadows-typo", "nb/mathplotlib.py", "nb/a.py", "import mathplotlib\n"),
]


@pytest.mark.parametrize(
    ("module", "script", "code"), [c[1:] for c in LOCAL_MODULES], ids=[c[0] for c in LOCAL_MODULES]
)
def test_local_modules_pass(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], module: str, script: str, code: str
) -> None:
    for rel, text in ((module, ""), (script, code)):
        (in_tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (in_tmp / rel).write_text(text)
    assert run(capsys, script) == (0, [])


def test_a_module_elsewhere_in_the_repo_does_not_shadow(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb").mkdir()
    (in_tmp / "nb" / "a.py").write_text("import mathplotlib\n")
    (in_tmp / "other").mkdir()
    (in_tmp / "other" / "mathplotlib.py").write_text("")  # not beside, not at the root, not in src/
    assert run(capsys, "nb/a.py") == (1, [f"nb/a.py:1:8: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}"])


def test_notebook_writefile_module(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(["%%writefile mathplotlib.py\nX = 1", "import mathplotlib"])
    )
    assert run(capsys, "nb.ipynb") == (0, [])


def test_cached_verdict_follows_the_modules_beside_the_file(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file's bytes do not change, the folder around it does: the cached verdict is not reused."""
    (in_tmp / "nb").mkdir()
    (in_tmp / "nb" / "a.py").write_text("import mathplotlib\n")
    flagged = (1, [f"nb/a.py:1:8: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}"])
    assert run(capsys, "nb/a.py") == flagged
    assert run(capsys, "nb/a.py") == flagged
    (in_tmp / "nb" / "mathplotlib.py").write_text("")
    assert run(capsys, "nb/a.py") == (0, [])
    (in_tmp / "nb" / "mathplotlib.py").unlink()
    assert run(capsys, "nb/a.py") == flagged
    (in_tmp / "nb" / "mathplotlib").mkdir()  # a package folder counts too
    assert run(capsys, "nb/a.py") == (0, [])


def test_cached_verdict_follows_the_repository_root(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A module at the root counts until a folder between becomes a repository of its own."""
    (in_tmp / "nb" / "deep").mkdir(parents=True)
    (in_tmp / "nb" / "deep" / "a.py").write_text("import mathplotlib\n")
    (in_tmp / "mathplotlib.py").write_text("")
    assert run(capsys, "nb/deep/a.py") == (0, [])
    (in_tmp / "nb" / ".git").mkdir()
    assert run(capsys, "nb/deep/a.py") == (
        1,
        [f"nb/deep/a.py:1:8: {typo('typosquat-import', 'mathplotlib', 'matplotlib')}"],
    )


def test_local_modules_record_what_a_verdict_read(in_tmp: Path) -> None:
    (in_tmp / "helpers.py").write_text("")
    local = LocalModules(in_tmp)
    folders = local.folders("a.py")
    assert local.dependencies() == []  # searched, but nothing consulted: nothing depends on it
    folders = local.folders("a.py")
    assert local.provides("helpers", folders)
    found = local.dependencies()
    assert [key.split("\0")[0] for key, _ in found] == ["folders", "listing"]
    assert local.dependencies() == []  # reset for the next file
    fresh = LocalModules(in_tmp)
    assert [fresh.probe(key) for key, _ in found] == [digest for _, digest in found]
    (in_tmp / "other.py").write_text("")
    assert LocalModules(in_tmp).probe(found[1][0]) != found[1][1]
    assert fresh.probe("unknown\0x") == ""


# --- notebook install lines -------------------------------------------------------------------

INSTALL_HITS = [
    ("pip", "!pip install reqeusts", f"1:14: {typo('typosquat-install', 'reqeusts', 'requests')}"),
    ("pip3-quiet", "!pip3 install -q reqeusts", f"1:18: {typo('typosquat-install', 'reqeusts', 'requests')}"),
    ("percent-pip", "%pip install tensorfloww", f"1:14: {typo('typosquat-install', 'tensorfloww', 'tensorflow')}"),
    (
        "python-m-pip",
        "!python -m pip install --upgrade colourama",
        f"1:34: {typo('typosquat-install', 'colourama', 'colorama')}",
    ),
    (
        "quoted-and-index",
        '!python3 -m pip install "torch==2.1" torchvison --index-url https://download.pytorch.org/whl/cu121',
        f"1:38: {typo('typosquat-install', 'torchvison', 'torchvision')}",
    ),
    (
        "sys-executable",
        "!{sys.executable} -m pip install mathplotlib > /dev/null",
        f"1:34: {typo('typosquat-install', 'mathplotlib', 'matplotlib')}",
    ),
    ("uv-pip", "!uv pip install seabron", f"1:17: {typo('typosquat-install', 'seabron', 'seaborn')}"),
    ("sudo", "!sudo pip install reqeusts", f"1:19: {typo('typosquat-install', 'reqeusts', 'requests')}"),
    (
        "second-command",
        "!pip install -U pip && pip install reqeusts",
        f"1:36: {typo('typosquat-install', 'reqeusts', 'requests')}",
    ),
    (
        "same-word-twice",
        "!pip install pip reqeusts",
        f"1:18: {typo('typosquat-install', 'reqeusts', 'requests')}",
    ),
    (
        "extras-marker",
        "!pip install 'reqeusts[socks]>=2; python_version >= \"3.8\"'",
        f"1:15: {typo('typosquat-install', 'reqeusts', 'requests')}",
    ),
    (
        "continuation",
        "!pip install numpy \\\n    reqeusts",
        f"2:5: {typo('typosquat-install', 'reqeusts', 'requests')}",
    ),
    ("bash-cell", "%%bash\npip install reqeusts", f"2:13: {typo('typosquat-install', 'reqeusts', 'requests')}"),
    (
        "separator",
        "!pip install scikitlearn",
        f"1:14: {typo('typosquat-install', 'scikitlearn', 'scikit-learn')}",
    ),
    (
        "affix",
        "!pip install dateutil-python",
        f"1:14: {typo('typosquat-install', 'dateutil-python', 'python-dateutil')}",
    ),
    (
        "wrong-name",
        "!pip install sklearn",
        f"1:14: {wrong_install('sklearn', 'a deprecated placeholder that no longer installs', 'scikit-learn')}",
    ),
    (
        "insecure-index",
        "!pip install --index-url http://pypi.internal.example/simple numpy",
        f"1:26: {INDEX.format(host='pypi.internal.example')}",
    ),
    (
        "insecure-index-credentials",
        "!pip install -i http://user:" + FAKE_PASSWORD + "@pypi.internal.example/simple numpy",
        f"1:17: {INDEX.format(host='pypi.internal.example')}",
    ),
]


@pytest.mark.parametrize(("cell", "expected"), [h[1:] for h in INSTALL_HITS], ids=[h[0] for h in INSTALL_HITS])
def test_install_hits(in_tmp: Path, capsys: pytest.CaptureFixture[str], cell: str, expected: str) -> None:
    (in_tmp / "nb.ipynb").write_text(notebook_json([("markdown", "# setup"), cell]))
    assert run(capsys, "nb.ipynb") == (1, [f"nb.ipynb:cell 2:{expected}"])


INSTALL_NEAR_MISSES = [
    ("requirements-file", "!pip install -r requirements.txt"),
    ("editable", "!pip install -e ."),
    ("vcs", "!pip install git+https://github.com/psf/reqeusts.git"),
    ("wheel-path", "!pip install ./dist/reqeusts-1.0-py3-none-any.whl"),
    ("url", "!pip install https://example.com/reqeusts-1.0.tar.gz"),
    ("direct-reference", "!pip install 'reqeusts @ https://example.com/r.whl'"),
    ("conda", "!conda install -c conda-forge reqeusts"),
    ("option-values", "!pip install --target reqeusts --cache-dir /tmp/colourama numpy"),
    ("variables", "!pip install $PKG {pkg}"),
    ("https-index", "!pip install torch --index-url https://download.pytorch.org/whl/cu121"),
    ("local-index", "!pip install --index-url http://localhost:8080/simple numpy"),
    (
        "look-alike-real",
        "!pip install jellyfish requests-oauthlib torchvision scikit-image opencv-contrib-python",
    ),
    ("ml-boosters", "%pip install xgboost lightgbm catboost"),
    ("uninstall", "!pip uninstall -y reqeusts"),
    ("not-pip", "!echo pip install reqeusts"),
    ("stdlib", "!pip install sqlite3"),
]


@pytest.mark.parametrize("cell", [m[1] for m in INSTALL_NEAR_MISSES], ids=[m[0] for m in INSTALL_NEAR_MISSES])
def test_install_near_misses(in_tmp: Path, capsys: pytest.CaptureFixture[str], cell: str) -> None:
    (in_tmp / "nb.ipynb").write_text(notebook_json([cell]))
    assert run(capsys, "nb.ipynb") == (0, [])


# --- requirements files -----------------------------------------------------------------------

REQUIREMENT_HITS = [
    ("plain", "reqeusts\n", f"1:1: {typo('typosquat-requirement', 'reqeusts', 'requests')}"),
    ("pinned", "colourama==0.1.0\n", f"1:1: {typo('typosquat-requirement', 'colourama', 'colorama')}"),
    # a dropped letter in a four-letter word (issue: short names slipped through)
    ("short-word", "scikit-lern\n", f"1:1: {typo('typosquat-requirement', 'scikit-lern', 'scikit-learn')}"),
    ("short-name", "numy>=1.24\n", f"1:1: {typo('typosquat-requirement', 'numy', 'numpy')}"),
    ("short-name-2", "flsk\n", f"1:1: {typo('typosquat-requirement', 'flsk', 'flask')}"),
    ("indented-comment", "numpy\n  reqeusts>=2  # http\n", f"2:3: {typo('typosquat-requirement', 'reqeusts', 'requests')}"),
    (
        "extras-marker",
        'reqeusts[socks]>=2; python_version >= "3.8"\n',
        f"1:1: {typo('typosquat-requirement', 'reqeusts', 'requests')}",
    ),
    (
        "continuation-hashes",
        "numpy==1.26.4 \\\n    --hash=sha256:aa\nreqeusts==2.31.0 \\\n    --hash=sha256:bb\n",
        f"3:1: {typo('typosquat-requirement', 'reqeusts', 'requests')}",
    ),
    (
        "suffix-s",
        "python-dateutils>=2.8\n",
        f"1:1: {typo('typosquat-requirement', 'python-dateutils', 'python-dateutil')}",
    ),
    (
        "wrong-name",
        "pytorch\n",
        f"1:1: {wrong_install('pytorch', 'a placeholder that fails to install', 'torch')}",
    ),
    (
        "insecure-index",
        "--index-url http://pypi.internal.example/simple\nnumpy\n",
        f"1:13: {INDEX.format(host='pypi.internal.example')}",
    ),
    ("short-index", "-i http://pypi.internal.example/simple\n", f"1:4: {INDEX.format(host='pypi.internal.example')}"),
    (
        "index-equals",
        "--index-url=http://pypi.internal.example:8080/simple\n",
        f"1:13: {INDEX.format(host='pypi.internal.example:8080')}",
    ),
    (
        "find-links",
        "--find-links http://wheels.example.org/\n",
        f"1:14: {INDEX.format(host='wheels.example.org')}",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [h[1:] for h in REQUIREMENT_HITS], ids=[h[0] for h in REQUIREMENT_HITS]
)
@pytest.mark.parametrize("filename", ["requirements.txt", "requirements-dev.txt", "constraints.txt", "requirements.in"])
def test_requirement_hits(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], filename: str, text: str, expected: str
) -> None:
    (in_tmp / filename).write_text(text)
    assert run(capsys, filename) == (1, [f"{filename}:{expected}"])


REQUIREMENT_NEAR_MISSES = [
    ("popular", "numpy>=1.24\npandas==2.2.2\nscikit-learn\ntorch>=2.1\n"),
    ("spelling-variants", "PyYAML\nscikit_learn\nPillow\ntyping.extensions\nPython-Dateutil\n"),
    ("look-alike-real", "jellyfish\nrequests-oauthlib\ntorchvision\nscikit-image\nopencv-contrib-python\n"),
    ("boosters", "xgboost\nlightgbm\ncatboost\n"),
    ("short-real", "nltk\ntqdm\nrich\njax\nsix\ntoml\nattrs\nblack\nmock\n"),
    ("editable", "-e .\n-e git+https://github.com/x/reqeusts.git#egg=reqeusts\n"),
    ("nested", "-r requirements-base.txt\n-c constraints.txt\n"),
    ("urls-and-paths", "./vendor/reqeusts\nhttps://example.com/reqeusts.whl\nreqeusts @ https://example.com/r.whl\n"),
    ("comments", "# reqeusts\n\n   # colourama\n"),
    ("https-index", "--index-url https://pypi.org/simple\n--trusted-host pypi.org\n"),
    ("env-var", "${PRIVATE_PKG}\n"),
]


@pytest.mark.parametrize("text", [m[1] for m in REQUIREMENT_NEAR_MISSES], ids=[m[0] for m in REQUIREMENT_NEAR_MISSES])
def test_requirement_near_misses(in_tmp: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    (in_tmp / "requirements.txt").write_text(text)
    assert run(capsys, "requirements.txt") == (0, [])


# --- pyproject.toml and environment.yml --------------------------------------------------------

PYPROJECT_HITS = [
    (
        "pep621",
        '[project]\nname = "x"\ndependencies = [\n    "numpy",\n    "python-dateutils>=2",\n]\n',
        f"5:6: {typo('typosquat-requirement', 'python-dateutils', 'python-dateutil')}",
    ),
    (
        "optional",
        '[project]\nname = "x"\ndependencies = ["requests"]\n[project.optional-dependencies]\ndev = ["pytset>=8", "requests"]\n',
        f"5:9: {typo('typosquat-requirement', 'pytset', 'pytest')}",
    ),
    (
        "dependency-groups",
        '[dependency-groups]\nlint = ["ruff", "myp y" , "flake9"]\ntest = ["pytest-xdsit"]\n',
        f"3:10: {typo('typosquat-requirement', 'pytest-xdsit', 'pytest-xdist')}",
    ),
    (
        "build-system",
        '[build-system]\nrequires = ["setuptools>=61", "wheell"]\n',
        f"2:32: {typo('typosquat-requirement', 'wheell', 'wheel')}",
    ),
    (
        "poetry",
        '[tool.poetry.dependencies]\npython = "^3.10"\nreqeusts = "^2.31"\n',
        f"3:1: {typo('typosquat-requirement', 'reqeusts', 'requests')}",
    ),
    (
        "poetry-group",
        '[tool.poetry.group.dev.dependencies]\n"colourama" = { version = "^0.4" }\n',
        f"2:2: {typo('typosquat-requirement', 'colourama', 'colorama')}",
    ),
    (
        "poetry-wrong-name",
        '[tool.poetry.dependencies]\nsklearn = "*"\n',
        f"2:1: {wrong_install('sklearn', 'a deprecated placeholder that no longer installs', 'scikit-learn')}",
    ),
    (
        "poetry-source",
        '[[tool.poetry.source]]\nname = "corp"\nurl = "http://pypi.corp.example/simple"\n',
        f"3:8: {INDEX.format(host='pypi.corp.example')}",
    ),
    (
        "uv-index",
        '[[tool.uv.index]]\nname = "corp"\nurl = "http://pypi.corp.example/simple"\n',
        f"3:8: {INDEX.format(host='pypi.corp.example')}",
    ),
]


@pytest.mark.parametrize("text", [h[1] for h in PYPROJECT_HITS], ids=[h[0] for h in PYPROJECT_HITS])
def test_pyproject_hits(in_tmp: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    expected = next(h[2] for h in PYPROJECT_HITS if h[1] == text)
    (in_tmp / "sub").mkdir()
    (in_tmp / "sub" / "pyproject.toml").write_text(text)
    assert run(capsys, "sub/pyproject.toml") == (1, [f"sub/pyproject.toml:{expected}"])


def test_pyproject_near_misses(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "sub").mkdir()
    (in_tmp / "sub" / "pyproject.toml").write_text(
        "[build-system]\nrequires = [\"hatchling\"]\n"
        "[project]\nname = \"x\"\ndependencies = [\"PyYAML\", \"scikit_learn>=1.4\", \"mylib @ file:///src/mylib\"]\n"
        "[tool.poetry.dependencies]\npython = \"^3.10\"\nreqeusts = { path = \"../reqeusts\" }\n"
        "[tool.uv]\nindex-url = \"https://pypi.org/simple\"\n"
    )
    assert run(capsys, "sub/pyproject.toml") == (0, [])


def test_broken_pyproject_is_an_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "sub").mkdir()
    (in_tmp / "sub" / "pyproject.toml").write_text("[project\n")
    assert typosquat.main(["sub/pyproject.toml"]) == 3
    assert capsys.readouterr().err.startswith("sub/pyproject.toml: error: not valid TOML (")


def test_environment_pip_section(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "environment.yml").write_text(
        "name: exp\nchannels: [conda-forge]\ndependencies:\n"
        "  - python=3.11\n  - pandass          # conda names are not PyPI names\n  - pip\n"
        "  - pip:\n"
        '      - "reqeusts==2.31"\n'
        "      - --extra-index-url http://pypi.corp.example/simple\n"
        "      - -r requirements.txt\n"
        "      - torch>=2\n"
        "  - numpyy\n"
    )
    assert run(capsys, "environment.yml") == (
        1,
        [
            f"environment.yml:8:10: {typo('typosquat-requirement', 'reqeusts', 'requests')}",
            f"environment.yml:9:27: {EXTRA.format(url='http://pypi.corp.example/simple')}",
            f"environment.yml:9:27: {INDEX.format(host='pypi.corp.example')}",
        ],
    )


EXTRA = (
    "extra-index-url --extra-index-url {url} adds an index beside the default one: pip takes a name"
    " from whichever index has the highest version, so anyone can publish your internal package's"
    " name on the public index and win (dependency confusion); use one index (--index-url) or pin"
    " --hash for every requirement"
)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("requirements.txt", "--extra-index-url https://pypi.internal.example/simple\nnumpy\n",
         ["requirements.txt:1:19: " + EXTRA.format(url="https://pypi.internal.example/simple")]),
        # a token in the URL is never printed
        ("requirements.txt", "--extra-index-url=https://ci:" + FAKE_PASSWORD + "@pypi.internal.example/simple\n",
         ["requirements.txt:1:19: " + EXTRA.format(url="https://pypi.internal.example/simple")]),
        ("pyproject.toml", '[tool.uv]\nextra-index-url = ["https://pypi.internal.example/simple"]\n',
         ["pyproject.toml:2:21: " + EXTRA.format(url="https://pypi.internal.example/simple")]),
    ],
)
def test_extra_index_url_on_by_default(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, expected: list[str]
) -> None:
    (in_tmp / name).write_text(text)
    assert run(capsys, name) == (1, expected)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("requirements.txt", "--index-url https://pypi.internal.example/simple\nnumpy\n"),
        ("requirements.txt", "--extra-index-url https://x.example/simple\nnumpy==1.26.4 --hash=sha256:abc\n"),
        ("requirements.txt", "--require-hashes\n--extra-index-url https://x.example/simple\n"),
        ("pyproject.toml", '[tool.uv]\nindex-url = "https://pypi.internal.example/simple"\n'),
    ],
)
def test_extra_index_url_near_misses(in_tmp: Path, capsys: pytest.CaptureFixture[str], name: str, text: str) -> None:
    (in_tmp / name).write_text(text)
    assert run(capsys, name) == (0, [])


# --- configuration, suppression, output --------------------------------------------------------


def test_allow_packages(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "pyproject.toml").write_text(
        '[tool.mlhygiene]\nallow-packages = ["reqeusts", "COLOURAMA", "corp-*", "sklearn"]\n'
    )
    (in_tmp / "requirements.txt").write_text("reqeusts\ncolourama\ncorp_reqeusts\nsklearn\nmathplotlib\n")
    (in_tmp / "a.py").write_text("import reqeusts\nimport corp_tensorfloww\n")
    assert run(capsys, "requirements.txt", "a.py") == (
        1,
        [f"requirements.txt:5:1: {typo('typosquat-requirement', 'mathplotlib', 'matplotlib')}"],
    )


def test_rules_can_be_disabled(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "pyproject.toml").write_text('[tool.mlhygiene]\ndisable = ["wrong-package-name"]\n')
    (in_tmp / "requirements.txt").write_text("sklearn\nreqeusts\n")
    assert run(capsys, "requirements.txt") == (
        1,
        [f"requirements.txt:2:1: {typo('typosquat-requirement', 'reqeusts', 'requests')}"],
    )


def test_inline_suppression(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.py").write_text(
        "import mathplotlib  # mlhygiene: ignore[typosquat-import]\nimport seabron  # mlhygiene: ignore[http]\n"
    )
    (in_tmp / "requirements.txt").write_text("reqeusts  # mlhygiene: ignore[typosquat]\n")
    assert run(capsys, "a.py", "requirements.txt") == (
        1,
        [f"a.py:2:8: {typo('typosquat-import', 'seabron', 'seaborn')}"],
    )


def test_json_severity_and_category(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "requirements.txt").write_text("reqeusts\nsklearn\n-i http://pypi.corp.example/simple\n")
    assert typosquat.main(["--format", "json", "requirements.txt"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule_id"], f["severity"], f["category"], f["line"], f["end_column"]) for f in findings] == [
        ("typosquat-requirement", "error", "typosquat", 1, 9),
        ("wrong-package-name", "warning", "typosquat", 2, 8),
        ("insecure-index-url", "warning", "typosquat", 3, 35),
    ]


def test_credentials_in_index_urls_are_not_printed(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "requirements.txt").write_text(f"--extra-index-url http://ci:{FAKE_PASSWORD}@pypi.corp.example/simple\n")
    for fmt in ("text", "json", "sarif"):
        assert typosquat.main(["--format", fmt, "requirements.txt"]) == 1
        out, err = capsys.readouterr()
        assert FAKE_PASSWORD not in out + err


# --- the name rule itself ----------------------------------------------------------------------

NEAR = [
    ("mathplotlib", "matplotlib", "extra letter"),
    ("panda", "pandas", "missing letter"),
    ("reqeusts", "requests", "swapped letters"),
    ("tensorfloww", "tensorflow", "doubled letter"),
    ("colourama", "colorama", "extra letter"),
    ("python-dateutils", "python-dateutil", "extra letter"),
    ("requestz", "requests", "mistyped letter"),
    ("numpi", "numpy", "mistyped letter"),
    ("nurnpy", "numpy", "look-alike characters"),
    ("pandaz", "pandas", "mistyped letter"),
    ("scikitlearn", "scikit-learn", "separator"),
    ("dateutil-python", "python-dateutil", "prefix or suffix"),
    ("python-requests", "requests", "prefix or suffix"),
    ("learn-scikit", "scikit-learn", "reordered words"),
    ("opencv", "opencv-python", "prefix or suffix"),
]


@pytest.mark.parametrize(("name", "target", "how"), NEAR, ids=[n[0] for n in NEAR])
def test_find_near(name: str, target: str, how: str) -> None:
    near = known.find_near(name, for_imports=False)
    assert near is not None and (near.target.name, near.how) == (target, how)


FAR = ["torchx", "tomli-w", "p-tqdm", "cattrs", "ujson", "nvidia-cudnn-cu13", "pypdf3", "asgi-lifespan", "pytest-lock",
       "pyyaml-include", "modal", "numba", "xgboost2"]


@pytest.mark.parametrize("name", FAR)
def test_not_near(name: str) -> None:
    """Derivative names (a letter or word added, a digit changed) are not typos."""
    assert known.find_near(name, for_imports=False) is None or name in known.names().downloads


def test_no_popular_name_is_flagged() -> None:
    """The shipped rule over every bundled name: only the curated wrong names report."""
    data = known.names()
    flagged = {n for n in data.downloads if typosquat.judge_install(n, "typosquat-requirement")}
    assert flagged == {n for n in data.wrong if n in data.downloads}
    imports = [a for a in data.spelled.values() if typosquat.judge_import(a, lambda _: False)]
    assert imports == []


def test_popular_names_near_much_more_popular_ones_are_few() -> None:
    """Without the 'listed' shortcut, a listed name flags only next to a 1000x more popular one."""
    data = known.names()
    flagged = [n for n, c in data.downloads.items() if known.find_near(n, False, own_downloads=c)]
    assert len(flagged) <= 10, flagged


def test_bundled_data_is_current_and_tables_valid() -> None:
    """The committed data is what scripts/build_pypi_data.py builds; the curated tables are valid."""
    import importlib.util

    script = REPO / "scripts" / "build_pypi_data.py"
    if not script.exists():
        pytest.skip("scripts/ is not in this checkout")
    spec = importlib.util.spec_from_file_location("build_pypi_data", script)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    committed = (REPO / "hooks" / "mlhygiene" / "data" / "pypi_popular.txt").read_text()
    assert build.validate_tables(committed) == []
    if build.DEFAULT_SOURCE.exists():
        assert build.build(build.DEFAULT_SOURCE) == committed
