# Notebook-style tests for yaml-full-load.
import yaml
import yaml as y

with open("/kaggle/input/configs/exp001.yaml") as f:
    # ruleid: yaml-full-load
    CFG = yaml.load(f, Loader=yaml.FullLoader)

# ruleid: yaml-full-load
cfg2 = yaml.full_load(open("config.yaml"))

# ruleid: yaml-full-load
cfg3 = y.load(open("config.yaml"), y.FullLoader)

# ruleid: yaml-full-load
docs = list(yaml.full_load_all(open("multi.yaml")))

# ruleid: yaml-full-load
docs2 = yaml.load_all(
    open("multi.yaml"),
    Loader=yaml.FullLoader,
)

# ok: yaml-full-load
safe = yaml.safe_load(open("config.yaml"))
# ok: yaml-full-load
safe2 = yaml.load(open("config.yaml"), Loader=yaml.SafeLoader)
# Unsafe loaders are yaml-unsafe-load's finding.
# ok: yaml-full-load
unsafe = yaml.load(open("config.yaml"), Loader=yaml.Loader)
# ok: yaml-full-load
yaml.dump(CFG, open("used_config.yaml", "w"))


def from_import(path):
    from yaml import FullLoader, full_load, load

    # ruleid: yaml-full-load
    a = load(open(path), Loader=FullLoader)
    # ruleid: yaml-full-load
    b = full_load(open(path))
    return a, b


def c_full_loader(path):
    # ruleid: yaml-full-load
    return yaml.load(open(path), Loader=yaml.CFullLoader)
