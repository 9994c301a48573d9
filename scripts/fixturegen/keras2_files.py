#!/usr/bin/env python3
"""Fixtures/keras2/: Keras 2 / tf.keras HDF5 files (`model.save("m.h5")` and
`model.save_weights("w.h5")`) made by tf_keras 2.x itself, plus Keras-2.2-style
files reconstructed with h5py.

Run with the TensorFlow environment (never in CI):

    /opt/venv-tf/bin/python scripts/fixturegen/keras2_files.py [--root Fixtures]

(`scripts/make_fixtures.py --only keras2` does the same.) Every expected
output is `model.predict` of tf_keras on the recurrent part of the model:
the PyTorch-shaped module rnnkit runs. Weights are random (uniform ±0.5),
seeded per fixture.

The `keras22_*` folders are reconstructions: Keras 2.2.4 (standalone, 2018)
needs Python ≤ 3.7 and TensorFlow 1.x, which this machine cannot install. The
writer below mirrors Keras 2.2.4's `saving.py` (`save_model`,
`save_weights_to_hdf5_group`, `save_attributes_to_hdf5_group`): attributes
as fixed-length bytes (`np.asarray` of `str.encode` values), layer names
`lstm_1`, weight names `lstm_1/kernel:0`, `bidirectional_1/forward_lstm_1/…`,
keras_version `2.2.4`, a Sequential config whose first layer carries
`batch_input_shape` (no InputLayer). Its weights and expected output come from
a tf_keras model with the same math (same kernels, biases, gate order and
activations, tf_keras's `hard_sigmoid` being Keras 2's clip(0.2x + 0.5, 0, 1)).
"""

import argparse
import json
import os
import shutil
import zlib
from collections import OrderedDict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402


def seed_for(name):
    return zlib.crc32(("keras2_" + name).encode()) & 0x7FFFFFFF


