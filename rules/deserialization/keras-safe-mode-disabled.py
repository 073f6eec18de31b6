# Notebook-style tests for keras-safe-mode-disabled.
import keras
import tensorflow as tf
from tensorflow.keras.models import load_model

MODEL_DIR = "/kaggle/input/unet-keras"

# ruleid: keras-safe-mode-disabled
model = keras.models.load_model(f"{MODEL_DIR}/unet.keras", safe_mode=False)

# ruleid: keras-safe-mode-disabled
model2 = tf.keras.models.load_model(
    "model_with_lambda.keras",
    custom_objects={"dice": None},
    compile=False,
    safe_mode=False,
)

# ruleid: keras-safe-mode-disabled
model3 = load_model("best.keras", safe_mode=False)

# ruleid: keras-safe-mode-disabled
model4 = keras.saving.load_model("best.keras", None, True, False)

# ruleid: keras-safe-mode-disabled
keras.config.enable_unsafe_deserialization()

# ruleid: keras-safe-mode-disabled
tf.keras.config.enable_unsafe_deserialization()

# ok: keras-safe-mode-disabled
safe = keras.models.load_model("best.keras")
# ok: keras-safe-mode-disabled
safe2 = tf.keras.models.load_model("best.keras", safe_mode=True)
# ok: keras-safe-mode-disabled
safe3 = load_model("best.h5", compile=False)
# ok: keras-safe-mode-disabled
safe4 = keras.saving.load_model("best.keras", None, True, True)
# ok: keras-safe-mode-disabled
model.save("best.keras")
# ok: keras-safe-mode-disabled
keras.config.set_floatx("float32")


def from_import_as(path):
    from keras.saving import load_model as kload

    # ruleid: keras-safe-mode-disabled
    return kload(path, safe_mode=False)


def deserialize(config):
    from keras.saving import deserialize_keras_object

    # ruleid: keras-safe-mode-disabled
    return deserialize_keras_object(config, safe_mode=False)


def from_config_module():
    from keras import config

    # ruleid: keras-safe-mode-disabled
    config.enable_unsafe_deserialization()


def other_library_positional(uri):
    import mlflow

    # ok: keras-safe-mode-disabled
    return mlflow.pyfunc.load_model(uri, False, None, False)
