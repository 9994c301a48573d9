"""Keras 3 models whose recurrent layers sit behind a mask (Masking, Embedding(mask_zero=True)),
saved by Keras itself, with Keras's own outputs: Fixtures/keras/<name>/ holding mask.json.

Part `keras_masks` of scripts/make_fixtures.py; also runs alone (system python3, keras 3, jax):

    KERAS_BACKEND=jax python3 scripts/fixturegen/keras_mask_files.py [--root Fixtures]

Each folder: model.keras (model.save), mask.json (what the model is and what rnnkit must do),
and per input case `<case>.npy` (what `rnnkit run` reads: the recurrent module's input, batch-major)
with `<case>_expected.npz` (output from model.predict; h_n and, for an LSTM, c_n from the same
layers called with return_state=True, in PyTorch's (layers*directions, batch, units) shape) and,
where the mask comes from token ids, `<case>_lengths.npy` and `<case>_tokens.npy`.
No expected number is typed by hand.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import keras  # noqa: E402

MARKER = "mask.json"
README_BEGIN = "<!-- keras_mask_files: begin (scripts/fixturegen/keras_mask_files.py) -->"
README_END = "<!-- keras_mask_files: end -->"


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in model.get_weights()])


def states(layers, x, mask):
    """h_n (and c_n) of the recurrent layers in `layers`, called on x with mask as the model does."""
    h, c = [], []
    for layer in layers:
        layer.return_state = True
        if isinstance(layer, keras.layers.Bidirectional):
            layer.forward_layer.return_state = layer.backward_layer.return_state = True
        result = layer(x, mask=mask)
        layer.return_state = False
        if isinstance(layer, keras.layers.Bidirectional):
            layer.forward_layer.return_state = layer.backward_layer.return_state = False
        x, rest = result[0], [np.asarray(s) for s in result[1:]]
        if isinstance(layer, keras.layers.Bidirectional):
            half = len(rest) // 2
            forward, backward = rest[:half], rest[half:]
            h += [forward[0], backward[0]]
            if half == 2:
                c += [forward[1], backward[1]]
        else:
            h.append(rest[0])
            if len(rest) == 2:
                c.append(rest[1])
    out = {"h_n": np.stack(h)}
    if c:
        out["c_n"] = np.stack(c)
    return out


def masked_inputs(rng, batch, steps, features, value, holes):
    """Random input with trailing steps set to mask_value per row (and, with holes, a masked step
    in the middle and a row masked entirely)."""
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    for row, keep in enumerate([steps, steps - 2, 2][:batch]):
        x[row, keep:] = value
    if holes:
        x[0, 1] = value
        x[0, 3] = value
        x[1, 0] = value
        x[batch - 1, :] = value
    return x


def save(folder, name, description, model, cases, spec):
    os.makedirs(folder, exist_ok=True)
    model.save(os.path.join(folder, "model.keras"))
    for case, arrays in cases.items():
        for key, array in arrays.items():
            if key == "expected":
                np.savez(os.path.join(folder, f"{case}_expected.npz"), **array)
            else:
                np.save(os.path.join(folder, f"{case}.npy" if key == "input" else f"{case}_{key}.npy"), array)
    spec = dict(spec, name=name, description=description, cases=sorted(cases),
                keras_version=keras.__version__, backend=keras.backend.backend())
    with open(os.path.join(folder, MARKER), "w") as f:
        json.dump(spec, f, indent=2, sort_keys=True)
        f.write("\n")
    return name, spec


def masking_model(name, value, recurrent, seed):
    inputs = keras.Input((None, 4))
    x = keras.layers.Masking(mask_value=value)(inputs)
    for layer in recurrent:
        x = layer(x)
    model = keras.Model(inputs, x)
    randomize(model, seed)
    return model


def masking_cases(model, value, layers, seed):
    rng = np.random.default_rng(seed)
    cases = {}
    for case, holes in [("input", False), ("holes", True)]:
        x = masked_inputs(rng, 3, 6, 4, value, holes)
        mask = np.any(x != np.float32(value), axis=-1)
        expected = {"output": np.asarray(model.predict(x, verbose=0))}
        expected.update(states(layers, x, keras.ops.convert_to_tensor(mask)) if len(layers) == 1 else
                        stacked_states(layers, x, mask))
        cases[case] = {"input": x, "expected": expected}
    return cases


def stacked_states(layers, x, mask):
    """h_n/c_n of stacked layers: each layer called on the previous one's output, same mask."""
    parts = []
    for layer in layers:
        parts.append(states([layer], x, keras.ops.convert_to_tensor(mask)))
        x = np.asarray(layer(x, mask=keras.ops.convert_to_tensor(mask)))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def make(root):
    keras.utils.set_random_seed(1)
    made = []
    folder = os.path.join(root, "keras")

    # Masking(0.0) -> LSTM -> LSTM: one two-layer module, masked steps repeat the previous output.
    layers = [keras.layers.LSTM(5, return_sequences=True), keras.layers.LSTM(5, return_sequences=True)]
    model = masking_model("masking_lstm", 0.0, layers, 11)
    made.append(save(os.path.join(folder, "masking_lstm"), "masking_lstm",
                     "Masking(0.0) -> LSTM(5) -> LSTM(5), return_sequences", model, masking_cases(model, 0.0, layers, 12),
                     {"mask": "mask_value", "mask_value": 0.0, "zero_output_for_mask": False}))

    # Masking(-1.0) -> Bidirectional(GRU): Bidirectional outputs zeros at masked steps.
    layers = [keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))]
    model = masking_model("masking_bidirectional_gru", -1.0, layers, 21)
    made.append(save(os.path.join(folder, "masking_bidirectional_gru"), "masking_bidirectional_gru",
                     "Masking(-1.0) -> Bidirectional(GRU(3), return_sequences)", model,
                     masking_cases(model, -1.0, layers, 22),
                     {"mask": "mask_value", "mask_value": -1.0, "zero_output_for_mask": True}))

    # Embedding(mask_zero=True) -> LSTM: the mask comes from token ids; rnnkit takes it as --lengths.
    tokens_in = keras.Input((None,), dtype="int32")
    embedding = keras.layers.Embedding(10, 4, mask_zero=True)
    lstm = keras.layers.LSTM(5, return_sequences=True)
    model = keras.Model(tokens_in, lstm(embedding(tokens_in)))
    randomize(model, 31)
    rng = np.random.default_rng(32)
    tokens = rng.integers(1, 10, (3, 6)).astype(np.int32)
    lengths = np.array([6, 4, 1], dtype=np.int64)
    for row, length in enumerate(lengths):
        tokens[row, length:] = 0
    embedded = np.asarray(embedding(tokens)).astype(np.float32)
    expected = {"output": np.asarray(model.predict(tokens, verbose=0))}
    expected.update(states([lstm], embedded, keras.ops.convert_to_tensor(tokens != 0)))
    made.append(save(os.path.join(folder, "embedding_mask_zero_lstm"), "embedding_mask_zero_lstm",
                     "Embedding(10, 4, mask_zero=True) -> LSTM(5), return_sequences; input.npy is the embedding's output",
                     model, {"input": {"input": embedded, "expected": expected, "lengths": lengths, "tokens": tokens}},
                     {"mask": "lengths", "zero_output_for_mask": False}))

    # Two modules reading 4 and 6 features, no mask: `run` without --module picks by the input's size.
    gru = keras.layers.GRU(6, return_sequences=True)
    decoder = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    model = keras.Sequential([keras.Input((None, 4)), gru, decoder])
    randomize(model, 51)
    x = np.random.default_rng(52).standard_normal((2, 5, 4)).astype(np.float32)
    encoded = np.asarray(gru(x)).astype(np.float32)
    cases = {"input": {"input": x, "expected": dict(states([gru], x, None), output=encoded)},
             "decoder": {"input": encoded, "expected": dict(states([decoder], encoded, None),
                                                             output=np.asarray(model.predict(x, verbose=0)))}}
    made.append(save(os.path.join(folder, "two_modules_by_input_size"), "two_modules_by_input_size",
                     "GRU(6) -> Bidirectional(LSTM(3)), no mask: two modules, input_size 4 and 6", model, cases,
                     {"mask": "none"}))

    # Refused: a Conv1D (not in rnnkit's list) before the LSTM; no expected numbers.
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, keras.layers.LSTM(3, return_sequences=True)(keras.layers.Conv1D(4, 1)(inputs)))
    randomize(model, 41)
    made.append(save(os.path.join(folder, "conv1d_lstm"), "conv1d_lstm",
                     "Conv1D -> LSTM: an upstream layer rnnkit does not know; run must refuse it", model,
                     {"input": {"input": np.random.default_rng(42).standard_normal((2, 5, 4)).astype(np.float32)}},
                     {"mask": "refused", "refuse_because": "Conv1D"}))
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{name}/` | {spec['description']} | {spec['mask']} | {', '.join(spec['cases'])} |" for name, spec in made)
    section = f"""{README_BEGIN}
## Masked models (`mask.json`)

Made by `scripts/fixturegen/keras_mask_files.py` (part `keras_masks`), Keras {made[0][1]['keras_version']}
(backend {made[0][1]['backend']}): a recurrent layer behind `Masking` or `Embedding(mask_zero=True)`.
Each folder: `model.keras`, `mask.json`, and per case `<case>.npy` (the recurrent module's input,
batch-major; `input.npy` has masked trailing steps, `holes.npy` also masked steps in the middle
and a row masked entirely) with `<case>_expected.npz`: `output` = `model.predict`, `h_n`/`c_n` from the
same layers called with `return_state=True` and the model's mask. For `embedding_mask_zero_lstm`,
`input.npy` is the Embedding's output for `input_tokens.npy` and `input_lengths.npy` the
number of nonzero tokens (the mask `rnnkit run --lengths` takes). `conv1d_lstm` must be refused.
`two_modules_by_input_size` has no mask: `run` without `--module` picks the module whose input_size
is the input's feature size (`input.npy` 4 → the GRU, `decoder.npy` 6 → the Bidirectional LSTM).

| folder | model | mask | cases |
|---|---|---|---|
{rows}
{README_END}
"""
    path = os.path.join(root, "keras", "README.md")
    text = open(path).read() if os.path.exists(path) else "# Keras fixtures\n"
    if README_BEGIN in text:
        text = text[:text.index(README_BEGIN)] + text[text.index(README_END) + len(README_END) + 1:]
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n\n" + section)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..", "Fixtures")))
    args = parser.parse_args()
    made = make(args.root)
    write_readme(args.root, made)
    print(f"keras_masks: {len(made)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
