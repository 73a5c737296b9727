"""Tests for keras_call_guide.checkup: each trap found, each fix clean, the model untouched.

The broken models are small versions of the ones the guide's troubleshooting
pages (and the training-argument, masks, graph-mode, saving and
mixed-precision pages) show; each has a fixed twin that must give no finding
at all, with every check running.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import keras
import markdown
import numpy as np
import pytest

import keras_call_guide
from docs_tooling.paths import ROOT
from keras_call_guide import (
    Check,
    CheckupReport,
    DropoutClassifier,
    Finding,
    ModelCheckupError,
    Severity,
    TwoInputClassifier,
    TwoLayerClassifier,
    check_model,
    checkup,
)

# check_model refuses other backends (tests/package/test_backends.py), as
# check-your-model.md says.
pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the checkup is TensorFlow-only, and documented so"
)

X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(4, 3)
register = keras.saving.register_keras_serializable(package="checkup_tests")


def found(report: CheckupReport) -> list[str]:
    return [finding.check.value for finding in report.findings]


def assert_clean(report: CheckupReport) -> None:
    assert report.findings == (), str(report)
    assert report.skipped == (), str(report)


def only(report: CheckupReport, check: Check) -> Finding:
    assert found(report) == [check.value], str(report)
    return report.findings[0]


@pytest.fixture(scope="module")
def shared() -> dict[str, object]:
    """Checkups and models several tests assert on, each made once, by the first test that asks.

    A checkup takes most of a second of CPU; the report is frozen data and
    the tests only read it, so sharing it costs no test its independence.
    """
    return {}


def once(shared: dict[str, object], key: str, make):
    """`make()` the first time `key` is asked for (inside a test, after the fresh Keras state)."""
    if key not in shared:
        shared[key] = make()
    return shared[key]


def checkup_once(shared, key, make_model, sample=X, **options):
    """(model, check_model(model, sample, **options)), run once per module."""

    def run():
        model = make_model()
        return model, check_model(model, sample, **options)

    return once(shared, key, run)


# --- __call__ overridden ------------------------------------------------------------


@register
class OverridesDunderCall(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dropout = keras.layers.Dropout(0.5)
        self.head = keras.layers.Dense(1)

    def __call__(self, inputs, training=None):
        return self.head(self.dropout(inputs))


@register
class OverridesCall(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dropout = keras.layers.Dropout(0.5)
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        return self.head(self.dropout(inputs))


def test_dunder_call_is_found():
    report = check_model(OverridesDunderCall(), X)
    finding = report.findings[0]
    assert finding.check is Check.DUNDER_CALL_OVERRIDDEN
    assert finding.severity is Severity.ERROR
    assert finding.observed == (
        "model(x) ran OverridesDunderCall.__call__ instead of keras.Layer.__call__; "
        "afterwards the model reports built=False"
    )
    assert finding.url == "guide/call-vs-dunder-call/#fit-runs-with-training-lost"


def test_call_instead_of_dunder_call_is_clean():
    assert_clean(check_model(OverridesCall(), X))


# --- training ---------------------------------------------------------------------------


@register
class NoTrainingParameter(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4, name="hidden")
        self.dropout = keras.layers.Dropout(0.5, name="dropout")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, inputs):
        return self.head(self.dropout(self.hidden(inputs)))


@register
class WithTrainingParameter(NoTrainingParameter):
    def call(self, inputs, training=None):
        return self.head(self.dropout(self.hidden(inputs)))


def test_call_without_training_is_found_with_what_dropout_received(shared):
    _, report = checkup_once(shared, "NoTrainingParameter", NoTrainingParameter)
    finding = only(report, Check.CALL_WITHOUT_TRAINING)
    # Dense layers take `training` too but ignore it, so they are not named.
    assert finding.observed == (
        "NoTrainingParameter.call has no training parameter, and in the fit step "
        "Dropout 'dropout' received training=False"
    )


def test_call_with_training_is_clean(shared):
    _, report = checkup_once(shared, "WithTrainingParameter", WithTrainingParameter)
    assert_clean(report)


@register
class NormFrozenByArgument(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = keras.layers.BatchNormalization(name="norm")
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        return self.head(self.norm(inputs, training=False))  # the bug


@register
class NormForwarded(NormFrozenByArgument):
    def call(self, inputs, training=None):
        return self.head(self.norm(inputs, training=training))


def test_batch_normalization_kept_in_inference_mode_is_found():
    finding = only(check_model(NormFrozenByArgument(), X), Check.TRAINING_FALSE_IN_FIT)
    assert finding.severity is Severity.WARNING
    assert finding.observed == ("in the fit step, BatchNormalization 'norm' received training=False")


def test_forwarded_training_is_clean():
    assert_clean(check_model(NormForwarded(), X))


def test_a_frozen_batch_normalization_is_not_a_finding():
    # trainable=False is the documented way to freeze its statistics; fit
    # still passes training=True, and the copy keeps the flag.
    model = NormForwarded()
    model(X)
    model.norm.trainable = False
    assert_clean(check_model(model, X))


@register
class DropoutAlwaysOn(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dropout = keras.layers.Dropout(0.5, name="dropout")
        self.dense = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        return self.dense(self.dropout(inputs, training=True))  # the bug


@register
class DropoutInherits(DropoutAlwaysOn):
    def call(self, inputs, training=None):
        return self.dense(self.dropout(inputs))


@pytest.mark.parametrize("built", [False, True])
def test_dropout_on_in_predict_is_found(built):
    model = DropoutAlwaysOn()
    if built:
        model(X)  # outputs then change between calls: not mistaken for a config problem
    finding = only(check_model(model, X), Check.TRAINING_TRUE_IN_PREDICT)
    assert finding.observed == "in predict, Dropout 'dropout' received training=True"
    assert finding.url == "guide/troubleshooting/training-value/#predictions-change-between-calls"


def test_dropout_inheriting_training_is_clean():
    model = DropoutInherits()
    model(X)
    assert_clean(check_model(model, X))


# --- inputs -------------------------------------------------------------------------------


@register
class AddThenDense(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, a, b):
        return self.dense(a + b)


@register
class AddThenDenseFixed(AddThenDense):
    def call(self, inputs):
        a, b = inputs
        return self.dense(a + b)


@pytest.mark.parametrize("built", [False, True])
def test_two_positional_tensor_parameters_are_found(built):
    model = AddThenDense()
    if built:
        model(X, X)
    report = check_model(model, (X, X))
    finding = only(report, Check.POSITIONAL_TENSOR_PARAMETERS)
    assert finding.observed == (
        "AddThenDense.call takes 2 tensor parameters (a, b); model(x), as fit and predict "
        "call it with the sample as x, raised TypeError: missing a required argument: 'b'; "
        "model(a, b) works"
    )
    # Nothing else could run; each skipped check says why.
    assert {s.check for s in report.skipped} == set(Check) - {
        Check.POSITIONAL_TENSOR_PARAMETERS,
        Check.CALL_FAILS,
    }
    assert all(s.reason == "the direct call on the sample failed" for s in report.skipped)


def test_one_structured_input_is_clean():
    assert_clean(check_model(AddThenDenseFixed(), (X, X)))


@register
class NoCall(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)


def test_a_model_without_call_is_reported():
    finding = only(check_model(NoCall(), X), Check.CALL_FAILS)
    assert finding.observed.startswith("model(x) on the sample raised NotImplementedError: Model NoCall")
    assert finding.url == "guide/troubleshooting/defining/#does-not-have-a-call-method-implemented"


# --- graph mode -------------------------------------------------------------------------


@register
class SignGate(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        if keras.ops.sum(inputs) > 0:  # a Python `if` on a tensor
            return self.dense(inputs)
        return self.dense(-inputs)


@register
class SignGateFixed(SignGate):
    def call(self, inputs):
        positive = keras.ops.sum(inputs) > 0
        return keras.ops.cond(positive, lambda: self.dense(inputs), lambda: self.dense(-inputs))


@register
class NumpyInside(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(np.clip(np.asarray(inputs), 0.0, 1.0))


@register
class NumpyInsideFixed(NumpyInside):
    def call(self, inputs):
        return self.dense(keras.ops.clip(inputs, 0.0, 1.0))


def test_python_if_on_a_tensor_is_found():
    finding = only(check_model(SignGate(), X), Check.FAILS_WHEN_TRACED)
    assert finding.observed.startswith(
        "model(x) works eagerly, but model(keras.Input(...)) on inputs shaped like the sample "
        "raised OperatorNotAllowedInGraphError: "
    )
    assert finding.url == "guide/troubleshooting/graph-mode/#symbolic-tensor-as-a-python-bool"


def test_numpy_on_a_tensor_is_found():
    finding = only(check_model(NumpyInside(), X), Check.FAILS_WHEN_TRACED)
    assert "model(keras.Input(...))" in finding.observed
    assert finding.url == (
        "guide/troubleshooting/graph-mode/#cannot-convert-a-symbolic-tensor-to-a-numpy-array"
    )


@pytest.mark.parametrize("model_class", [SignGateFixed, NumpyInsideFixed])
def test_traceable_call_is_clean(model_class):
    assert_clean(check_model(model_class(), X))


@register
class GateOnKnownBatch(keras.Model):
    """Symbolic calls (batch size None) skip the `if`; predict's trace (batch 4) hits it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        if inputs.shape[0] is not None and keras.ops.sum(inputs) > 0:
            return self.dense(-inputs)
        return self.dense(inputs)


