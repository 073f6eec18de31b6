import keras
import tensorflow as tf
from tensorflow.keras.models import load_model

# ruleid: keras-load-legacy-model
model = keras.models.load_model("checkpoints/best_model.h5")
# ruleid: keras-load-legacy-model
model = tf.keras.models.load_model(args.checkpoint)
# ruleid: keras-load-legacy-model
model = load_model("/kaggle/input/pretrained/unet.hdf5", compile=False)

# ok: keras-load-legacy-model
model = keras.models.load_model("checkpoints/best_model.keras")
# ok: keras-load-legacy-model
model = keras.saving.load_model("exported/classifier.keras", compile=False)
# ok: keras-load-legacy-model
model.load_weights("checkpoints/best.weights.h5")
# ok: keras-load-legacy-model
model = keras.models.load_model("best_model.h5", safe_mode=False)