def models(K):
    """name -> (description, build(), input kind, expected, per-file outcomes).

    build returns (model, recurrent_output_layer_or_None, embedding_layer_or_None).
    Outcomes: "run", or ("refuse", words the message must hold).
    """
    L = K.layers

    def seq(*layers):
        return lambda: (K.Sequential(list(layers)), None)

    def lstm_dense_compiled():
        model = K.Sequential([K.Input((None, 3)), L.LSTM(4, return_sequences=True), L.Dense(2)])
        model.compile(optimizer="adam", loss="mse")
        return model, 1

    def nested():
        inner = K.Sequential([K.Input((None, 3)), L.LSTM(4, return_sequences=True)], name="encoder")
        x = K.Input((None, 3))
        model = K.Model(x, L.Dense(2)(inner(x)))
        return model, "nested"

    def embedding():
        model = K.Sequential([K.Input((None,), dtype="int32"), L.Embedding(10, 3), L.LSTM(4, return_sequences=True), L.Dense(2)])
        return model, 1

    run = "run"
    return [
        ("lstm", "LSTM(4), return_sequences", seq(K.Input((None, 3)), L.LSTM(4, return_sequences=True)),
         {"model.h5": run, "weights.h5": run}),
        ("gru", "GRU(4), reset_after=True (the tf.keras 2 default)", seq(K.Input((None, 3)), L.GRU(4, return_sequences=True)),
         {"model.h5": run, "weights.h5": run}),
        ("gru_reset_after_false", "GRU(4, reset_after=False): PyTorch's GRU cannot compute it",
         seq(K.Input((None, 3)), L.GRU(4, return_sequences=True, reset_after=False)),
         {"model.h5": ["refuse", "reset_after=False"], "weights.h5": ["refuse", "reset_after=False"]}),
        ("stacked_lstm", "two LSTM(5) layers, the first with batch_input_shape (no Input call)",
         seq(L.LSTM(5, return_sequences=True, batch_input_shape=(None, None, 3)), L.LSTM(5, return_sequences=True)),
         {"model.h5": run, "weights.h5": run}),
        ("bidirectional_lstm", "Bidirectional(LSTM(4)), merge_mode concat",
         seq(K.Input((None, 3)), L.Bidirectional(L.LSTM(4, return_sequences=True))),
         {"model.h5": run, "weights.h5": run}),
        ("bidirectional_sum", "Bidirectional(LSTM(4), merge_mode='sum'): not PyTorch's concatenation",
         seq(K.Input((None, 3)), L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum")),
         {"model.h5": ["refuse", "merge_mode"], "weights.h5": "run_assuming_concat"}),
        ("simple_rnn_relu", "SimpleRNN(4, activation='relu')",
         seq(K.Input((None, 3)), L.SimpleRNN(4, activation="relu", return_sequences=True)),
         {"model.h5": run, "weights.h5": run}),
        ("embedding_lstm_dense", "Embedding(10, 3) -> LSTM(4) -> Dense(2); input.npy is the embedded tokens (tokens.npy)",
         embedding, {"model.h5": run, "weights.h5": run}),
        ("nested_model", "a Sequential 'encoder' (LSTM(4)) used as a layer of a functional model, then Dense(2)",
         nested, {"model.h5": run, "weights.h5": run}),
        ("optimizer_weights", "LSTM(4) -> Dense(2), compiled with Adam and fitted one step (optimizer_weights/ in model.h5)",
         lstm_dense_compiled, {"model.h5": run, "weights.h5": run}),
        # tf.keras's mixed precision: float32 variables, float16 computation. The weights file records no policy.
        ("lstm_mixed_float16", "LSTM(4, dtype='mixed_float16'): tf_keras computes it in float16, so it must be refused "
         "without --full-precision; expected.npz also holds output_float32 (the float32 policy on the same weights)",
         seq(K.Input((None, 3)), L.LSTM(4, return_sequences=True, dtype="mixed_float16")),
         {"model.h5": ["refuse", "mixed_float16"], "weights.h5": "run_assuming_defaults"}),
        # The generic RNN layer around a cell: read as the layer it spells, the cell's settings with the layer's.
        ("rnn_lstm_cell_go_backwards", "RNN(LSTMCell(4, recurrent_activation='sigmoid'), go_backwards=True): an LSTM reading backwards",
         seq(K.Input((None, 3)), L.RNN(L.LSTMCell(4, recurrent_activation="sigmoid"), go_backwards=True, return_sequences=True)),
         {"model.h5": run, "weights.h5": "run_assuming_defaults"}),
        ("rnn_simple_cell_relu", "RNN(SimpleRNNCell(4, activation='relu'))",
         seq(K.Input((None, 3)), L.RNN(L.SimpleRNNCell(4, activation="relu"), return_sequences=True)),
         {"model.h5": run, "weights.h5": "run_assuming_defaults"}),
        ("masking_lstm", "Masking(0.0) -> LSTM(4): the mask is not run by rnnkit yet, so it must be refused",
         seq(K.Input((None, 3)), L.Masking(0.0), L.LSTM(4, return_sequences=True)),
         {"model.h5": ["refuse", "Masking"], "weights.h5": ["refuse", "masking"]}),
    ]


def float32_copy(layer):
    """A copy of `layer` with the float32 dtype policy."""
    config = layer.get_config()
    config["dtype"] = "float32"
    return layer.__class__.from_config(config)


def recurrent_part(K, model, marker):
    """The sub-model whose output rnnkit's module computes, and the layer feeding it."""
    if marker == "nested":
        inner = model.layers[1]
        return inner, None
    if marker == 1:  # the recurrent layer is the one before the Dense
        recurrent = [l for l in model.layers if "lstm" in l.name or "gru" in l.name][0]
        embedding = [l for l in model.layers if l.__class__.__name__ == "Embedding"]
        start = K.Input((None, recurrent.input_shape[-1]))
        return K.Model(start, recurrent(start)), embedding[0] if embedding else None
    return model, None


def h5_summary(path):
    """Every attribute (as Python values) and dataset of an HDF5 file, for the sidecar."""
    out = OrderedDict(attributes=OrderedDict(), datasets=OrderedDict())
    with h5py.File(path, "r") as f:
        def attrs(name, obj):
            for key, value in obj.attrs.items():
                if key in ("model_config", "training_config"):
                    value = "<json>"
                elif isinstance(value, np.ndarray):
                    value = [v.decode() if isinstance(v, bytes) else (str(v) if not isinstance(v, str) else v) for v in value.tolist()]
                elif isinstance(value, bytes):
                    value = value.decode()
                out["attributes"][f"{name}:{key}"] = value if isinstance(value, (str, list)) else str(value)
        attrs("/", f)

        def visit(name, obj):
            attrs(name, obj)
            if isinstance(obj, h5py.Dataset):
                out["datasets"][name] = list(obj.shape)
        f.visititems(visit)
    return out


def make_tf_keras(K, folder, name, description, build, outcomes):
    K.backend.clear_session()
    seed = seed_for(name)
    K.utils.set_random_seed(seed)
    model, marker = build()
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in model.get_weights()])
    if name == "optimizer_weights":
        model.fit(rng.standard_normal((2, 5, 3)).astype(np.float32), np.zeros((2, 5, 2), np.float32), epochs=1, verbose=0)
    part, embedding = recurrent_part(K, model, marker)
    out = os.path.join(folder, name)
    os.makedirs(out)
    features = part.input_shape[-1]
    x = rng.standard_normal((3, 5, features)).astype(np.float32)
    extra = {}
    if embedding is not None:
        tokens = rng.integers(1, 10, (3, 5)).astype(np.int32)
        x = np.asarray(embedding(tokens)).astype(np.float32)
        np.save(os.path.join(out, "tokens.npy"), tokens)
        extra["tokens"] = "tokens.npy"
    y = np.asarray(part.predict(x, verbose=0)).astype(np.float32)
    model.save(os.path.join(out, "model.h5"))
    model.save_weights(os.path.join(out, "weights.h5"))
    np.save(os.path.join(out, "input.npy"), x)
    arrays = {"output": y}
    if "mixed" in name:
        # The same layers with the float32 policy and these weights: what --full-precision must give.
        full = K.Sequential([K.Input((None, features)), float32_copy(model.layers[-1])])
        full.set_weights(model.get_weights())
        arrays["output_float32"] = np.asarray(full.predict(x, verbose=0)).astype(np.float32)
    np.savez(os.path.join(out, "expected.npz"), **arrays)
    return sidecar(out, description, outcomes, K.__version__, "tf_keras", extra)


