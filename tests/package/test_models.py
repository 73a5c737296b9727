"""Unit tests for the three teaching models in keras_call_guide.models."""

import keras
import numpy as np
import pytest

from keras_call_guide import DropoutClassifier, TwoInputClassifier, TwoLayerClassifier

FEATURES = 4
BATCH = 6


def features(batch=BATCH, value=None, seed=0):
    if value is not None:
        return np.full((batch, FEATURES), value, dtype="float32")
    return np.random.default_rng(seed).normal(size=(batch, FEATURES)).astype("float32")


LABELS = np.array([0, 1, 2, 0, 1, 2], dtype="int32")


def single_input_models():
    return [
        TwoLayerClassifier(hidden_units=8, num_classes=3),
        DropoutClassifier(hidden_units=8, num_classes=3, rate=0.5),
    ]


def model_and_inputs():
    """Each model with an input it accepts."""
    return [
        (TwoLayerClassifier(hidden_units=8, num_classes=3), features()),
        (DropoutClassifier(hidden_units=8, num_classes=3, rate=0.5), features()),
        (TwoInputClassifier(hidden_units=8, num_classes=3), (features(seed=1), features(seed=2))),
    ]


@pytest.mark.parametrize("index", range(3))
def test_output_shape_and_probabilities(index):
    model, x = model_and_inputs()[index]
    probabilities = keras.ops.convert_to_numpy(model(x))
    assert probabilities.shape == (BATCH, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), np.ones(BATCH), rtol=1e-5)


def test_two_input_model_accepts_pair_list_and_dict_identically():
    model = TwoInputClassifier(hidden_units=8, num_classes=3)
    left, right = features(seed=1), features(seed=2)
    from_tuple = keras.ops.convert_to_numpy(model((left, right)))
    np.testing.assert_array_equal(from_tuple, keras.ops.convert_to_numpy(model([left, right])))
    np.testing.assert_array_equal(
        from_tuple, keras.ops.convert_to_numpy(model({"right": right, "left": left}))
    )


def test_two_input_model_shares_one_encoder():
    model = TwoInputClassifier(hidden_units=8, num_classes=3)
    model((features(seed=1), features(seed=2)))
    # encoder kernel + bias, classifier kernel + bias: one encoder, not two.
    assert len(model.trainable_weights) == 4
    assert model.encoder.kernel.shape == (FEATURES, 8)


def count_zeros_after_dropout(model, x, training):
    hidden = model.hidden(x)
    dropped = model.dropout(hidden, training=training)
    return int(np.sum(keras.ops.convert_to_numpy(dropped) == 0))


def test_dropout_is_active_only_in_training():
    model = DropoutClassifier(hidden_units=64, num_classes=3, rate=0.5)
    # Positive inputs and a ones kernel make every hidden unit positive, so
    # every zero after Dropout was made by Dropout.
    model.hidden.build((None, FEATURES))
    model.hidden.kernel.assign(np.ones((FEATURES, 64), dtype="float32"))
    x = features(value=1.0)
    assert count_zeros_after_dropout(model, x, training=False) == 0
    zeros = count_zeros_after_dropout(model, x, training=True)
    total = BATCH * 64
    # With rate 0.5 over 384 units, fewer than 30% or more than 70% dropped
    # has a probability below 1e-14.
    assert 0.3 * total < zeros < 0.7 * total


def test_dropout_model_inference_is_deterministic_and_training_is_not():
    model = DropoutClassifier(hidden_units=64, num_classes=3, rate=0.5)
    x = features(value=1.0)
    run = lambda **kwargs: keras.ops.convert_to_numpy(model(x, **kwargs))  # noqa: E731
    np.testing.assert_array_equal(run(), run())
    np.testing.assert_array_equal(run(), run(training=False))
    assert not np.array_equal(run(training=True), run(training=True))


