"""Find the guide's traps in a model: `check_model` runs it and reports.

`check_model(model, sample_inputs)` runs a model on a small sample in the
ways Keras will run it: a direct call, a symbolic call on `keras.Input`
tensors, `predict`, one `fit` step, and a `.keras` save and reload. It
reports what went wrong in those runs, each finding with the values that
were observed, a one-sentence fix and the page of the guide that proves it.

Only one thing runs on the model itself: a direct call on the sample, in
inference mode, when the model is already built (its outputs are the
reference the copy and the reloaded model are compared with). Everything
that trains, traces, builds or saves runs on a copy made with
`type(model).from_config(model.get_config())` and the model's weights.
The model's weights, optimizer, `trainable` flags, compiled state and
the global dtype policy are the same after the checkup as before, also
when a check raises.

Tested with the TensorFlow backend only.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import os
import re
import tempfile
import warnings
from collections.abc import Iterable
from typing import Any

import keras
import numpy as np

__all__ = [
    "SITE_URL",
    "Check",
    "CheckupReport",
    "Finding",
    "ModelCheckupError",
    "Severity",
    "Skipped",
    "check_model",
]

SITE_URL = "https://keras-call-guide.example.org/"
"""The guide's address (`site_url` in `mkdocs.yml`); a finding's `url` is relative to it."""


class Severity(enum.Enum):
    """How much a finding matters.

    `ERROR`: Keras runs the model differently from what its code says, or
    fails. `WARNING`: probably a mistake, but some models do it on
    purpose. `INFO`: worth knowing, nothing is wrong yet.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Check(enum.Enum):
    """The checks `check_model` runs; each value is the check's stable id."""

    CALL_FAILS = "call_fails"
    """A run raises for a reason no other check names: the direct call, or `predict` or `fit` also with `run_eagerly=True`."""
    DUNDER_CALL_OVERRIDDEN = "dunder_call_overridden"
    """The model's class replaces `keras.Layer.__call__`."""
    CALL_WITHOUT_TRAINING = "call_without_training"
    """`call` has no `training` parameter, and `fit` runs sublayers that have one in inference mode."""
    TRAINING_FALSE_IN_FIT = "training_false_in_fit"
    """A sublayer receives `training=False` in the `fit` step although `call` has `training`."""
    TRAINING_TRUE_IN_PREDICT = "training_true_in_predict"
    """A sublayer receives `training=True` in `predict`."""
    POSITIONAL_TENSOR_PARAMETERS = "positional_tensor_parameters"
    """`call` takes several tensor parameters, which `fit` and `predict` cannot feed."""
    FAILS_WHEN_TRACED = "fails_when_traced"
    """`call` works eagerly but fails on symbolic tensors or in a compiled function."""
    RETRACING_PYTHON_ARGUMENTS = "retracing_python_arguments"
    """A number argument of `call` makes a `tf.function` trace again for every new value."""
    CONFIG_LOSES_ARGUMENTS = "config_loses_arguments"
    """The model rebuilt from its config, or reloaded from `.keras`, differs or fails."""
    NON_SERIALIZABLE_ARGUMENTS = "non_serializable_arguments"
    """`get_config` raises because Keras cannot record the constructor's arguments."""
    UNREGISTERED_CLASS = "unregistered_class"
    """`load_model` cannot find a class of the model without `custom_objects`."""
    MASK_DROPPED = "mask_dropped"
    """A sublayer that does not support masking receives a masked tensor and drops the mask."""
    MIXED_PRECISION_OUTPUT = "mixed_precision_output"
    """Under a mixed-precision policy, an output is not float32."""


