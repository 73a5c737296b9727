"""Unit tests for keras_call_guide.tracer: exact records, and the model left untouched."""

import dataclasses
import doctest

import keras
import numpy as np
import pytest

import keras_call_guide.tracer as tracer_module
from keras_call_guide import (
    NO_TRAINING_PARAMETER,
    CallRecord,
    DropoutClassifier,
    MaskInfo,
    TwoInputClassifier,
    trace_calls,
    trace_train_step,
)

BACKEND = keras.backend.backend()


def ones(*shape):
    return np.ones(shape, dtype="float32")


def summary(trace):
    """(path, training, symbolic) per record: what most tests pin."""
    return [(r.path, r.training, r.symbolic) for r in trace.records]


class Block(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(4, name="dense")
        self.dropout = keras.layers.Dropout(0.5, name="dropout")

    def call(self, inputs, training=None):
        return self.dropout(self.dense(inputs), training=training)


class Outer(keras.Model):
    """A shared Dense called before and after a nested block."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shared = keras.layers.Dense(4, name="shared")
        self.block = Block(name="block")

    def call(self, inputs, training=None):
        return self.shared(self.block(self.shared(inputs)))


class NoTrainingParameter(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embed = keras.layers.Embedding(10, 3, mask_zero=True, name="embed")
        self.pool = keras.layers.GlobalAveragePooling1D(name="pool")

    def call(self, inputs):
        return self.pool(self.embed(inputs))


class Fails(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2, name="dense")

    def call(self, inputs, training=None):
        self.dense(inputs)  # the failure comes after a sublayer ran
        raise RuntimeError("call failed on purpose")


def assert_untouched(model):
    """No layer keeps an instance attribute `call`; each `call` is its class's."""
    for layer in model._flatten_layers(include_self=True, recursive=True):
        assert "call" not in vars(layer), layer.name
        assert layer.call.__func__ is type(layer).call, layer.name


# --- subclassed, nested, shared --------------------------------------------


def test_nested_and_shared_records_in_start_order():
    model = Outer(name="outer")
    model(ones(2, 4))
    trace = trace_calls(model, ones(2, 4), training=True)
    assert summary(trace) == [
        ("outer", True, False),
        ("outer/shared", True, False),
        ("outer/block", True, False),
        ("outer/block/dense", True, False),
        ("outer/block/dropout", True, False),
        ("outer/shared", True, False),
    ]
    assert trace.records[0] == CallRecord(
        path="outer",
        layer="Outer",
        training=True,
        masks=(),
        attached_masks=(),
        input_shapes=((2, 4),),
        output_shape=(2, 4),
        symbolic=False,
        eager=True,
    )
    assert_untouched(model)


def test_plain_call_records_none_and_first_call_shows_build_pass():
    model = Outer(name="outer")
    trace = trace_calls(model, ones(2, 4))
    # The first call runs the model's symbolic build pass, and inside it the
    # still unbuilt block runs its own build pass before its symbolic call.
    assert summary(trace) == [
        ("outer", None, True),
        ("outer/shared", None, True),
        ("outer/block", None, True),
        ("outer/block/dense", None, True),
        ("outer/block/dropout", None, True),
        ("outer/block", None, True),
        ("outer/block/dense", None, True),
        ("outer/block/dropout", None, True),
        ("outer/shared", None, True),
        ("outer", None, False),
        ("outer/shared", None, False),
        ("outer/block", None, False),
        ("outer/block/dense", None, False),
        ("outer/block/dropout", None, False),
        ("outer/shared", None, False),
    ]
    assert [r.eager for r in trace.records] == [False] * 9 + [True] * 6
    assert summary(trace.filter(symbolic=False)) == summary(trace)[9:]
    assert [r.path for r in trace.filter(symbolic=False, path="outer/block")] == [
        "outer/block",
        "outer/block/dense",
        "outer/block/dropout",
    ]


def test_explicit_value_for_one_sublayer():
    class Mixed(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = keras.layers.Dropout(0.5, name="first")
            self.second = keras.layers.Dropout(0.5, name="second")

        def call(self, inputs, training=None):
            return self.second(self.first(inputs, training=False))

    model = Mixed(name="mixed")
    model(ones(2, 3))
    trace = trace_calls(model, ones(2, 3), training=True)
    # Keras 3 stores the explicit False in the shared call context, so the
    # sibling called after it, with no value of its own, inherits False.
    assert summary(trace) == [
        ("mixed", True, False),
        ("mixed/first", False, False),
        ("mixed/second", False, False),
    ]


def test_package_model_and_no_training_parameter():
    model = DropoutClassifier(hidden_units=4, num_classes=2, name="clf")
    model(ones(3, 5))
    trace = trace_calls(model, ones(3, 5))
    assert [(r.path, r.layer, r.training) for r in trace] == [
        ("clf", "DropoutClassifier", None),
        ("clf/hidden", "Dense", None),
        ("clf/dropout", "Dropout", None),
        ("clf/classifier", "Dense", None),
    ]
    assert len(trace) == 4

    masked = NoTrainingParameter(name="nt")
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    masked(tokens)
    records = trace_calls(masked, tokens).records
    assert [(r.path, r.training) for r in records] == [
        ("nt", NO_TRAINING_PARAMETER),
        ("nt/embed", NO_TRAINING_PARAMETER),
        ("nt/pool", NO_TRAINING_PARAMETER),
    ]
    assert repr(NO_TRAINING_PARAMETER) == "NO_TRAINING_PARAMETER"


# --- masks -----------------------------------------------------------------


def test_mask_from_embedding_reaches_the_next_layer():
    model = NoTrainingParameter(name="nt")
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    model(tokens)
    records = trace_calls(model, tokens).records
    assert [r.masks for r in records] == [
        (),
        (),
        (MaskInfo(argument="mask", shape=(2, 4), kept=3),),
    ]
    assert [r.attached_masks for r in records] == [
        (),
        (),
        (MaskInfo(argument="inputs", shape=(2, 4), kept=3),),
    ]
    assert records[2].input_shapes == ((2, 4, 3),)
    assert records[2].output_shape == (2, 3)


def test_masks_for_several_tensor_arguments():
    class Pair(keras.layers.Layer):
        def call(self, query, value, query_mask=None, value_mask=None):
            return query

    class Model(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embed = keras.layers.Embedding(10, 2, mask_zero=True, name="embed")
            self.pair = Pair(name="pair")

        def call(self, inputs):
            query, value = inputs
            return self.pair(self.embed(query), self.embed(value))

    model = Model(name="m")
    query = np.array([[1, 0, 0]])
    value = np.array([[1, 2, 3, 0]])
    model((query, value))
    pair = trace_calls(model, (query, value)).filter(path="m/pair").records
    assert pair[0].masks == (
        MaskInfo(argument="query_mask", shape=(1, 3), kept=1),
        MaskInfo(argument="value_mask", shape=(1, 4), kept=3),
    )
    assert pair[0].input_shapes == ((1, 3, 2), (1, 4, 2))


# --- Functional and Sequential ------------------------------------------------


def test_functional_model():
    inputs = keras.Input((5,), name="x")
    hidden = keras.layers.Dense(4, name="d1")(inputs)
    hidden = keras.layers.Dropout(0.5, name="drop")(hidden)
    outputs = keras.layers.Dense(2, name="d2")(hidden)
    model = keras.Model(inputs, outputs, name="func")
    trace = trace_calls(model, ones(3, 5), training=True)
    assert [(r.path, r.layer, r.training, r.input_shapes, r.output_shape) for r in trace] == [
        ("func", "Functional", True, ((3, 5),), (3, 2)),
        ("func/d1", "Dense", True, ((3, 5),), (3, 4)),
        ("func/drop", "Dropout", True, ((3, 4),), (3, 4)),
        ("func/d2", "Dense", True, ((3, 4),), (3, 2)),
    ]
    assert_untouched(model)


def test_sequential_inside_subclassed_model():
    class Wrapper(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.body = keras.Sequential(
                [keras.layers.Dense(4, name="dense"), keras.layers.BatchNormalization(name="bn")],
                name="body",
            )

        def call(self, inputs, training=None):
            return self.body(inputs)

    model = Wrapper(name="wrap")
    model(ones(3, 5))
    trace = trace_calls(model, ones(3, 5), training=True)
    assert summary(trace) == [
        ("wrap", True, False),
        ("wrap/body", True, False),
        ("wrap/body/dense", True, False),
        ("wrap/body/bn", True, False),
    ]
    assert trace.records[3].layer == "BatchNormalization"
    assert_untouched(model)


# --- the model is left as it was --------------------------------------------


def test_outputs_equal_untraced_call():
    keras.utils.set_random_seed(3)
    plain = DropoutClassifier(hidden_units=16, num_classes=3, rate=0.5)
    expected = keras.ops.convert_to_numpy(plain(ones(4, 5), training=True))
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    traced = DropoutClassifier(hidden_units=16, num_classes=3, rate=0.5)
    got = keras.ops.convert_to_numpy(trace_calls(traced, ones(4, 5), training=True).outputs)
    np.testing.assert_array_equal(got, expected)
    assert_untouched(traced)


def test_restored_after_the_call_raises():
    model = Fails(name="fails")
    with pytest.raises(RuntimeError, match="call failed on purpose"):
        trace_calls(model, ones(2, 3))
    assert_untouched(model)
    # The model still calls, and raises, exactly as before tracing.
    with pytest.raises(RuntimeError, match="call failed on purpose"):
        model(ones(2, 3))


def test_restores_an_instance_attribute_call():
    layer = keras.layers.Dense(2, name="dense")
    patched = layer.call
    object.__setattr__(layer, "call", patched)
    trace_calls(layer, ones(1, 3))
    assert vars(layer)["call"] is patched


def test_failed_record_is_kept_when_keras_swallows_the_error():
    class EagerOnly(keras.layers.Layer):
        """Reads a value in call, which a symbolic tensor does not have."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2, name="dense")

        def call(self, inputs):
            scale = float(keras.ops.convert_to_numpy(keras.ops.max(inputs)))
            return self.dense(inputs) * scale

    trace = trace_calls(EagerOnly(name="eo"), ones(2, 2))
    # Keras runs a symbolic build pass, ignores its failure, and builds on
    # the eager call instead. Each backend fails the symbolic read its own way;
    # under PyTorch, Keras tries the build pass again on real tensors (still
    # in its symbolic scope), which succeeds.
    failed = ("eo", True, "TracerArrayConversionError" if BACKEND == "jax" else "NotImplementedError", None)
    retried = [("eo", True, None, (2, 2)), ("eo/dense", True, None, (2, 2))] if BACKEND == "torch" else []
    assert [(r.path, r.symbolic, r.error, r.output_shape) for r in trace] == [
        failed,
        *retried,
        ("eo", False, None, (2, 2)),
        ("eo/dense", False, None, (2, 2)),
    ]


# --- bad input ----------------------------------------------------------------


def test_rejects_non_keras_objects():
    with pytest.raises(TypeError, match=r"expects a Keras 3 keras.Model or keras.Layer; got int \(3\)"):
        trace_calls(3, ones(1, 2))
    with pytest.raises(TypeError, match="got function"):
        trace_calls(lambda x: x, ones(1, 2))


def test_rejects_legacy_tf_keras_model():
    tf_keras = pytest.importorskip("tf_keras")
    legacy = tf_keras.Sequential([tf_keras.layers.Dense(1)])
    with pytest.raises(TypeError, match=r"legacy tf.keras \(Keras 2\)"):
        trace_calls(legacy, ones(1, 2))


def test_rejects_arguments_call_does_not_accept():
    model = Outer(name="outer")
    with pytest.raises(TypeError) as missing:
        trace_calls(model)
    assert str(missing.value) == (
        "trace_calls: Outer.call(inputs, training=None) does not accept these "
        "arguments (no arguments): missing a required argument: 'inputs'."
    )
    with pytest.raises(TypeError) as unexpected:
        trace_calls(model, ones(2, 4), foo=1)
    assert str(unexpected.value) == (
        "trace_calls: Outer.call(inputs, training=None) does not accept these "
        "arguments (tensor of shape (2, 4), foo=1): got an unexpected keyword "
        "argument 'foo'."
    )
    with pytest.raises(TypeError) as positional:
        trace_calls(model, ones(2, 4), ones(2, 4))
    assert str(positional.value) == (
        "trace_calls: Outer.call(inputs, training=None) got 'training' as a "
        "positional argument (tensor of shape (2, 4), tensor of shape (2, 4)); "
        "pass it by keyword, for example training=True."
    )
    assert_untouched(model)


def test_training_keyword_accepted_without_training_parameter():
    model = NoTrainingParameter(name="nt")
    trace = trace_calls(model, np.array([[1, 0]]), training=True)
    assert trace.filter(symbolic=False).records[0].training is NO_TRAINING_PARAMETER


def test_errors_keras_raises_pass_through_unchanged():
    model = TwoInputClassifier(hidden_units=4, num_classes=2)
    with pytest.raises(ValueError, match="expects a pair"):
        trace_calls(model, ones(2, 4))
    assert_untouched(model)


# --- training step --------------------------------------------------------------


def compiled_dropout_model():
    model = DropoutClassifier(hidden_units=4, num_classes=2, name="clf")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def test_train_step_records_the_traced_step():
    model = compiled_dropout_model()
    model(ones(3, 5))
    trace = trace_train_step(model, ones(3, 5), np.array([0, 1, 0]))
    paths = ["clf", "clf/hidden", "clf/dropout", "clf/classifier"]
    # JAX and PyTorch fit first build the compiled metrics in a symbolic
    # pass, even for a built model; TensorFlow does not.
    build = [] if BACKEND == "tensorflow" else [(p, False, True, False) for p in paths]
    # The step is compiled by tf.function and jax.jit; PyTorch runs it
    # eagerly (jit_compile is False by default there). Under JAX, the Dense
    # layers of the step receive no training value.
    trainings = [True, None, True, None] if BACKEND == "jax" else [True] * 4
    eager = BACKEND == "torch"
    step = [(p, training, False, eager) for p, training in zip(paths, trainings, strict=True)]
    assert [(r.path, r.training, r.symbolic, r.eager) for r in trace] == build + step
    assert sorted(trace.outputs) == ["loss"]
    assert isinstance(trace.outputs["loss"], float)
    assert model.train_function is None
    assert_untouched(model)


def test_train_step_on_unbuilt_model_starts_with_the_build_pass():
    model = compiled_dropout_model()
    trace = trace_train_step(model, ones(3, 5), np.array([0, 1, 0]))
    paths = ["clf", "clf/hidden", "clf/dropout", "clf/classifier"]
    if BACKEND == "tensorflow":
        build = list(zip(paths, [True, None, True, None], strict=True))
        step = list(zip(paths, [True] * 4, strict=True))
        # Built inside the first trace, which creates variables, so TensorFlow
        # traces the step a second time.
        assert [(r.path, r.training) for r in trace] == build + step + step
        assert [r.symbolic for r in trace] == [True] * 4 + [False] * 8
        assert not any(r.eager for r in trace)
        return
    # JAX and PyTorch build the model in a symbolic pass before the step,
    # then build the compiled metrics in a second one.
    build = list(zip(paths, [False, None, False, None], strict=True))
    metrics = list(zip(paths, [False] * 4, strict=True))
    step = list(zip(paths, [True, None, True, None] if BACKEND == "jax" else [True] * 4, strict=True))
    assert [(r.path, r.training) for r in trace] == build + metrics + step
    assert [r.symbolic for r in trace] == [True] * 8 + [False] * 4
    assert [r.eager for r in trace] == [False] * 8 + [BACKEND == "torch"] * 4


def test_train_step_traces_again_and_keeps_existing_train_function():
    model = compiled_dropout_model()
    model.fit(ones(3, 5), np.array([0, 1, 0]), epochs=1, verbose=0)
    existing = model.train_function
    trace = trace_train_step(model, ones(3, 5), np.array([0, 1, 0]))
    assert len(trace) == 4
    assert model.train_function is existing


def test_train_step_with_call_without_training_parameter():
    class NoTraining(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(3, name="dense")
            self.drop = keras.layers.Dropout(0.5, name="drop")
            self.head = keras.layers.Dense(1, name="head")

        def call(self, inputs):
            return self.head(self.drop(self.dense(inputs)))

    model = NoTraining(name="nt")
    model.compile(optimizer="sgd", loss="mse")
    model(ones(4, 3))
    trace = trace_train_step(model, ones(4, 3), np.zeros((4, 1), dtype="float32"))
    # fit cannot pass training=True, so Dropout falls back to its default
    # (False), which then becomes the context value for the layer after it,
    # except under JAX, where the head receives no value.
    step = [
        ("nt", NO_TRAINING_PARAMETER),
        ("nt/dense", None),
        ("nt/drop", False),
        ("nt/head", None if BACKEND == "jax" else False),
    ]
    # JAX and PyTorch fit build the compiled metrics in a symbolic pass first.
    build = [(p, NO_TRAINING_PARAMETER if p == "nt" else False) for p, _ in step]
    assert [(r.path, r.training) for r in trace] == ([] if BACKEND == "tensorflow" else build) + step


def test_train_step_updates_weights_like_fit():
    x, y = ones(3, 5), np.array([0, 1, 0])
    keras.utils.set_random_seed(5)
    plain = compiled_dropout_model()
    plain.fit(x, y, batch_size=3, epochs=1, verbose=0, shuffle=False)
    keras.backend.clear_session()
    keras.utils.set_random_seed(5)
    traced = compiled_dropout_model()
    trace_train_step(traced, x, y)
    for expected, got in zip(plain.get_weights(), traced.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_train_step_rejects_bad_input():
    with pytest.raises(TypeError, match="expects a keras.Model .* got a Dense layer"):
        trace_train_step(keras.layers.Dense(2), ones(1, 2), ones(1, 2))
    with pytest.raises(TypeError, match="got str"):
        trace_train_step("model", ones(1, 2))
    with pytest.raises(ValueError, match="needs a compiled model; DropoutClassifier is not compiled"):
        trace_train_step(DropoutClassifier(), ones(1, 2), ones(1, 2))
    model = compiled_dropout_model()
    with pytest.raises(TypeError, match="with a batch dimension first; got int"):
        trace_train_step(model, 3, 4)
    with pytest.raises(ValueError, match="needs at least one sample"):
        trace_train_step(model, ones(0, 5), np.zeros((0,)))


def test_train_step_restores_after_fit_raises():
    model = Fails(name="fails")
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="call failed on purpose"):
        trace_train_step(model, ones(2, 3), ones(2, 2))
    assert model.train_function is None
    assert_untouched(model)


# --- the table and the docstrings ----------------------------------------------


def test_table():
    model = NoTrainingParameter(name="nt")
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    model(tokens)
    assert str(trace_calls(model, tokens)) == "\n".join(
        [
            "path      layer                   training  mask           inputs     output     pass",
            "--------  ----------------------  --------  -------------  ---------  ---------  -----",
            "nt        NoTrainingParameter     -         -              (2, 4)     (2, 3)     eager",
            "nt/embed  Embedding               -         -              (2, 4)     (2, 4, 3)  eager",
            "nt/pool   GlobalAveragePooling1D  -         (2, 4) kept 3  (2, 4, 3)  (2, 3)     eager",
        ]
    )


def test_records_are_frozen_plain_data():
    record = CallRecord("a", "Dense", None, (), (), ((1, 2),), (1, 3), False, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.training = True
    assert dataclasses.asdict(record)["input_shapes"] == ((1, 2),)


@pytest.mark.skipif(
    BACKEND != "tensorflow",
    reason="trace_train_step's example shows TensorFlow's compiled step, as the API page does; "
    "the JAX and PyTorch steps are tested above",
)
def test_docstring_examples():
    results = doctest.testmod(tracer_module)
    assert results.attempted > 0
    assert results.failed == 0


# --- Keras internals: one module, loud when Keras changes ----------------------------

from keras_call_guide import _keras_internals  # noqa: E402


def test_internals_read_what_keras_has():
    model = NoTrainingParameter(name="nt")
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    embedded = model.embed(tokens)
    layers = _keras_internals.flatten_layers(model)
    assert [layer.name for layer in layers] == ["nt", "embed", "pool"]
    assert _keras_internals.call_context_arguments(model) == {"training"}
    assert keras.ops.convert_to_numpy(_keras_internals.keras_mask(embedded)).sum() == 3
    assert _keras_internals.keras_mask(ones(2, 4)) is None
    assert _keras_internals.in_symbolic_scope() is False
    with keras.SymbolicScope():
        assert _keras_internals.in_symbolic_scope() is True
    assert _keras_internals.is_compiled(model) is False
    model.compile(optimizer="sgd", loss="mse")
    assert _keras_internals.is_compiled(model) is True
    model.train_function = "compiled step"
    with _keras_internals.train_function_set_aside(model):
        assert model.train_function is None
    assert model.train_function == "compiled step"


def test_run_eagerly_afresh_runs_eagerly_then_drops_the_step_functions():
    model = DropoutClassifier(name="clf")
    model.compile(optimizer="sgd", loss="mse")
    model.train_function = model.predict_function = "compiled step"
    with pytest.raises(RuntimeError, match="inside"):
        with _keras_internals.run_eagerly_afresh(model):
            assert model.run_eagerly is True
            assert (model.train_function, model.predict_function) == (None, None)
            model.predict_function = "eager step"
            raise RuntimeError("inside")
    # Put back and dropped again, also after the error: the next run builds them as run_eagerly says.
    assert model.run_eagerly is False
    assert (model.train_function, model.predict_function) == (None, None)


def missing_message(what, where):
    return (
        f"keras_call_guide (the tracer and the checkup) reads `{what}` from {where}, "
        "which is private Keras API, "
        f"and Keras {keras.__version__} does not have it. This version of keras_call_guide "
        "does not support this Keras version."
    )


@pytest.mark.parametrize(
    "cls, attribute, read",
    [
        (keras.layers.Layer, "_flatten_layers", _keras_internals.flatten_layers),
        (None, "_call_context_args", _keras_internals.call_context_arguments),
        (keras.Model, "compiled", _keras_internals.is_compiled),
        (
            keras.Model,
            "train_function",
            lambda model: _keras_internals.train_function_set_aside(model).__enter__(),
        ),
        (
            keras.Model,
            "predict_function",
            lambda model: _keras_internals.run_eagerly_afresh(model).__enter__(),
        ),
    ],
    ids=["_flatten_layers", "_call_context_args", "compiled", "train_function", "predict_function"],
)
def test_internals_name_a_missing_attribute_and_the_keras_version(monkeypatch, cls, attribute, read):
    model = DropoutClassifier(name="clf")
    model.compile(optimizer="sgd", loss="mse")
    if cls is None:  # set per instance, in Layer.__init__
        object.__delattr__(model, attribute)
    else:
        if attribute in vars(model):
            object.__delattr__(model, attribute)
        for owner in type(model).__mro__:
            if attribute in vars(owner):
                monkeypatch.delattr(owner, attribute)
    with pytest.raises(_keras_internals.KerasInternalsError) as error:
        read(model)
    assert str(error.value) == missing_message(attribute, "DropoutClassifier objects")


@pytest.mark.parametrize(
    "module, name, read",
    [
        ("keras.src.backend", "get_keras_mask", lambda: _keras_internals.keras_mask(ones(1, 2))),
        ("keras.src.backend.common.symbolic_scope", "in_symbolic_scope", _keras_internals.in_symbolic_scope),
    ],
    ids=["get_keras_mask", "in_symbolic_scope"],
)
def test_internals_name_a_missing_function_and_the_keras_version(monkeypatch, module, name, read):
    import importlib

    monkeypatch.delattr(importlib.import_module(module), name)
    with pytest.raises(_keras_internals.KerasInternalsError) as error:
        read()
    assert str(error.value) == missing_message(name, f"`{module}`")


def test_a_missing_internal_stops_the_tracer_and_leaves_the_model_untouched(monkeypatch):
    model = DropoutClassifier(hidden_units=4, num_classes=2, name="clf")
    model(ones(3, 5))
    monkeypatch.delattr("keras.src.backend.common.symbolic_scope.in_symbolic_scope")
    with pytest.raises(_keras_internals.KerasInternalsError, match=f"Keras {keras.__version__} "):
        trace_calls(model, ones(3, 5))
    assert_untouched(model)


def test_only_the_internals_module_reads_private_keras():
    """No other module of the package reaches into keras.src or a private attribute."""
    import ast
    import pathlib

    package = pathlib.Path(tracer_module.__file__).parent
    offenders = []
    modules = sorted(package.rglob("*.py"))
    assert package / "checkup" / "checks.py" in modules  # subpackages too
    for path in modules:
        if path.name == "_keras_internals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # The package's own private state (`self._x`) is not Keras's.
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not (node.attr.startswith("__") and node.attr.endswith("__"))
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                offenders.append(f"{path.relative_to(package)}:{node.lineno} .{node.attr}")
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [
                f"{path.relative_to(package)}:{node.lineno} import {n}"
                for n in names
                if n.startswith("keras.src")
            ]
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value.startswith("keras.src.") and node.value != "keras.src.legacy")
            ):
                offenders.append(f"{path.relative_to(package)}:{node.lineno} {node.value!r}")
    assert offenders == []


# --- the marker and the restoring, as the public API promises -----------------------


def test_no_training_parameter_is_one_marker_that_prints_as_its_name():
    import copy
    import pickle

    assert str(NO_TRAINING_PARAMETER) == repr(NO_TRAINING_PARAMETER) == "NO_TRAINING_PARAMETER"
    assert copy.deepcopy(NO_TRAINING_PARAMETER) is NO_TRAINING_PARAMETER
    assert pickle.loads(pickle.dumps(NO_TRAINING_PARAMETER)) is NO_TRAINING_PARAMETER
    assert NO_TRAINING_PARAMETER not in (None, True, False, "NO_TRAINING_PARAMETER")
    record = CallRecord("a", "Dense", NO_TRAINING_PARAMETER, (), (), (), None, False, True)
    assert copy.deepcopy(record).training is NO_TRAINING_PARAMETER


def test_wrapping_that_fails_halfway_puts_back_the_layers_already_wrapped(monkeypatch):
    from keras_call_guide import _wrapping

    model = Outer(name="outer")
    model(ones(2, 4))
    original_wrap = _wrapping.Recorder._wrap
    wrapped = []

    def wrap_two_then_fail(self, layer, original):
        if len(wrapped) == 2:
            raise RuntimeError("cannot wrap this one")
        wrapped.append(layer.name)
        return original_wrap(self, layer, original)

    monkeypatch.setattr(_wrapping.Recorder, "_wrap", wrap_two_then_fail)
    with pytest.raises(RuntimeError, match="cannot wrap this one"):
        trace_calls(model, ones(2, 4))
    assert wrapped == ["outer", "shared"]
    assert_untouched(model)


# --- eager, compiled or symbolic, on each backend --------------------------------


def masked_model():
    tokens = keras.Input((4,), dtype="int32")
    embedded = keras.layers.Embedding(10, 3, mask_zero=True, name="embed")(tokens)
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(embedded)
    model = keras.Model(tokens, keras.layers.Dense(1, name="head")(pooled), name="masked")
    model.compile(optimizer="sgd", loss="mse")
    return model


TOKENS = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], dtype="int32")


def compiled(function):
    """`function` as the backend's compiler runs it: tf.function, jax.jit or torch.compile."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    if BACKEND == "jax":
        import jax

        return jax.jit(function)
    import torch

    # backend="eager" traces with TorchDynamo like any torch.compile, without
    # paying for code generation.
    return torch.compile(function, backend="eager")


def test_a_call_inside_the_backends_compiler_is_not_eager_and_has_no_values():
    model = masked_model()
    model(TOKENS)
    traces = []

    def step(tokens):
        trace = trace_calls(model, tokens)
        traces.append(trace)
        return trace.outputs

    compiled(step)(keras.ops.convert_to_tensor(TOKENS))
    (trace,) = traces
    assert [(r.path, r.symbolic, r.eager) for r in trace] == [
        ("masked", False, False),
        ("masked/embed", False, False),
        ("masked/pool", False, False),
        ("masked/head", False, False),
    ]
    # The mask reached the pooling layer, but a traced mask has no values to count.
    assert trace.records[2].masks == (MaskInfo(argument="mask", shape=(2, 4), kept=None),)


def test_fit_compiles_its_step_except_under_pytorch():
    trace = trace_train_step(masked_model(), TOKENS, np.zeros((2, 1), dtype="float32"))
    step = trace.filter(symbolic=False).records
    assert len(step) == 4
    # PyTorch's jit_compile is False by default, so its fit runs the step eagerly.
    assert [r.eager for r in step] == [BACKEND == "torch"] * 4


def test_run_eagerly_fit_counts_the_mask_on_every_backend():
    model = masked_model()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    trace = trace_train_step(model, TOKENS, np.zeros((2, 1), dtype="float32"))
    step = trace.filter(symbolic=False).records
    assert all(r.eager for r in step)
    # Under JAX the step still runs inside jax.grad, whose tracers carry their values.
    assert step[2].masks == (MaskInfo(argument="mask", shape=(2, 4), kept=3),)