@pytest.mark.parametrize("index", range(3))
def test_fit_evaluate_predict(index):
    model, x = model_and_inputs()[index]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, LABELS, epochs=2, batch_size=3, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(x, LABELS, verbose=0))
    assert model.predict(x, verbose=0).shape == (BATCH, 3)


def test_two_input_model_fits_on_dict_inputs():
    model = TwoInputClassifier(hidden_units=8, num_classes=3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = {"left": features(seed=1), "right": features(seed=2)}
    model.fit(x, LABELS, epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (BATCH, 3)


@pytest.mark.parametrize("index", range(3))
def test_keras_file_round_trip(index, tmp_path):
    model, x = model_and_inputs()[index]
    expected = keras.ops.convert_to_numpy(model(x))
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored(x)), expected)


def test_get_config_holds_every_constructor_argument():
    model = DropoutClassifier(hidden_units=5, num_classes=2, rate=0.25, name="clf")
    config = model.get_config()
    assert {k: config[k] for k in ("hidden_units", "num_classes", "rate", "name")} == {
        "hidden_units": 5,
        "num_classes": 2,
        "rate": 0.25,
        "name": "clf",
    }
    clone = DropoutClassifier.from_config(config)
    assert (clone.hidden_units, clone.num_classes, clone.rate, clone.name) == (5, 2, 0.25, "clf")


@pytest.mark.parametrize("cls", [TwoLayerClassifier, DropoutClassifier, TwoInputClassifier])
def test_registered_for_serialization(cls):
    assert keras.saving.get_registered_name(cls) == f"keras_call_guide>{cls.__name__}"
    assert keras.saving.get_registered_object(f"keras_call_guide>{cls.__name__}") is cls


EXPECTED = 'a pair (left, right) or a dict with exactly the keys "left" and "right"'


@pytest.mark.parametrize(
    "bad_inputs, described",
    [
        (features(), "got a single tensor of shape (6, 4)."),
        ((features(), features(), features()), "got a tuple of 3 items."),
        ([features()], "got a list of 1 item."),
        ({"left": features(), "wrong": features()}, "got a dict with keys ['left', 'wrong']."),
        ({"left": features()}, "got a dict with keys ['left']."),
    ],
)
def test_two_input_model_rejects_wrong_structure(bad_inputs, described):
    model = TwoInputClassifier(hidden_units=8, num_classes=3)
    with pytest.raises(ValueError) as info:
        model(bad_inputs)
    assert f"TwoInputClassifier expects {EXPECTED}; {described}" in str(info.value)


def test_two_input_model_in_fit_rejects_a_single_array_with_the_same_message():
    model = TwoInputClassifier(hidden_units=8, num_classes=3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="got a single tensor of shape"):
        model.fit(features(), LABELS, verbose=0)


@pytest.mark.parametrize(
    "cls, kwargs, error, message",
    [
        (
            TwoLayerClassifier,
            {"hidden_units": 0},
            ValueError,
            "`hidden_units` must be a positive int, got 0.",
        ),
        (
            TwoLayerClassifier,
            {"num_classes": 2.5},
            TypeError,
            "`num_classes` must be a positive int, got 2.5 of type float.",
        ),
        (
            TwoLayerClassifier,
            {"hidden_units": True},
            TypeError,
            "`hidden_units` must be a positive int, got True of type bool.",
        ),
        (DropoutClassifier, {"rate": 1.0}, ValueError, "`rate` must be a float in [0, 1), got 1.0."),
        (DropoutClassifier, {"rate": -0.1}, ValueError, "`rate` must be a float in [0, 1), got -0.1."),
        (
            DropoutClassifier,
            {"rate": "0.5"},
            TypeError,
            "`rate` must be a float in [0, 1), got '0.5' of type str.",
        ),
        (
            TwoInputClassifier,
            {"num_classes": -3},
            ValueError,
            "`num_classes` must be a positive int, got -3.",
        ),
    ],
)
def test_constructor_rejects_bad_arguments(cls, kwargs, error, message):
    with pytest.raises(error) as info:
        cls(**kwargs)
    assert str(info.value) == message