@dataclasses.dataclass(frozen=True)
class Finding:
    """One trap found in the model.

    Attributes:
        check: The check that found it.
        severity: How much it matters.
        observed: What the checkup saw, with the values it saw.
        fix: The fix, in one sentence.
        url: The section of the guide that proves it, relative to
            `SITE_URL`, such as `"guide/training-argument/#..."`.
    """

    check: Check
    severity: Severity
    observed: str
    fix: str
    url: str

    @property
    def full_url(self) -> str:
        """`url` joined to `SITE_URL`."""
        return SITE_URL + self.url

    def __str__(self) -> str:
        return (
            f"{self.severity.value}: {self.check.value}\n"
            f"  observed: {self.observed}\n"
            f"  fix: {self.fix}\n"
            f"  see: {self.full_url}"
        )


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A check that could not run, and why.

    Attributes:
        check: The check.
        reason: Why it did not run.
    """

    check: Check
    reason: str


@dataclasses.dataclass(frozen=True)
class CheckupReport:
    """What `check_model` found.

    Attributes:
        model: The model's class name.
        checks: The checks that were asked for, in `Check` order.
        findings: One `Finding` per trap found, in `Check` order.
        skipped: The checks that could not run, with the reason.

    `str(report)` lists the findings and the skipped checks; `report.ok`
    is `True` when there are no findings.

    Examples:
        >>> import numpy as np
        >>> from keras_call_guide import DropoutClassifier, check_model
        >>> model = DropoutClassifier(hidden_units=4, num_classes=2)
        >>> report = check_model(model, np.ones((4, 3), dtype="float32"))
        >>> print(report)
        check_model(DropoutClassifier): no findings, 13 of 13 checks ran
        >>> report.ok, report.findings, report.skipped
        (True, (), ())
    """

    model: str
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]

    @property
    def ok(self) -> bool:
        """`True` when nothing was found."""
        return not self.findings

    def __str__(self) -> str:
        count = len(self.findings)
        ran = len(self.checks) - len(self.skipped)
        head = f"check_model({self.model}): "
        head += f"{count} finding{'' if count == 1 else 's'}" if count else "no findings"
        head += f", {ran} of {len(self.checks)} checks ran"
        lines = [head]
        lines += [f"- {finding}".replace("\n", "\n  ") for finding in self.findings]
        lines += [f"- skipped {s.check.value}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


class ModelCheckupError(AssertionError):
    """Raised by `check_model(..., raise_on_findings=True)` when it finds something.

    An `AssertionError`, so a test that calls `check_model` fails with the
    report as its message.

    Attributes:
        report: The `CheckupReport`.
    """

    def __init__(self, report: CheckupReport):
        super().__init__(str(report))
        self.report = report


# --- the guide sections each check links to ----------------------------------

_URLS = {
    "call_fails": "guide/troubleshooting/",
    "no_call": "guide/troubleshooting/building/#does-not-have-a-call-method-implemented",
    "dunder": "guide/call-vs-dunder-call/#fit-runs-with-training-lost",
    "no_training": "guide/training-argument/#a-call-without-a-training-parameter-inside-fit",
    "false_in_fit": "guide/troubleshooting/calling/#batchnormalization-statistics-never-move",
    "true_in_predict": "guide/troubleshooting/calling/#predictions-change-between-calls",
    "positional": "guide/troubleshooting/calling/#missing-a-required-argument",
    "python_bool": "guide/troubleshooting/graph-mode/#symbolic-tensor-as-a-python-bool",
    "numpy": "guide/troubleshooting/graph-mode/#cannot-convert-a-symbolic-tensor-to-a-numpy-array",
    "traced": "guide/graph-mode/#your-call-is-not-autograph-converted",
    "retracing": "guide/graph-mode/#retracing-python-arguments-and-new-shapes",
    "not_loaded": "guide/troubleshooting/saving/#a-total-of-objects-could-not-be-loaded",
    "not_deserialized": "guide/troubleshooting/saving/#could-not-be-deserialized-properly",
    "auto_config": "guide/saving/#the-automatic-get_config-of-a-model-subclass",
    "non_serializable": "guide/troubleshooting/saving/#non-serializable-argument-values",
    "unregistered": "guide/troubleshooting/saving/#could-not-locate-class",
    "mask": "guide/troubleshooting/calling/#passed-an-input-with-a-mask-attached",
    "mixed": "guide/mixed-precision/#keep-the-output-head-in-float32",
}

_SEVERITY = {
    Check.CALL_FAILS: Severity.ERROR,
    Check.DUNDER_CALL_OVERRIDDEN: Severity.ERROR,
    Check.CALL_WITHOUT_TRAINING: Severity.ERROR,
    Check.TRAINING_FALSE_IN_FIT: Severity.WARNING,
    Check.TRAINING_TRUE_IN_PREDICT: Severity.WARNING,
    Check.POSITIONAL_TENSOR_PARAMETERS: Severity.ERROR,
    Check.FAILS_WHEN_TRACED: Severity.ERROR,
    Check.RETRACING_PYTHON_ARGUMENTS: Severity.WARNING,
    Check.CONFIG_LOSES_ARGUMENTS: Severity.ERROR,
    Check.NON_SERIALIZABLE_ARGUMENTS: Severity.ERROR,
    Check.UNREGISTERED_CLASS: Severity.WARNING,
    Check.MASK_DROPPED: Severity.WARNING,
    Check.MIXED_PRECISION_OUTPUT: Severity.WARNING,
}


# --- the entry point ------------------------------------------------------------


def check_model(
    model: keras.Model,
    sample_inputs: Any,
    *,
    sample_targets: Any = None,
    checks: Iterable[Check | str] | None = None,
    raise_on_findings: bool = False,
) -> CheckupReport:
    """Run a model the ways Keras will, and report the guide's traps it falls into.

    The checkup calls the model directly on `sample_inputs` (eagerly), then,
    on a copy of the model, calls it on `keras.Input` tensors of the same
    structure (symbolically), runs `predict` and one `fit` step with all
    the samples in one batch, calls it in a `tf.function` with new values
    of its number arguments, and saves it to a `.keras` file in a temporary
    directory and loads it back. Each run is watched for one of the traps
    the guide documents; see `Check` for the list.

    The model is not changed. The copy is
    `type(model).from_config(model.get_config())` with the model's weights
    and `trainable` flags, created under the model's dtype policy; it is
    compiled with a fresh optimizer of the model's kind and the model's
    loss when `sample_targets` are given, else with `"sgd"` and `"mse"`
    against its own outputs. A built model is called once itself, in
    inference mode, to have reference outputs; an unbuilt model is not
    called at all, and then a constructor argument that `get_config`
    loses without changing any weight shape cannot be found (call the
    model once before checking it). When the rebuilt model differs from
    the model, that is a finding, and the other checks run on the rebuilt
    model all the same: they concern the code of `call`, which it shares.
    When no copy can be made at all (`get_config` or `from_config`
    raises), the checks that need one are reported as skipped, with the
    reason.

    Tested with the TensorFlow backend only.

    Args:
        model: A Keras 3 `keras.Model`: subclassed, Functional or
            Sequential.
        sample_inputs: A few samples, as you would pass them as `x` to
            `fit` or `predict`: an array or tensor, or a tuple, list or dict
            of them, each with the batch dimension first.
        sample_targets: The targets for the samples, as `y` for `fit`.
            Needs a compiled model, whose loss the `fit` step then uses.
        checks: The checks to run, as `Check` members or their string ids;
            `None` runs them all.
        raise_on_findings: Raise `ModelCheckupError` (an
            `AssertionError`) carrying the report when anything is found.

    Returns:
        A `CheckupReport`.

    Raises:
        TypeError: If `model` is not a Keras 3 `keras.Model`, or the sample
            holds something that is not an array.
        ValueError: If the sample is empty, its arrays disagree on the
            number of samples, `sample_targets` are given for a model that
            is not compiled, or a check name is unknown.
        RuntimeError: If the backend is not TensorFlow.
        ModelCheckupError: With `raise_on_findings=True`, when anything is
            found.

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> from keras_call_guide import check_model
        >>> class Regressor(keras.Model):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.hidden = keras.layers.Dense(4, name="hidden")
        ...         self.dropout = keras.layers.Dropout(0.5, name="dropout")
        ...         self.head = keras.layers.Dense(1, name="head")
        ...     def call(self, inputs):  # no training parameter
        ...         return self.head(self.dropout(self.hidden(inputs)))
        >>> sample = np.ones((4, 3), dtype="float32")
        >>> report = check_model(Regressor(), sample, checks=["call_without_training"])
        >>> print(str(report).splitlines()[0])
        check_model(Regressor): 1 finding, 1 of 1 checks ran
        >>> finding = report.findings[0]
        >>> finding.check, finding.severity
        (<Check.CALL_WITHOUT_TRAINING: 'call_without_training'>, <Severity.ERROR: 'error'>)
        >>> print(finding.observed)
        Regressor.call has no training parameter, and in the fit step Dropout 'dropout' received training=False
        >>> print(finding.url)
        guide/training-argument/#a-call-without-a-training-parameter-inside-fit
    """
    selected = _selected_checks(checks)
    _check_model_argument(model)
    _check_sample(sample_inputs, "sample_inputs")
    if sample_targets is not None:
        _check_sample(sample_targets, "sample_targets")
        if not getattr(model, "compiled", False):
            raise ValueError(
                "check_model: sample_targets need a compiled model, whose loss the fit "
                f"step uses; {type(model).__name__} is not compiled. Compile it, or "
                "leave sample_targets out to train the copy with 'mse' on its own outputs."
            )
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "check_model is tested with the TensorFlow backend only; "
            f"the backend is {keras.backend.backend()!r}."
        )
    run = _Checkup(model, sample_inputs, sample_targets, selected)
    report = run.report()
    if raise_on_findings and report.findings:
        raise ModelCheckupError(report)
    return report


# --- arguments ------------------------------------------------------------------


def _selected_checks(checks: Iterable[Check | str] | None) -> tuple[Check, ...]:
    if checks is None:
        return tuple(Check)
    if isinstance(checks, (str, Check)):
        raise TypeError(
            "check_model: checks must be a list of check names or Check members; "
            f"got a single {type(checks).__name__} ({checks!r}). Write checks=[{checks!r}]."
        )
    wanted = set()
    for item in checks:
        if isinstance(item, Check):
            wanted.add(item)
            continue
        try:
            wanted.add(Check(item))
        except ValueError:
            names = ", ".join(c.value for c in Check)
            raise ValueError(f"check_model: unknown check {item!r}; the checks are: {names}.") from None
    if not wanted:
        raise ValueError("check_model: checks is empty; leave it out (None) to run every check.")
    return tuple(c for c in Check if c in wanted)


def _check_model_argument(model: object) -> None:
    if isinstance(model, keras.Model):
        return
    if isinstance(model, keras.Layer):
        raise TypeError(
            f"check_model expects a keras.Model; got the layer {type(model).__name__}. "
            "Wrap it in a model, for example keras.Sequential([layer])."
        )
    module = type(model).__module__ or ""
    if module.startswith(("tf_keras", "tensorflow.python.keras", "keras.src.legacy")):
        raise TypeError(
            f"check_model expects a Keras 3 keras.Model; got {module}.{type(model).__qualname__}, "
            "from legacy tf.keras (Keras 2). Build the model with `import keras`."
        )
    raise TypeError(f"check_model expects a Keras 3 keras.Model; got {type(model).__name__}.")


def _check_sample(sample: Any, name: str) -> None:
    if sample is None:
        raise ValueError(f"check_model: {name} is None; pass a few samples, batch dimension first.")
    leaves = keras.tree.flatten(sample)
    if not leaves:
        raise ValueError(f"check_model: {name} is empty; pass at least one array.")
    sizes = set()
    for leaf in leaves:
        shape = getattr(leaf, "shape", None)
        if shape is None or not hasattr(leaf, "dtype"):
            raise TypeError(
                f"check_model: {name} must hold arrays or tensors (a NumPy array, a "
                f"tensor, or a tuple, list or dict of them); got {type(leaf).__name__}."
            )
        if len(shape) == 0:
            raise ValueError(
                f"check_model: every array in {name} needs a batch dimension first; got a scalar."
            )
        sizes.add(int(shape[0]))
    if 0 in sizes:
        raise ValueError(f"check_model: {name} has 0 samples; pass at least one.")
    if len(sizes) > 1:
        raise ValueError(
            f"check_model: the arrays in {name} disagree on the number of samples: {sorted(sizes)}."
        )


# --- running the checks ------------------------------------------------------------


class _Checkup:
    """One checkup: the runs, what they recorded, and the findings."""

    def __init__(self, model: keras.Model, x: Any, y: Any, selected: tuple[Check, ...]):
        self.model = model
        self.name = type(model).__name__
        self.x = x
        self.y = y
        self.selected = selected
        self.findings: dict[Check, Finding] = {}
        self.skipped: dict[Check, str] = {}
        self.copy: keras.Model | None = None
        self.recorder = _TrainingRecorder()
        self.eager_outputs: Any = None
        self.traced_failure: str | None = None
        self.dunder_owner = _dunder_call_owner(type(model))

    # results

    def find(self, check: Check, observed: str, fix: str, url_key: str) -> None:
        if check in self.selected and check not in self.findings:
            self.findings[check] = Finding(check, _SEVERITY[check], observed, fix, _URLS[url_key])

    def skip(self, checks: Iterable[Check], reason: str) -> None:
        for check in checks:
            if check in self.selected and check not in self.findings:
                self.skipped.setdefault(check, reason)

    def wants(self, *checks: Check) -> bool:
        return any(check in self.selected for check in checks)

    def report(self) -> CheckupReport:
        global_policy = keras.config.dtype_policy()
        try:
            # The runs on the copy warn about what the findings report; the
            # reader gets the report, not the warnings.
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                self._run()
        finally:
            keras.config.set_dtype_policy(global_policy)
        return CheckupReport(
            model=self.name,
            checks=self.selected,
            findings=tuple(self.findings[c] for c in Check if c in self.findings),
            skipped=tuple(
                Skipped(c, self.skipped[c]) for c in Check if c in self.skipped and c not in self.findings
            ),
        )

    # the runs, in order

    def _run(self) -> None:
        reference = self._reference_outputs()
        if reference is _FAILED:
            return
        config = self._config()
        if config is not _FAILED:
            self._make_copy(config, reference)
        if self.copy is None:
            return
        if not self._eager_call_on_copy():
            return
        self._check_mixed_precision()
        self._symbolic_call()
        self._predict()
        # Before the fit step, which changes the copy's weights.
        self._save_and_reload()
        self._fit_step()
        self._retracing()
        self._training_findings()

    def _reference_outputs(self) -> Any:
        """Call the model itself, only when it is built (nothing is built or traced)."""
        if not self.model.built or self.dunder_owner is not None:
            return None
        try:
            return _to_numpy(self.model(self.x))
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._call_failed(error, on_copy=False)
            return _FAILED

    def _call_failed(self, error: Exception, on_copy: bool) -> None:
        message = _error_text(error)
        positional = _positional_tensor_parameters(self.model)
        if len(positional) >= 2 and isinstance(error, TypeError):
            target = self.copy if on_copy else self.model
            works = ""
            if isinstance(self.x, (tuple, list)) and len(self.x) == len(positional):
                try:
                    if not on_copy and not self.model.built:
                        raise RuntimeError("not tried on an unbuilt model")
                    target(*self.x)
                    works = f"; model({', '.join(positional)}) works"
                except Exception:  # noqa: BLE001 - only decides what the finding says
                    works = ""
            self.find(
                Check.POSITIONAL_TENSOR_PARAMETERS,
                f"{self.name}.call takes {len(positional)} tensor parameters "
                f"({', '.join(positional)}); model(x), as fit and predict call it with the "
                f"sample as x, raised {message}{works}",
                f"Give `call` one `inputs` parameter and unpack it: `{', '.join(positional)} = inputs`.",
                "positional",
            )
        else:
            url = "no_call" if "does not have a `call()` method" in message else "call_fails"
            self.find(
                Check.CALL_FAILS,
                f"model(x) on the sample raised {message}",
                "Make the direct call work on the sample first; the error says what it needs.",
                url,
            )
        self.skip([c for c in Check if c not in (Check.CALL_FAILS,)], "the direct call on the sample failed")

    def _config(self) -> Any:
        try:
            return self.model.get_config()
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            message = _error_text(error)
            if isinstance(error, NotImplementedError) and "non-serializable" in str(error):
                self.find(
                    Check.NON_SERIALIZABLE_ARGUMENTS,
                    f"{self.name}.get_config() raised {message}",
                    "Define `get_config` returning every constructor argument, as numbers, "
                    "strings, booleans, None, or lists and dicts of them.",
                    "non_serializable",
                )
            else:
                self.find(
                    Check.CONFIG_LOSES_ARGUMENTS,
                    f"{self.name}.get_config() raised {message}",
                    "Make `get_config` return every constructor argument.",
                    "auto_config",
                )
            self.skip(
                [c for c in Check if c is not Check.NON_SERIALIZABLE_ARGUMENTS],
                f"needs a copy of the model, and {self.name}.get_config() failed",
            )
            return _FAILED

    def _make_copy(self, config: dict, reference: Any) -> None:
        custom_objects = _custom_objects(self.model)
        policy = self.model.dtype_policy
        keras.config.set_dtype_policy(policy)
        try:
            with keras.saving.custom_object_scope(custom_objects):
                copy = type(self.model).from_config(config)
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self.find(
                Check.CONFIG_LOSES_ARGUMENTS,
                f"{self.name}.from_config({self.name}.get_config()) raised {_error_text(error)}",
                "Make `get_config` return every constructor argument, under the names `__init__` takes.",
                "not_deserialized",
            )
            self.skip(list(Check), "needs a copy of the model, and from_config(get_config()) failed")
            return
        original_layers = list(self.model._flatten_layers(include_self=False, recursive=True))
        copy_layers = list(copy._flatten_layers(include_self=False, recursive=True))
        difference = _layer_difference(original_layers, copy_layers)
        if difference is None and self.model.built:
            try:
                _build_like(copy, self.x)
                copy.set_weights(self.model.get_weights())
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                difference = f"the model's weights do not fit it: {_error_text(error)}"
        if difference is not None:
            self.find(
                Check.CONFIG_LOSES_ARGUMENTS,
                f"the model rebuilt by {self.name}.from_config({self.name}.get_config()) "
                f"differs from the model: {difference}",
                "Make `get_config` return every constructor argument, with the values "
                "the model was built with.",
                "not_loaded",
            )
            # The other checks concern the code of `call`, which the rebuilt
            # model shares, so they run on it all the same.
            reference = None
        if [type(l) for l in original_layers] == [type(l) for l in copy_layers]:
            for original, copied in zip([self.model, *original_layers], [copy, *copy_layers]):
                copied.trainable = original.trainable
        self.copy = copy
        if reference is not None:
            try:
                outputs = _to_numpy(copy(self.x))
            except Exception:  # noqa: BLE001 - the eager call on the copy reports it
                return
            if _same_outputs(outputs, reference) is False:
                again = _to_numpy(copy(self.x))
                if _same_outputs(outputs, again):  # deterministic, so the copy is different
                    self.find(
                        Check.CONFIG_LOSES_ARGUMENTS,
                        f"with the same weights, the model rebuilt by {self.name}.from_config"
                        f"({self.name}.get_config()) gives other outputs on the sample: "
                        f"{_difference_text(reference, outputs)}",
                        "Make `get_config` return every constructor argument, with the values "
                        "the model was built with.",
                        "auto_config",
                    )

    def _eager_call_on_copy(self) -> bool:
        """The direct call, on the copy, watched for dropped masks."""
        self.recorder.install(self.copy)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with self.recorder.phase("call"):
                    outputs = self.copy(self.x)
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                self._call_failed(error, on_copy=True)
                return False
        self.eager_outputs = outputs
        dropped = []
        for warning in caught:
            found = re.match(
                r"Layer '([^']*)' \(of type (\w+)\) was passed an input with a mask", str(warning.message)
            )
            if found and f"{found.group(2)} '{found.group(1)}'" not in dropped:
                dropped.append(f"{found.group(2)} '{found.group(1)}'")
        if dropped:
            self.find(
                Check.MASK_DROPPED,
                f"model(x) warned that {', '.join(dropped)} received an input with a mask and dropped it",
                "Set `self.supports_masking = True` in the layer's `__init__` if it is "
                "element-wise, or implement `compute_mask`.",
                "mask",
            )
        if self.dunder_owner is not None:
            self.find(
                Check.DUNDER_CALL_OVERRIDDEN,
                f"model(x) ran {self.dunder_owner}.__call__ instead of keras.Layer.__call__; "
                f"afterwards the model reports built={self.copy.built}",
                "Rename `__call__` to `call`; Keras's `__call__` builds the model and passes "
                "`training` and masks on.",
                "dunder",
            )
        return True

    def _check_mixed_precision(self) -> None:
        if not self.wants(Check.MIXED_PRECISION_OUTPUT):
            return
        mixed = [
            layer
            for layer in self.copy._flatten_layers(include_self=False, recursive=True)
            if layer.compute_dtype != layer.variable_dtype
        ]
        if not mixed:
            return
        leaves = keras.tree.flatten(self.eager_outputs)
        dtypes = [keras.backend.standardize_dtype(leaf.dtype) for leaf in leaves]
        wrong = [(i, d) for i, d in enumerate(dtypes) if d in ("float16", "bfloat16")]
        if wrong:
            names = ", ".join(f"{type(l).__name__} '{l.name}'" for l in mixed[:3])
            outputs = (
                ", ".join(f"output {i} is {d}" for i, d in wrong)
                if len(leaves) > 1
                else f"the output is {wrong[0][1]}"
            )
            self.find(
                Check.MIXED_PRECISION_OUTPUT,
                f"{names}{' and others' if len(mixed) > 3 else ''} compute in "
                f"{mixed[0].compute_dtype}, and {outputs}",
                'Give the last layer (or a final Activation) `dtype="float32"`.',
                "mixed",
            )

    def _save_and_reload(self) -> None:
        if not self.wants(
            Check.CONFIG_LOSES_ARGUMENTS, Check.UNREGISTERED_CLASS, Check.NON_SERIALIZABLE_ARGUMENTS
        ):
            return
        if self.traced_failure is not None:
            # Loading builds the model with a symbolic call, which fails for
            # this model, so a reload differs whatever its config says.
            self.skip(
                [Check.CONFIG_LOSES_ARGUMENTS, Check.UNREGISTERED_CLASS],
                "the model fails when traced (fails_when_traced), and loading traces it to build it",
            )
            return
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "model.keras")
            try:
                self.copy.save(path)
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                message = _error_text(error)
                check = (
                    Check.NON_SERIALIZABLE_ARGUMENTS
                    if "serializ" in message
                    else Check.CONFIG_LOSES_ARGUMENTS
                )
                self.find(
                    check,
                    f"model.save('model.keras') raised {message}",
                    "Define `get_config` returning every constructor argument, as numbers, "
                    "strings, booleans, None, or lists and dicts of them.",
                    "non_serializable",
                )
                self.skip([Check.CONFIG_LOSES_ARGUMENTS, Check.UNREGISTERED_CLASS], "saving failed")
                return
            try:
                keras.saving.load_model(path, compile=False)
            except TypeError as error:
                found = re.search(r"Could not locate class '([^']*)'", str(error))
                if found:
                    self.find(
                        Check.UNREGISTERED_CLASS,
                        f"keras.saving.load_model without custom_objects raised TypeError: "
                        f"Could not locate class '{found.group(1)}'",
                        "Decorate the class with `@keras.saving.register_keras_serializable()`, "
                        "or pass `custom_objects` to `load_model`.",
                        "unregistered",
                    )
            except Exception:  # noqa: BLE001 - the load with custom_objects reports it
                pass
            try:
                restored = keras.saving.load_model(
                    path, custom_objects=_custom_objects(self.model), compile=False
                )
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                message = _error_text(error)
                url = "not_deserialized" if "deserialized properly" in message else "not_loaded"
                self.find(
                    Check.CONFIG_LOSES_ARGUMENTS,
                    f"keras.saving.load_model of the saved model raised {message}",
                    "Make `get_config` return every constructor argument, with the values "
                    "the model was built with.",
                    url,
                )
                return
        difference = _layer_difference(
            list(self.copy._flatten_layers(include_self=False, recursive=True)),
            list(restored._flatten_layers(include_self=False, recursive=True)),
        )
        if difference is None:
            weights = self.copy.get_weights()
            loaded = restored.get_weights()
            if len(weights) != len(loaded) or any(
                a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(weights, loaded)
            ):
                difference = (
                    f"the reloaded model has other weights ({len(loaded)} arrays, the model {len(weights)})"
                )
        if difference is None:
            outputs = _to_numpy(self.eager_outputs)
            try:
                reloaded = _to_numpy(restored(self.x))
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                difference = f"calling the reloaded model raised {_error_text(error)}"
            else:
                again = _to_numpy(self.copy(self.x))
                if _same_outputs(outputs, again) and _same_outputs(outputs, reloaded) is False:
                    difference = f"the reloaded model gives other outputs on the sample: {_difference_text(outputs, reloaded)}"
        if difference is not None:
            self.find(
                Check.CONFIG_LOSES_ARGUMENTS,
                f"after a .keras save and reload, {difference}",
                "Make `get_config` return every constructor argument, with the values "
                "the model was built with.",
                "not_loaded",
            )

    def _symbolic_call(self) -> None:
        inputs = keras.tree.map_structure(_symbolic_input, self.x)
        try:
            with self.recorder.phase("symbolic"):
                self.copy(inputs)
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._traced_failed("model(keras.Input(...)) on inputs shaped like the sample", error)

    def _run_failed(self, where: str, error: Exception, rerun: Any) -> None:
        """predict or fit raised: a tracing failure if the same run works eagerly."""
        if self.traced_failure is not None:
            return  # the symbolic call failed already; the same cause
        saved = self.copy.run_eagerly
        self.copy.run_eagerly = True
        self.copy.predict_function = self.copy.train_function = None
        try:
            with self.recorder.phase("rerun"):
                rerun()
        except Exception as again:  # noqa: BLE001 - reported, not hidden
            first, second = _error_text(error), _error_text(again)
            eagerly = (
                "also with run_eagerly=True" if first == second else (f"and with run_eagerly=True {second}")
            )
            self.find(
                Check.CALL_FAILS,
                f"{where} raised {first}, {eagerly}",
                "Make the run work on the sample first; the error says what it needs.",
                "call_fails",
            )
        else:
            self._traced_failed(where, error, "; with run_eagerly=True it runs")
        finally:
            self.copy.run_eagerly = saved
            self.copy.predict_function = self.copy.train_function = None

    def _traced_failed(self, where: str, error: Exception, proof: str = "") -> None:
        message = _error_text(error)
        if self.traced_failure is not None:
            return
        self.traced_failure = message
        if type(error).__name__ == "OperatorNotAllowedInGraphError":
            url = "python_bool"
        elif "symbolic" in message and "numpy" in message:
            url = "numpy"
        else:
            url = "traced"
        self.find(
            Check.FAILS_WHEN_TRACED,
            f"model(x) works eagerly, but {where} raised {message}{proof}",
            "Use `keras.ops` in `call` (`keras.ops.cond`, `keras.ops.where`) instead of Python "
            "`if` or NumPy on tensors.",
            url,
        )

    def _predict(self) -> None:
        try:
            with self.recorder.phase("predict"):
                self.copy.predict(self.x, batch_size=_batch_size(self.x), verbose=0)
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._run_failed(
                "predict(x)",
                error,
                lambda: self.copy.predict(self.x, batch_size=_batch_size(self.x), verbose=0),
            )
            self.skip([Check.TRAINING_TRUE_IN_PREDICT], "predict failed")

    def _fit_step(self) -> None:
        if not self.wants(
            Check.CALL_WITHOUT_TRAINING,
            Check.TRAINING_FALSE_IN_FIT,
            Check.DUNDER_CALL_OVERRIDDEN,
            Check.FAILS_WHEN_TRACED,
        ):
            return
        if self.y is not None:
            optimizer = self.model.optimizer
            self.copy.compile(
                optimizer=type(optimizer).from_config(optimizer.get_config()),
                loss=self.model.loss,
            )
            targets = self.y
        else:
            self.copy.compile(optimizer="sgd", loss="mse")
            targets = _to_numpy(self.eager_outputs)
        try:
            with self.recorder.phase("fit"):
                self.copy.fit(
                    self.x, targets, batch_size=_batch_size(self.x), epochs=1, verbose=0, shuffle=False
                )
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._run_failed(
                "one fit step",
                error,
                lambda: self.copy.fit(
                    self.x, targets, batch_size=_batch_size(self.x), epochs=1, verbose=0, shuffle=False
                ),
            )
            self.skip([Check.CALL_WITHOUT_TRAINING, Check.TRAINING_FALSE_IN_FIT], "the fit step failed")

    def _retracing(self) -> None:
        if not self.wants(Check.RETRACING_PYTHON_ARGUMENTS) or self.traced_failure is not None:
            return
        import tensorflow as tf  # the backend, already imported by keras

        for name, default in _number_parameters(self.copy):
            other = default + 1
            traced = tf.function(_call_with_argument(self.copy, name))
            try:
                traced(self.x, default)
                traced(self.x, other)
            except Exception:  # noqa: BLE001 - not a retracing question then
                continue
            count = traced.experimental_get_tracing_count()
            if count > 1:
                self.find(
                    Check.RETRACING_PYTHON_ARGUMENTS,
                    f"a tf.function calling model(x, {name}=...) traced {count} times for "
                    f"2 calls, {name}={default!r} and {name}={other!r}",
                    f"Pass `{name}` as a tensor, or make it a constructor argument if it "
                    "does not change between calls.",
                    "retracing",
                )
                return

    def _training_findings(self) -> None:
        layers_with_training = self.recorder.records
        if self.dunder_owner is not None:
            self.skip(
                [Check.CALL_WITHOUT_TRAINING, Check.TRAINING_FALSE_IN_FIT],
                "__call__ is overridden, which decides what the sublayers receive",
            )
            return
        in_fit = [
            r
            for r in layers_with_training
            if r.phase == "fit" and r.training is not True and self.recorder.uses_training(r.name)
        ]
        not_true = _unique([r for r in in_fit if r.training is not True])
        if Check.CALL_WITHOUT_TRAINING not in self.skipped and not_true:
            described = ", ".join(f"{r.layer} '{r.name}' received training={r.training!r}" for r in not_true)
            if not _has_training_parameter(self.copy):
                self.find(
                    Check.CALL_WITHOUT_TRAINING,
                    f"{self.name}.call has no training parameter, and in the fit step {described}",
                    "Add `training=None` to the signature of `call`; Keras then passes it to every sublayer.",
                    "no_training",
                )
            else:
                self.find(
                    Check.TRAINING_FALSE_IN_FIT,
                    f"in the fit step, {described}",
                    "Pass `training=training` to the layer, or nothing; pass `False` only to "
                    "freeze it on purpose.",
                    "false_in_fit",
                )
        in_predict = _unique(
            [
                r
                for r in layers_with_training
                if r.phase == "predict" and r.training is True and self.recorder.uses_training(r.name)
            ]
        )
        if Check.TRAINING_TRUE_IN_PREDICT not in self.skipped and in_predict:
            described = ", ".join(f"{r.layer} '{r.name}'" for r in in_predict)
            self.find(
                Check.TRAINING_TRUE_IN_PREDICT,
                f"in predict, {described} received training=True",
                "Pass `training=training` to the layer, or nothing, instead of `True`.",
                "true_in_predict",
            )


_FAILED = object()


# --- recording the training value each sublayer receives ---------------------------


@dataclasses.dataclass(frozen=True)
class _TrainingRecord:
    phase: str
    layer: str
    name: str
    training: Any


class _TrainingRecorder:
    """Wraps `call` on the copy's sublayers that take `training` (the copy is thrown away)."""

    def __init__(self) -> None:
        self.records: list[_TrainingRecord] = []
        self.current = "call"
        # The arguments of each layer's first eager call, to try both training values on.
        self.arguments: dict[str, tuple[Any, tuple, dict]] = {}
        self.uses: dict[str, bool] = {}

    def uses_training(self, name: str) -> bool:
        """Whether the layer's output depends on `training`, on the sample's activations.

        Runs the layer's `call` on the arguments its first eager call received,
        with `training=True` and with `training=False`. A layer that was not
        called eagerly, or whose `call` raises here, counts as using it.
        """
        if name not in self.uses:
            if name not in self.arguments:
                self.uses[name] = True
            else:
                original, args, kwargs = self.arguments[name]
                try:
                    outputs = [
                        _to_numpy(original(*args, **{**kwargs, "training": value})) for value in (True, False)
                    ]
                except Exception:  # noqa: BLE001 - cannot tell, so assume it does
                    self.uses[name] = True
                else:
                    self.uses[name] = not _same_outputs(*outputs)
        return self.uses[name]

    def phase(self, name: str) -> _Phase:
        return _Phase(self, name)

    def install(self, model: keras.Model) -> None:
        for layer in model._flatten_layers(include_self=False, recursive=True):
            signature = inspect.signature(layer.call)
            if "training" in signature.parameters:
                object.__setattr__(layer, "call", self._wrap(layer, layer.call, signature))

    def _wrap(self, layer: keras.Layer, original: Any, signature: inspect.Signature) -> Any:
        def recording_call(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                training = bound.arguments.get("training")
            except TypeError:
                training = kwargs.get("training")
            if not (training is None or isinstance(training, bool)):
                training = "a tensor"
            self.records.append(_TrainingRecord(self.current, type(layer).__name__, layer.name, training))
            if self.current == "call" and layer.name not in self.arguments and _concrete(args, kwargs):
                self.arguments[layer.name] = (original, args, kwargs)
            return original(*args, **kwargs)

        recording_call.__wrapped__ = original
        return recording_call


class _Phase:
    def __init__(self, recorder: _TrainingRecorder, name: str):
        self.recorder = recorder
        self.name = name

    def __enter__(self) -> None:
        self.previous = self.recorder.current
        self.recorder.current = self.name

    def __exit__(self, *exc_info: Any) -> None:
        self.recorder.current = self.previous


def _concrete(args: tuple, kwargs: dict) -> bool:
    """True for arguments with values: an eager call, not a symbolic or traced one."""
    import tensorflow as tf  # the backend, already imported by keras

    leaves = keras.tree.flatten((args, kwargs))
    return tf.executing_eagerly() and not any(isinstance(l, keras.KerasTensor) for l in leaves)


def _unique(records: list[_TrainingRecord]) -> list[_TrainingRecord]:
    seen, kept = set(), []
    for record in records:
        key = (record.name, record.training)
        if key not in seen:
            seen.add(key)
            kept.append(record)
    return kept


# --- helpers ------------------------------------------------------------------------


def _dunder_call_owner(cls: type) -> str | None:
    """The class that replaces keras.Layer.__call__, if one outside Keras does."""
    for klass in cls.__mro__:
        if "__call__" in vars(klass):
            if klass.__module__.startswith("keras"):
                return None
            return klass.__qualname__
    return None


def _call_with_argument(model: keras.Model, name: str) -> Any:
    """`f(inputs, value)` calling `model(inputs, name=value)`, for tf.function to trace."""

    def call(inputs: Any, value: Any) -> Any:
        return model(inputs, **{name: value})

    return call


def _has_training_parameter(model: keras.Layer) -> bool:
    return "training" in inspect.signature(type(model).call).parameters


def _positional_tensor_parameters(model: keras.Layer) -> list[str]:
    """The required positional parameters of `call`, except training and masks."""
    names = []
    for parameter in inspect.signature(model.call).parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            continue
        if parameter.name in ("training", "mask") or parameter.default is not parameter.empty:
            continue
        names.append(parameter.name)
    return names


def _number_parameters(model: keras.Layer) -> list[tuple[str, Any]]:
    """The parameters of `call` with an int or float default (bools excluded)."""
    found = []
    for parameter in inspect.signature(model.call).parameters.values():
        default = parameter.default
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            found.append((parameter.name, default))
    return found


def _custom_objects(model: keras.Model) -> dict[str, type]:
    objects = {}
    for layer in model._flatten_layers(include_self=True, recursive=True):
        cls = type(layer)
        if not cls.__module__.startswith("keras"):
            objects[cls.__name__] = cls
            objects[keras.saving.get_registered_name(cls)] = cls
    return objects


def _layer_difference(original: list, copy: list) -> str | None:
    """The first difference between two models' sublayers, in words, or None."""
    if [type(l) for l in original] != [type(l) for l in copy]:
        return (
            f"its sublayers are [{', '.join(type(l).__name__ for l in copy)}], the model's are "
            f"[{', '.join(type(l).__name__ for l in original)}]"
        )
    for a, b in zip(original, copy):
        try:
            config_a, config_b = a.get_config(), b.get_config()
        except Exception:  # noqa: BLE001 - a sublayer's own config is compared when it works
            continue
        for key in sorted(set(config_a) | set(config_b)):
            if key in ("name", "trainable"):  # names get new suffixes; the flags are copied
                continue
            va, vb = _plain(config_a.get(key)), _plain(config_b.get(key))
            if va != vb:
                return f"{type(a).__name__} '{a.name}' has {key}={va!r}, the rebuilt one {key}={vb!r}"
    return None


def _plain(value: Any) -> Any:
    """A config value as plain data, so that two configs compare by content."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        return _plain(keras.saving.serialize_keras_object(value))
    except Exception:  # noqa: BLE001 - fall back to the type's name
        return f"<{type(value).__name__}>"


def _build_like(model: keras.Model, x: Any) -> None:
    if not model.built:
        model(x)


def _symbolic_input(leaf: Any) -> keras.KerasTensor:
    dtype = keras.backend.standardize_dtype(leaf.dtype)
    if dtype == "float64":
        dtype = keras.config.floatx()  # as fit and predict convert NumPy float64
    return keras.Input(shape=tuple(leaf.shape[1:]), dtype=dtype)


def _batch_size(x: Any) -> int:
    return int(keras.tree.flatten(x)[0].shape[0])


def _to_numpy(outputs: Any) -> Any:
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), outputs)


def _same_outputs(a: Any, b: Any) -> bool:
    try:
        leaves_a, leaves_b = keras.tree.flatten(a), keras.tree.flatten(b)
    except Exception:  # noqa: BLE001
        return False
    if len(leaves_a) != len(leaves_b):
        return False
    return all(
        x.shape == y.shape and np.allclose(x.astype("float64"), y.astype("float64"), rtol=1e-4, atol=1e-5)
        for x, y in zip(leaves_a, leaves_b)
    )


def _difference_text(expected: Any, got: Any) -> str:
    leaves_a, leaves_b = keras.tree.flatten(expected), keras.tree.flatten(got)
    if len(leaves_a) != len(leaves_b):
        return f"{len(leaves_b)} outputs instead of {len(leaves_a)}"
    for a, b in zip(leaves_a, leaves_b):
        if a.shape != b.shape:
            return f"shape {tuple(b.shape)} instead of {tuple(a.shape)}"
        if not np.allclose(a, b, rtol=1e-4, atol=1e-5):
            largest = float(np.max(np.abs(a.astype("float64") - b.astype("float64"))))
            return f"largest difference {largest:.3g}"
    return "none"


def _error_text(error: BaseException) -> str:
    """`Type: first line of the message`, without Keras's terminal escapes."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
    # A failed symbolic call says "Could not automatically infer the output
    # shape ... Error encountered: <the real error>"; keep the real one.
    message = message.split("Error encountered:", 1)[-1].strip()
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", message) if p.strip()]
    # Keras wraps errors from inside `call` as "Exception encountered when
    # calling X.call(). <blank> <the real message>"; keep the real one.
    if len(paragraphs) > 1 and paragraphs[0].startswith("Exception encountered when calling"):
        paragraphs = paragraphs[1:]
    first = paragraphs[0] if paragraphs else ""
    if len(first) > 400:  # a first paragraph this long is mostly an example or a dump
        first = first[:397] + "..."
    return f"{type(error).__name__}: {first}"
