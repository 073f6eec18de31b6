# Notebook-style tests for yaml-unsafe-load.
import yaml
import yaml as pyyaml

# Old tutorials: no Loader at all.
# ruleid: yaml-unsafe-load
cfg = yaml.load(open("config.yaml"))

with open("/kaggle/input/configs/train.yaml") as f:
    # ruleid: yaml-unsafe-load
    params = yaml.load(f, Loader=yaml.Loader)

with open("hparams.yml", "r") as f:
    # ruleid: yaml-unsafe-load
    hp = pyyaml.load(f, Loader=pyyaml.UnsafeLoader)

# ruleid: yaml-unsafe-load
fast = yaml.load(open("big.yaml"), Loader=yaml.CLoader)

# Loader as the second positional argument.
# ruleid: yaml-unsafe-load
pos = yaml.load(open("config.yaml"), yaml.Loader)

# ruleid: yaml-unsafe-load
docs = list(yaml.load_all(open("multi.yaml")))

# ruleid: yaml-unsafe-load
docs2 = yaml.load_all(open("multi.yaml"), Loader=yaml.UnsafeLoader)

# ruleid: yaml-unsafe-load
raw = yaml.unsafe_load("a: 1")

# ruleid: yaml-unsafe-load
raw_all = yaml.unsafe_load_all(open("multi.yaml"))

# ruleid: yaml-unsafe-load
kw = yaml.load(stream=open("config.yaml"))

# ruleid: yaml-unsafe-load
multi_line = yaml.load(
    open("config.yaml"),
    Loader=yaml.Loader,
)

# Safe variants.
# ok: yaml-unsafe-load
ok1 = yaml.safe_load(open("config.yaml"))
# ok: yaml-unsafe-load
ok2 = yaml.load(open("config.yaml"), Loader=yaml.SafeLoader)
# ok: yaml-unsafe-load
ok3 = yaml.load(open("config.yaml"), Loader=yaml.CSafeLoader)
# ok: yaml-unsafe-load
ok4 = yaml.load(open("config.yaml"), Loader=yaml.BaseLoader)
# ok: yaml-unsafe-load
ok5 = yaml.load(open("config.yaml"), yaml.SafeLoader)
# ok: yaml-unsafe-load
ok6 = list(yaml.safe_load_all(open("multi.yaml")))
# ok: yaml-unsafe-load
ok7 = yaml.load_all(open("multi.yaml"), Loader=yaml.SafeLoader)
# ok: yaml-unsafe-load
yaml.dump(cfg, open("out.yaml", "w"))
# ok: yaml-unsafe-load
yaml.safe_dump(cfg, open("out.yaml", "w"))
# FullLoader is yaml-full-load's finding.
# ok: yaml-unsafe-load
fl = yaml.load(open("config.yaml"), Loader=yaml.FullLoader)
# ok: yaml-unsafe-load
fl2 = yaml.full_load(open("config.yaml"))


class IncludeLoader(yaml.SafeLoader):
    pass


class ObjectLoader(yaml.Loader):
    pass


# ok: yaml-unsafe-load
inc = yaml.load(open("config.yaml"), Loader=IncludeLoader)
# ruleid: yaml-unsafe-load
objs = yaml.load(open("config.yaml"), Loader=ObjectLoader)


def from_import(path):
    from yaml import load, Loader, SafeLoader

    # ruleid: yaml-unsafe-load
    a = load(open(path), Loader=Loader)
    # ok: yaml-unsafe-load
    b = load(open(path), Loader=SafeLoader)
    return a, b


def c_loader_fallback(path):
    try:
        from yaml import CLoader as Loader
    except ImportError:
        from yaml import Loader
    # ruleid: yaml-unsafe-load
    return yaml.load(open(path), Loader=Loader)


def c_safe_loader_fallback(path):
    try:
        from yaml import CSafeLoader as SafeLoader
    except ImportError:
        from yaml import SafeLoader
    # ok: yaml-unsafe-load
    return yaml.load(open(path), Loader=SafeLoader)


def json_is_fine(path):
    import json

    # ok: yaml-unsafe-load
    return json.load(open(path))


def ruamel_round_trip(path):
    from ruamel.yaml import YAML

    yaml = YAML()
    # ok: yaml-unsafe-load
    return yaml.load(open(path))


def ruamel_safe(path):
    import ruamel.yaml

    loader = ruamel.yaml.YAML(typ="safe", pure=True)
    # ok: yaml-unsafe-load
    return loader.load(open(path))


def ruamel_unsafe(path):
    from ruamel.yaml import YAML

    # ruleid: yaml-unsafe-load
    y = YAML(typ="unsafe")
    return y.load(open(path))


def ruamel_old_api(path):
    import ruamel.yaml

    # ruamel.yaml < 0.18: load() without a Loader used the unsafe loader.
    # ruleid: yaml-unsafe-load
    a = ruamel.yaml.load(open(path))
    # ok: yaml-unsafe-load
    b = ruamel.yaml.safe_load(open(path))
    return a, b


def ruamel_old_api_loaders(path):
    import ruamel.yaml

    # ruleid: yaml-unsafe-load
    a = ruamel.yaml.load(open(path), Loader=ruamel.yaml.Loader)
    # ok: yaml-unsafe-load
    b = ruamel.yaml.load(open(path), Loader=ruamel.yaml.RoundTripLoader)
    return a, b


def ruamel_unsafe_named_yaml(path):
    from ruamel.yaml import YAML

    # ruleid: yaml-unsafe-load
    yaml = YAML(typ="unsafe", pure=True)
    return yaml.load(open(path))
