# Notebook-style tests for fastai-load-learner.
from fastai.vision.all import *

path = Path("/kaggle/input/pets-model")

# ruleid: fastai-load-learner
learn = load_learner(path / "export.pkl")

# ruleid: fastai-load-learner
learn_cpu = load_learner("export.pkl", cpu=True)

# ruleid: fastai-load-learner
learn_multi = load_learner(
    fname=path / "export.pkl",
    cpu=False,
)

pred, idx, probs = learn.predict(path / "cat.jpg")

# ok: fastai-load-learner
learn.export("export.pkl")
# ok: fastai-load-learner
learn.load("stage-1")
# ok: fastai-load-learner
learn.save("stage-2")


def explicit_import(fname):
    from fastai.learner import load_learner as fa_load

    # ruleid: fastai-load-learner
    return fa_load(fname)


def module_alias(fname):
    import fastai.learner as fl

    # ruleid: fastai-load-learner
    return fl.load_learner(fname)


def fastai_v1(folder):
    from fastai.basic_train import load_learner

    # ruleid: fastai-load-learner
    return load_learner(folder, "export.pkl")


def from_the_hub(repo_id):
    from huggingface_hub import from_pretrained_fastai

    # ruleid: fastai-load-learner
    return from_pretrained_fastai(repo_id)


def predict_folder(folder):
    # Still covered by the star import at the top of the notebook.
    # ruleid: fastai-load-learner
    learner = load_learner(folder / "export.pkl")
    return [learner.predict(p) for p in get_image_files(folder)]