def test_a_failure_only_in_the_compiled_functions_is_confirmed_eagerly():
    finding = only(check_model(GateOnKnownBatch(), X), Check.FAILS_WHEN_TRACED)
    assert finding.observed.startswith(
        "model(x) works eagerly, but predict(x) raised OperatorNotAllowedInGraphError: "
    )
    assert finding.observed.endswith("; with run_eagerly=True it runs")


@register
class IntegerOutput(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)

    def call(self, inputs, training=None):
        return keras.ops.argmax(self.dense(inputs), axis=-1)


def test_a_fit_failure_that_is_not_about_tracing_is_reported_as_it_is():
    finding = only(check_model(IntegerOutput(), X), Check.CALL_FAILS)
    assert finding.observed == (
        "one fit step raised ValueError: No gradients provided for any variable., also with run_eagerly=True"
    )


@register
class ScaledByArgument(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs, scale=1.0):
        return self.dense(inputs) * scale


@register
class ScaledBySetting(keras.Model):
    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def test_retracing_on_python_numbers_is_found():
    finding = only(check_model(ScaledByArgument(), X), Check.RETRACING_PYTHON_ARGUMENTS)
    assert finding.observed == (
        "a tf.function calling model(x, scale=...) traced 2 times for 2 calls, scale=1.0 and scale=2.0"
    )