def sidecar(out, description, outcomes, version, made_by, extra):
    record = OrderedDict(
        description=description, made_by=made_by, keras_version=version,
        input="input.npy", expected="expected.npz", input_layout="(batch, time, features)",
        expected_is="the output of the model's recurrent layers (the module rnnkit runs)",
        files=OrderedDict((f, o) for f, o in outcomes.items()), **extra)
    record["model_h5"] = h5_summary(os.path.join(out, "model.h5"))
    record["weights_h5"] = h5_summary(os.path.join(out, "weights.h5"))
    with open(os.path.join(out, "keras2.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return os.path.basename(out)


# --- Keras 2.2.4 reconstruction -------------------------------------------

def keras22_layer_config(layer_class, name, units, recurrent_activation, first, features):
    config = OrderedDict(name=name, trainable=True)
    if first:
        config["batch_input_shape"] = [None, None, features]
        config["dtype"] = "float32"
    config.update(return_sequences=True, return_state=False, go_backwards=False, stateful=False, unroll=False,
                  units=units, activation="tanh", recurrent_activation=recurrent_activation, use_bias=True,
                  kernel_initializer={"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
                  recurrent_initializer={"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                  bias_initializer={"class_name": "Zeros", "config": {}},
                  unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                  activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                  dropout=0.0, recurrent_dropout=0.0, implementation=1)
    return {"class_name": layer_class, "config": config}


def write_keras22(path, layers, weights_only):
    """layers: [(layer name, config or None, [(weight name, array)])] as Keras 2.2.4's saving.py writes them."""
    def save_attributes(group, name, data):
        group.attrs[name] = np.asarray(data)  # bytes -> fixed-length 'S'; [] -> float64

    with h5py.File(path, "w") as f:
        if weights_only:
            group = f
        else:
            f.attrs["keras_version"] = "2.2.4".encode("utf8")
            f.attrs["backend"] = "tensorflow".encode("utf8")
            config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [c for _, c, _ in layers]}}
            f.attrs["model_config"] = json.dumps(config).encode("utf8")
            group = f.create_group("model_weights")
        save_attributes(group, "layer_names", [n.encode("utf8") for n, _, _ in layers])
        group.attrs["backend"] = "tensorflow".encode("utf8")
        group.attrs["keras_version"] = "2.2.4".encode("utf8")
        for layer_name, _, weights in layers:
            g = group.create_group(layer_name)
            save_attributes(g, "weight_names", [w.encode("utf8") for w, _ in weights])
            for weight_name, value in weights:
                g.create_dataset(weight_name, value.shape, dtype=value.dtype)[...] = value


def make_keras22(K, folder, name, description, bidirectional, recurrent_activation, outcomes):
    K.backend.clear_session()
    seed = seed_for(name)
    rng = np.random.default_rng(seed)
    lstm = K.layers.LSTM(4, return_sequences=True, recurrent_activation=recurrent_activation)
    model = K.Sequential([K.Input((None, 3)), K.layers.Bidirectional(lstm) if bidirectional else lstm])
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    out = os.path.join(folder, name)
    os.makedirs(out)
    x = rng.standard_normal((3, 5, 3)).astype(np.float32)
    y = np.asarray(model.predict(x, verbose=0))
    values = model.get_weights()
    roles = ["kernel:0", "recurrent_kernel:0", "bias:0"]
    if bidirectional:
        inner = keras22_layer_config("LSTM", "lstm_1", 4, recurrent_activation, False, 3)
        config = {"class_name": "Bidirectional", "config": OrderedDict(
            name="bidirectional_1", trainable=True, batch_input_shape=[None, None, 3], dtype="float32",
            layer=inner, merge_mode="concat")}
        weights = [(f"bidirectional_1/{side}_lstm_1/{role}", values[i + 3 * s])
                   for s, side in enumerate(["forward", "backward"]) for i, role in enumerate(roles)]
        layers = [("bidirectional_1", config, weights)]
    else:
        config = keras22_layer_config("LSTM", "lstm_1", 4, recurrent_activation, True, 3)
        layers = [("lstm_1", config, [(f"lstm_1/{role}", values[i]) for i, role in enumerate(roles)])]
    write_keras22(os.path.join(out, "model.h5"), layers, weights_only=False)
    write_keras22(os.path.join(out, "weights.h5"), layers, weights_only=True)
    np.save(os.path.join(out, "input.npy"), x)
    np.savez(os.path.join(out, "expected.npz"), output=y)
    return sidecar(out, description, outcomes, "2.2.4", "h5py reconstruction of Keras 2.2.4's saving code; "
                   f"weights and expected output from tf_keras {K.__version__}", {})


def make_hostile(folder):
    """Damaged or unreadable Keras 2 files, written with h5py alone (hostile/)."""
    out = os.path.join(folder, "hostile")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed_for("hostile"))
    lstm = [("lstm/lstm_cell/kernel:0", rng.uniform(-0.5, 0.5, (3, 16)).astype(np.float32)),
            ("lstm/lstm_cell/recurrent_kernel:0", rng.uniform(-0.5, 0.5, (4, 16)).astype(np.float32)),
            ("lstm/lstm_cell/bias:0", rng.uniform(-0.5, 0.5, (16,)).astype(np.float32))]

    def weights_file(name, version, weights, listed=None):
        with h5py.File(os.path.join(out, name), "w") as f:
            f.attrs["keras_version"] = version
            f.attrs["backend"] = "tensorflow"
            f.attrs["layer_names"] = np.asarray([b"lstm"])
            g = f.create_group("lstm")
            g.attrs["weight_names"] = np.asarray([w.encode() for w, _ in (listed or weights)])
            for weight, value in weights:
                g.create_dataset(weight, data=value)

    made = {}
    weights_file("missing_weight.h5", "2.21.0", lstm[:1] + lstm[2:], listed=lstm)
    made["missing_weight.h5"] = "weight_names lists recurrent_kernel:0, which the file does not hold"
    weights_file("swapped_order.h5", "2.21.0", lstm, listed=[lstm[1], lstm[0], lstm[2]])
    made["swapped_order.h5"] = "weight_names puts recurrent_kernel first: its names contradict Keras's order"
    weights_file("keras1.h5", "1.2.2", lstm)
    made["keras1.h5"] = "keras_version 1.2.2: Keras 1 keeps each gate apart"
    gru = [("gru/gru_cell/kernel:0", rng.uniform(-0.5, 0.5, (3, 12)).astype(np.float32)),
           ("gru/gru_cell/recurrent_kernel:0", rng.uniform(-0.5, 0.5, (4, 12)).astype(np.float32))]
    with h5py.File(os.path.join(out, "gru_nobias_2.3.1.h5"), "w") as f:
        f.attrs["keras_version"] = "2.3.1"
        f.attrs["layer_names"] = np.asarray([b"gru"])
        g = f.create_group("gru")
        g.attrs["weight_names"] = np.asarray([w.encode() for w, _ in gru])
        for weight, value in gru:
            g.create_dataset(weight, data=value)
    made["gru_nobias_2.3.1.h5"] = "a GRU without bias from Keras 2.3.1: reset_after cannot be known"
    with h5py.File(os.path.join(out, "bad_config.h5"), "w") as f:
        f.attrs["keras_version"] = "2.21.0"
        f.attrs["model_config"] = "{not json"
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.asarray([], dtype=np.float64)
    made["bad_config.h5"] = "model_config is not JSON"
    with open(os.path.join(out, "hostile.json"), "w") as f:
        json.dump(made, f, indent=2)
        f.write("\n")
    return made


# --- tf_keras's own .keras archives ---------------------------------------

def make_archives(K, folder):
    """archives/: `.keras` zips written by tf_keras (metadata.json keras_version 2.x), whose
    config looks like Keras 3's but computes Keras 2's math (hard_sigmoid is clip(0.2x + 0.5, 0, 1)),
    and an encoder-decoder whose decoder takes the encoder's states (`initial_state`), as `.keras`
    and `.h5`. archives.json says what each file must give (`run` or `module NAME`: the result
    array compared with which `expected.npz` member, or ["refuse", words]); `expected.npz` holds
    tf_keras's outputs (`dec`: the decoder's, which rnnkit cannot compute from its input alone)."""
    L = K.layers
    out = os.path.join(folder, "archives")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rng = np.random.default_rng(seed_for("archives"))

    def randomize(model):
        model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(w.dtype) for w in model.get_weights()])

    x = rng.standard_normal((3, 5, 3)).astype(np.float32) * 2
    np.save(os.path.join(out, "input.npy"), x)
    expected, files = {}, OrderedDict()
    K.backend.clear_session()
    for name, layer in [("lstm_hard_sigmoid", L.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True)),
                        ("gru_hard_sigmoid", L.GRU(4, recurrent_activation="hard_sigmoid", return_sequences=True))]:
        model = K.Sequential([K.Input((None, 3)), layer])
        randomize(model)
        model.save(os.path.join(out, name + ".keras"))
        expected[name] = np.asarray(model.predict(x, verbose=0)).astype(np.float32)
        files[name + ".keras"] = {"run": {"output": name}, "convert_keras": ["refuse", "no Keras 3 name"]}

    model = K.Sequential([K.Input((None, 3)), L.Bidirectional(L.LSTM(4, go_backwards=True, return_sequences=True))])
    randomize(model)
    model.save(os.path.join(out, "bidirectional_go_backwards.keras"))
    files["bidirectional_go_backwards.keras"] = {"run": ["refuse", "go_backwards=True on the layer inside Bidirectional"]}

    source, target = K.Input((None, 3)), K.Input((None, 3))
    _, h, c = L.LSTM(4, return_state=True, name="enc")(source)
    decoded = L.LSTM(4, return_sequences=True, name="dec")(target, initial_state=[h, c])
    model = K.Model([source, target], decoded)
    randomize(model)
    # The encoder returns its last step and states: its h_n is what `run --module enc` must give.
    encoder = K.Model(source, model.get_layer("enc")(source))
    expected["enc_h_n"] = np.asarray(encoder.predict(x, verbose=0)[1]).astype(np.float32)[None]
    expected["dec"] = np.asarray(model.predict([x, x], verbose=0)).astype(np.float32)
    for suffix in ["keras", "h5"]:
        model.save(os.path.join(out, "encoder_decoder." + suffix))
        files["encoder_decoder." + suffix] = {"module enc": {"h_n": "enc_h_n"}, "module dec": ["refuse", "takes 3 inputs"]}
    # tf_keras keeps its CuDNN layers (separate input and recurrent biases), which rnnkit refuses in every container.
    from tf_keras.src.layers.rnn import cudnn_lstm
    layer = cudnn_lstm.CuDNNLSTM(4, return_sequences=True)
    layer.build((None, None, 3))
    model = K.Sequential([K.Input((None, 3)), layer])
    randomize(model)
    model.save(os.path.join(out, "cudnn_lstm.keras"))
    files["cudnn_lstm.keras"] = {"run": ["refuse", "CuDNNLSTM keeps the input and recurrent biases apart"]}

    np.savez(os.path.join(out, "expected.npz"), **expected)
    with open(os.path.join(out, "archives.json"), "w") as f:
        json.dump(OrderedDict(made_by="tf_keras", keras_version=K.__version__, input="input.npy", expected="expected.npz",
                              files=files), f, indent=2)
        f.write("\n")
    return sorted(files)