def test_a_setting_in_init_is_clean():
    model = ScaledBySetting(scale=3.0)
    model(X)
    assert_clean(check_model(model, X))


# --- saving -------------------------------------------------------------------------------


@register
class RequiredUnitsNoConfig(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)


@register
class RequiredUnitsWithConfig(RequiredUnitsNoConfig):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.units = units

    def get_config(self):
        return {**super().get_config(), "units": self.units}


# The automatic get_config of Keras 3.15 raises when it cannot record a constructor
# argument; that of Keras 3.10 (the oldest supported, `make test-oldest`) leaves the
# argument out, and from_config fails instead. The checkup reports each as what it is.
# 3.12 is where Operation's auto-config was rewritten (read in its source, not run).
if tuple(int(part) for part in keras.__version__.split(".")[:2]) >= (3, 12):
    NO_CONFIG_CHECK = Check.NON_SERIALIZABLE_ARGUMENTS
    NO_CONFIG_OBSERVED = (
        "RequiredUnitsNoConfig.get_config() raised NotImplementedError: Object "
        "RequiredUnitsNoConfig was created by passing"
    )
    NO_CONFIG_FAILED = "RequiredUnitsNoConfig.get_config() failed"
else:
    NO_CONFIG_CHECK = Check.CONFIG_LOSES_ARGUMENTS
    NO_CONFIG_OBSERVED = (
        "RequiredUnitsNoConfig.from_config(RequiredUnitsNoConfig.get_config()) raised TypeError: "
        "Unable to revive model from config."
    )
    NO_CONFIG_FAILED = "from_config(get_config()) failed"


def test_a_required_argument_without_get_config_is_found():
    report = check_model(RequiredUnitsNoConfig(2), X)
    finding = only(report, NO_CONFIG_CHECK)
    assert finding.observed.startswith(NO_CONFIG_OBSERVED)
    # Without a config there is no copy, so the checks that need one say so.
    assert len(report.skipped) == len(Check) - 1
    assert report.skipped[0].reason == f"needs a copy of the model, and {NO_CONFIG_FAILED}"


def test_a_required_argument_with_get_config_is_clean():
    assert_clean(check_model(RequiredUnitsWithConfig(2), X))


@register
class DefaultUnitsNoConfig(keras.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(units, name="dense")

    def call(self, inputs):
        return self.dense(inputs)


@register
class DefaultUnitsWithConfig(DefaultUnitsNoConfig):
    def __init__(self, units=2, **kwargs):
        super().__init__(units=units, **kwargs)
        self.units = units

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@pytest.mark.parametrize("built", [False, True])
def test_an_automatic_config_with_defaults_is_found(built):
    model = DefaultUnitsNoConfig(units=5)
    if built:
        model(X)
    finding = only(check_model(model, X), Check.CONFIG_LOSES_ARGUMENTS)
    assert finding.observed == (
        "the model rebuilt by DefaultUnitsNoConfig.from_config(DefaultUnitsNoConfig.get_config()) "
        "differs from the model: Dense 'dense' has units=5, the rebuilt one units=2"
    )


def test_an_explicit_config_with_defaults_is_clean():
    model = DefaultUnitsWithConfig(units=5)
    model(X)
    assert_clean(check_model(model, X))


@register
class DefaultUnitsNoTraining(DefaultUnitsNoConfig):
    def __init__(self, units=2, **kwargs):
        super().__init__(units=units, **kwargs)
        self.dropout = keras.layers.Dropout(0.5, name="dropout")

    def call(self, inputs):
        return self.dropout(self.dense(inputs))


def test_the_other_checks_run_on_a_rebuilt_model_that_differs():
    model = DefaultUnitsNoTraining(units=5)
    model(X)
    report = check_model(model, X)
    assert found(report) == ["call_without_training", "config_loses_arguments"], str(report)
    assert report.skipped == ()


@register
class FunctionArgument(keras.layers.Layer):
    def __init__(self, function, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def call(self, inputs):
        return self.function(inputs)


def test_a_function_argument_in_a_functional_model_is_found():
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(FunctionArgument(lambda t: t * 2)(inputs)))
    finding = only(check_model(model, X), Check.NON_SERIALIZABLE_ARGUMENTS)
    assert finding.observed.startswith(
        "Functional.get_config() raised NotImplementedError: Object FunctionArgument was created "
        "by passing non-serializable argument values in `__init__()`"
    )


@register
class ForgetsUnits(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        return super().get_config()  # forgets "units"


def test_a_get_config_that_forgets_a_required_argument_is_found():
    finding = only(check_model(ForgetsUnits(2), X), Check.CONFIG_LOSES_ARGUMENTS)
    assert finding.observed.startswith(
        "ForgetsUnits.from_config(ForgetsUnits.get_config()) raised TypeError: "
    )
    assert finding.url == "guide/troubleshooting/get-config/#could-not-be-deserialized-properly"


@register
class ForgetsScale(keras.Model):
    """Loses an argument that changes no weight shape, only the outputs."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs) * self.scale


def test_a_lost_argument_that_changes_only_the_outputs_is_found_on_a_built_model():
    model = ForgetsScale(scale=3.0)
    model(X)
    finding = only(check_model(model, X), Check.CONFIG_LOSES_ARGUMENTS)
    assert finding.observed.startswith(
        "with the same weights, the model rebuilt by ForgetsScale.from_config("
        "ForgetsScale.get_config()) gives other outputs on the sample: largest difference "
    )


class Unregistered(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)


def test_an_unregistered_class_is_found():
    finding = only(check_model(Unregistered(), X), Check.UNREGISTERED_CLASS)
    assert finding.observed == (
        "keras.saving.load_model without custom_objects raised TypeError: "
        "Could not locate class 'Unregistered'"
    )


@register
class Registered(Unregistered):
    pass


def test_a_registered_class_is_clean():
    assert_clean(check_model(Registered(), X))


# --- masks ----------------------------------------------------------------------------------


@register
class Double(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2


@register
class MaskAwareDouble(Double):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True


@register
class Encoder(keras.Model):
    def __init__(self, mask_aware=False, **kwargs):
        super().__init__(**kwargs)
        self.mask_aware = mask_aware
        self.embed = keras.layers.Embedding(10, 4, mask_zero=True)
        self.double = (MaskAwareDouble if mask_aware else Double)(name="double")

    def call(self, token_ids):
        return self.double(self.embed(token_ids))

    def get_config(self):
        return {**super().get_config(), "mask_aware": self.mask_aware}


TOKENS = np.array([[3, 5, 0], [1, 0, 0]], dtype="int32")


def test_a_dropped_mask_is_found():
    finding = only(check_model(Encoder(), TOKENS), Check.MASK_DROPPED)
    assert finding.observed == (
        "model(x) warned that Double 'double' received an input with a mask and dropped it"
    )


def test_a_mask_aware_layer_is_clean():
    assert_clean(check_model(Encoder(mask_aware=True), TOKENS))


# --- mixed precision ------------------------------------------------------------------


@pytest.fixture
def mixed_float16():
    keras.config.set_dtype_policy("mixed_float16")
    yield
    keras.config.set_dtype_policy("float32")


@register
class MixedHead(keras.Model):
    def __init__(self, head_dtype=None, **kwargs):
        super().__init__(**kwargs)
        self.head_dtype = head_dtype
        self.hidden = keras.layers.Dense(4, activation="relu", name="hidden")
        self.head = keras.layers.Dense(2, activation="softmax", dtype=head_dtype, name="head")

    def call(self, inputs):
        return self.head(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "head_dtype": self.head_dtype}


def test_a_float16_output_is_found(mixed_float16):
    model = MixedHead()
    keras.config.set_dtype_policy("float32")  # the policy the model was made under counts
    finding = only(check_model(model, X), Check.MIXED_PRECISION_OUTPUT)
    assert finding.observed == ("Dense 'hidden', Dense 'head' compute in float16, and the output is float16")
    assert keras.config.dtype_policy().name == "float32"


def test_a_float32_head_is_clean(mixed_float16):
    assert_clean(check_model(MixedHead(head_dtype="float32"), X))


def test_mixed_precision_outputs_are_not_checked_without_a_mixed_policy():
    assert_clean(check_model(MixedHead(), X))


# --- no false positives ------------------------------------------------------------------


def functional_model():
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    hidden = keras.layers.Dropout(0.5)(hidden)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))


def sequential_model():
    return keras.Sequential(
        [
            keras.Input(shape=(3,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    "make_model, sample",
    [
        (lambda: TwoLayerClassifier(hidden_units=4, num_classes=2), X),
        (lambda: DropoutClassifier(hidden_units=4, num_classes=2), X),
        (lambda: TwoInputClassifier(hidden_units=4, num_classes=2), (X, X + 1)),
        (functional_model, X),
        (sequential_model, X),
    ],
    ids=["TwoLayerClassifier", "DropoutClassifier", "TwoInputClassifier", "Functional", "Sequential"],
)
@pytest.mark.parametrize("built", [False, True])
def test_sound_models_give_no_findings(make_model, sample, built):
    model = make_model()
    if built:
        model(sample)
    assert_clean(check_model(model, sample))


def test_a_compiled_model_with_targets_uses_its_loss():
    model = DropoutClassifier(hidden_units=4, num_classes=2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert_clean(check_model(model, X, sample_targets=np.array([0, 1, 0, 1])))


# --- the model is left as it was --------------------------------------------------------


def state(model: keras.Model) -> dict:
    return {
        "weights": [np.array(w) for w in model.get_weights()],
        "optimizer": [np.array(keras.ops.convert_to_numpy(v)) for v in model.optimizer.variables],
        "iterations": int(model.optimizer.iterations),
        "trainable": [layer.trainable for layer in model._flatten_layers()],
        "compiled": model.compiled,
        "optimizer_object": id(model.optimizer),
        "loss": model.loss,
        "built": model.built,
        "policy": keras.config.dtype_policy().name,
        "train_function": model.train_function,
    }


def assert_same_state(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        if key in ("weights", "optimizer"):
            assert len(before[key]) == len(after[key]), key
            for a, b in zip(before[key], after[key], strict=True):
                np.testing.assert_array_equal(a, b, err_msg=key)
        else:
            assert before[key] == after[key], key


def trained_model() -> keras.Model:
    model = NormForwarded()
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.zeros((4, 1)), epochs=1, verbose=0)
    model.head.trainable = False
    return model


def test_the_model_is_left_as_it_was(shared):
    model = once(shared, "trained model", trained_model)
    before = state(model)
    check_model(model, X, sample_targets=np.ones((4, 1), dtype="float32"))
    assert_same_state(before, state(model))


def test_the_model_is_left_as_it_was_when_a_check_raises(monkeypatch, shared):
    # The same model as above is fine: that test checks the checkup left it as it was.
    model = once(shared, "trained model", trained_model)
    before = state(model)

    def broken_fit_step(self):
        raise RuntimeError("a check failed")

    monkeypatch.setattr(checkup.checks._Checkup, "_fit_step", broken_fit_step)
    with pytest.raises(RuntimeError, match="a check failed"):
        check_model(model, X)
    assert_same_state(before, state(model))


def test_the_global_policy_is_restored_when_a_check_raises(monkeypatch, mixed_float16):
    model = MixedHead()
    keras.config.set_dtype_policy("float32")

    def broken_predict(self):
        assert keras.config.dtype_policy().name == "mixed_float16"  # the copy's policy is in force
        raise RuntimeError("a check failed")

    monkeypatch.setattr(checkup.checks._Checkup, "_predict", broken_predict)
    with pytest.raises(RuntimeError, match="a check failed"):
        check_model(model, X)
    assert keras.config.dtype_policy().name == "float32"


def test_an_unbuilt_model_stays_unbuilt(shared):
    model, _ = checkup_once(shared, "WithTrainingParameter", WithTrainingParameter)
    assert not model.built
    assert model.weights == []


# --- the report -------------------------------------------------------------------------------


def test_the_report_reads_as_a_list():
    report = check_model(NoTrainingParameter(), X, checks=["call_without_training", Check.MASK_DROPPED])
    assert report.checks == (Check.CALL_WITHOUT_TRAINING, Check.MASK_DROPPED)
    assert str(report) == "\n".join(
        [
            "check_model(NoTrainingParameter): 1 finding, 2 of 2 checks ran",
            "- error: call_without_training",
            "    observed: NoTrainingParameter.call has no training parameter, and in the fit step "
            "Dropout 'dropout' received training=False",
            "    fix: Add `training=None` to the signature of `call`; Keras then passes it to every "
            "sublayer.",
            "    see: https://keras-call-guide.example.org/guide/training-argument/"
            "#a-call-without-a-training-parameter-inside-fit",
        ]
    )
    assert not report.ok


def test_a_clean_report_and_its_skipped_checks_read_as_a_list(shared):
    report = check_model(RequiredUnitsNoConfig(2), X, checks=[NO_CONFIG_CHECK.value, "mask_dropped"])
    assert str(report).splitlines()[0] == "check_model(RequiredUnitsNoConfig): 1 finding, 1 of 2 checks ran"
    assert str(report).splitlines()[-1] == (
        f"- skipped mask_dropped: needs a copy of the model, and {NO_CONFIG_FAILED}"
    )
    _, clean = checkup_once(
        shared,
        "WithTrainingParameter, one check, raise_on_findings",
        WithTrainingParameter,
        checks=["call_without_training"],
        raise_on_findings=True,
    )
    assert str(clean) == "check_model(WithTrainingParameter): no findings, 1 of 1 checks ran"
    assert clean.ok


def test_findings_are_frozen_plain_data(shared):
    _, report = checkup_once(shared, "NoTrainingParameter", NoTrainingParameter)
    (finding,) = report.findings
    assert isinstance(report.findings, tuple)
    assert dataclasses.asdict(finding)["observed"] == finding.observed
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.fix = "something else"
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.findings = ()
    assert finding.full_url == checkup.SITE_URL + finding.url


def test_raise_on_findings_raises_with_the_report():
    with pytest.raises(ModelCheckupError) as caught:
        check_model(NoTrainingParameter(), X, checks=["call_without_training"], raise_on_findings=True)
    assert isinstance(caught.value, AssertionError)
    assert str(caught.value) == str(caught.value.report)
    assert found(caught.value.report) == ["call_without_training"]


def test_raise_on_findings_returns_a_clean_report(shared):
    _, report = checkup_once(
        shared,
        "WithTrainingParameter, one check, raise_on_findings",
        WithTrainingParameter,
        checks=["call_without_training"],
        raise_on_findings=True,
    )
    assert report.ok


def test_every_check_has_a_severity():
    assert set(checkup.report.SEVERITY) == set(Check)


# --- the links ------------------------------------------------------------------------------------


def page_ids(page: pathlib.Path) -> set[str]:
    converter = markdown.Markdown(extensions=["toc", "attr_list", "pymdownx.superfences"])
    html = converter.convert(page.read_text(encoding="utf-8"))
    return set(re.findall(r'\bid="([^"]+)"', html))


@pytest.mark.parametrize("url", sorted(set(checkup.report.GUIDE_SECTIONS.values())))
def test_every_link_points_at_a_page_and_heading_of_the_guide(url):
    path, _, anchor = url.partition("#")
    page = ROOT / "docs" / (path.rstrip("/") + ".md")
    if not page.exists():
        page = ROOT / "docs" / path / "index.md"
    assert page.exists(), url
    if anchor:
        assert anchor in page_ids(page), url


TROUBLESHOOTING_LINK = (
    "Run [`check_model`](../check-your-model.md#what-it-runs) to find this in your own model."
)
TROUBLESHOOTING_ENTRIES = sorted(
    {url for url in checkup.report.GUIDE_SECTIONS.values() if "troubleshooting/" in url and "#" in url}
)


@pytest.mark.parametrize("url", TROUBLESHOOTING_ENTRIES)
def test_every_troubleshooting_entry_a_finding_links_to_points_back_at_the_checkup(url):
    path, _, anchor = url.partition("#")
    text = (ROOT / "docs" / (path.rstrip("/") + ".md")).read_text(encoding="utf-8")
    # The entry: from its heading to the next `## ` heading.
    entry = text.split(f"{{ #{anchor} }}", 1)[1].split("\n## ", 1)[0]
    assert TROUBLESHOOTING_LINK in entry, url


def test_the_site_url_is_the_one_mkdocs_builds():
    (site_url,) = re.findall(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert checkup.SITE_URL == site_url


# --- wrong arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, sample, options, error, message",
    [
        ("model", X, {}, TypeError, "check_model expects a Keras 3 keras.Model; got str."),
        (keras.layers.Dense(1), X, {}, TypeError, "got the layer Dense. Wrap it in a model"),
        (None, None, {}, ValueError, "sample_inputs is None"),
        (None, [], {}, ValueError, "sample_inputs is empty"),
        (None, np.ones((0, 3)), {}, ValueError, "sample_inputs has 0 samples"),
        (
            None,
            [np.ones((2, 3)), np.ones((3, 3))],
            {},
            ValueError,
            r"disagree on the number of samples: \[2, 3\]",
        ),
        (None, [[1.0, 2.0]], {}, TypeError, "must hold arrays or tensors .* got float"),
        (None, np.float32(1.0), {}, ValueError, "needs a batch dimension first; got a scalar"),
        (
            None,
            X,
            {"checks": ["call_without_trainig"]},
            ValueError,
            "unknown check 'call_without_trainig'; the checks are: call_fails, ",
        ),
        (None, X, {"checks": "mask_dropped"}, TypeError, r"got a single str .* checks=\['mask_dropped'\]"),
        (None, X, {"checks": []}, ValueError, "checks is empty"),
        (
            None,
            X,
            {"sample_targets": np.zeros((4, 1))},
            ValueError,
            "sample_targets need a compiled model, .* WithTrainingParameter is not compiled",
        ),
    ],
)
def test_wrong_arguments_are_named(model, sample, options, error, message):
    with pytest.raises(error, match=message):
        check_model(WithTrainingParameter() if model is None else model, sample, **options)


def test_legacy_tf_keras_models_are_named():
    tf_keras = pytest.importorskip("tf_keras", reason="legacy tf.keras is not installed")
    legacy = tf_keras.Sequential([tf_keras.layers.Dense(1)])
    with pytest.raises(TypeError, match="from legacy tf.keras"):
        check_model(legacy, X)


def test_the_package_exports_the_checkup():
    for name in (
        "check_model",
        "Check",
        "CheckupReport",
        "Finding",
        "ModelCheckupError",
        "Severity",
        "Skipped",
    ):
        assert getattr(keras_call_guide, name) is getattr(checkup, name)


# --- a sample that hides what training changes ------------------------------------------


@register
class NoTrainingParameterZeroActivations(keras.Model):
    # Zero kernel and bias before a ReLU: every activation Dropout receives on the sample is 0,
    # and dropping a zero changes nothing, so the sample alone cannot show that Dropout uses
    # `training`. (With random weights this happens by chance, once in 2**units models.)
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4, activation="relu", kernel_initializer="zeros", name="hidden")
        self.dropout = keras.layers.Dropout(0.5, name="dropout")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, inputs):
        return self.head(self.dropout(self.hidden(inputs)))


def test_call_without_training_is_found_when_the_sample_activations_are_all_zero():
    report = check_model(NoTrainingParameterZeroActivations(), X, checks=["call_without_training"])
    assert found(report) == ["call_without_training"], str(report)