def make(root, only=None):
    """Makes every folder, or with `only` (names) those tf_keras folders alone, the others kept."""
    import tf_keras as K
    folder = os.path.join(root, "keras2")
    for entry in os.listdir(folder) if os.path.isdir(folder) else []:
        if os.path.isdir(os.path.join(folder, entry)) and (only is None or entry in only):
            shutil.rmtree(os.path.join(folder, entry))
    os.makedirs(folder, exist_ok=True)
    made = []
    for name, description, build, outcomes in models(K):
        if only is None or name in only:
            made.append(make_tf_keras(K, folder, name, description, build, outcomes))
    if only is not None:
        return made
    made.append(make_keras22(
        K, folder, "keras22_lstm_hard_sigmoid", "Keras 2.2.4 LSTM(4) with its default recurrent_activation='hard_sigmoid'", False,
        "hard_sigmoid", {"model.h5": ["refuse", "hard_sigmoid"], "weights.h5": ["refuse", "hard_sigmoid"]}))
    made.append(make_keras22(
        K, folder, "keras22_lstm_sigmoid", "Keras 2.2.4 LSTM(4) with recurrent_activation='sigmoid' set in the config", False,
        "sigmoid", {"model.h5": "run", "weights.h5": ["refuse", "hard_sigmoid"]}))
    made.append(make_keras22(
        K, folder, "keras22_bidirectional_sigmoid", "Keras 2.2.4 Bidirectional(LSTM(4), recurrent_activation='sigmoid')", True,
        "sigmoid", {"model.h5": "run", "weights.h5": ["refuse", "hard_sigmoid"]}))
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures")
    parser.add_argument("--root", default=os.path.normpath(default_root))
    parser.add_argument("--hostile-only", action="store_true", help="only hostile/ (h5py alone, no TensorFlow)")
    parser.add_argument("--only", help="comma-separated tf_keras folders to make, the others kept (e.g. lstm_mixed_float16)")
    parser.add_argument("--archives-only", action="store_true", help="only archives/ (tf_keras's .keras files)")
    args = parser.parse_args()
    if args.archives_only:
        import tf_keras as K
        print(f"keras2/archives: {len(make_archives(K, os.path.join(args.root, 'keras2')))} files")
        return
    if args.only:
        made = make(args.root, only=set(args.only.split(",")))
        print(f"keras2: {len(made)} models")
        return
    if not args.hostile_only:
        made = make(args.root)
        print(f"keras2: {len(made)} models")
        import tf_keras as K
        print(f"keras2/archives: {len(make_archives(K, os.path.join(args.root, 'keras2')))} files")
    print(f"keras2/hostile: {len(make_hostile(os.path.join(args.root, 'keras2')))} files")


if __name__ == "__main__":
    main()
