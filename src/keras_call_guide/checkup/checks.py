"""The checks: run the model the ways Keras will, and turn what happened into findings.

`check_model` is the entry point. `_Checkup` runs the model on the sample
(the direct call, then on a copy: a symbolic call, `predict`, a `.keras`
save and reload, one `fit` step, a `tf.function` with new number
arguments) and, after each run, records the findings it shows, with the
values observed.

Only one thing runs on the model itself: a direct call on the sample, in
inference mode, when the model is already built (its outputs are the
reference the copy and the reloaded model are compared with). Everything
that trains, traces, builds or saves runs on a copy made with
`type(model).from_config(model.get_config())` and the model's weights.
The model's weights, optimizer, `trainable` flags, compiled state and
the global dtype policy are the same after the checkup as before, also
when a check raises.
"""

from __future__ import annotations

import enum
import inspect
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import keras
import numpy as np

from keras_call_guide import _keras_internals
from keras_call_guide.checkup import runs
from keras_call_guide.checkup.arguments import check_model_argument, check_sample, selected_checks
from keras_call_guide.checkup.report import (
    GUIDE_SECTIONS,
    SEVERITY,
    Check,
    CheckupReport,
    Finding,
    ModelCheckupError,
    Skipped,
)

__all__ = ["check_model"]


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
    the guide documents; see [`Check`][keras_call_guide.checkup.Check] for the list.

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
        checks: The checks to run, as [`Check`][keras_call_guide.checkup.Check] members or their string ids;
            `None` runs them all.
        raise_on_findings: Raise [`ModelCheckupError`][keras_call_guide.checkup.ModelCheckupError] (an
            `AssertionError`) carrying the report when anything is found.

    Returns:
        A [`CheckupReport`][keras_call_guide.checkup.CheckupReport].

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
    """  # noqa: E501 - an example's output line is as long as the finding it prints
    selected = selected_checks(checks)
    check_model_argument(model)
    check_sample(sample_inputs, "sample_inputs")
    if sample_targets is not None:
        check_sample(sample_targets, "sample_targets")
        if not _keras_internals.is_compiled(model):
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


# --- running the checks ------------------------------------------------------------


class _Failed(enum.Enum):
    """What a run returns instead of a value when it failed (and reported why)."""

    FAILED = "failed"


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
        self._copy: keras.Model | None = None
        self.recorder = runs.TrainingRecorder()
        self.eager_outputs: Any = None
        self.traced_failure: str | None = None
        self.dunder_owner = _dunder_call_owner(type(model))

    @property
    def copy(self) -> keras.Model:
        """The copy the runs after `_make_copy` use."""
        if self._copy is None:  # the runs stop when no copy could be made
            raise RuntimeError("check_model: a run needs the copy, and no copy was made")
        return self._copy

    # results

    def find(self, check: Check, observed: str, fix: str, url_key: str) -> None:
        if check in self.selected and check not in self.findings:
            self.findings[check] = Finding(check, SEVERITY[check], observed, fix, GUIDE_SECTIONS[url_key])

    def skip(self, checks: Iterable[Check], reason: str) -> None:
        for check in checks:
            if check in self.selected and check not in self.findings:
                self.skipped.setdefault(check, reason)

    def wants(self, *checks: Check) -> bool:
        return any(check in self.selected for check in checks)

    def report(self) -> CheckupReport:
        with runs.global_state_kept():
            self._run()
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
        if reference is _Failed.FAILED:
            return
        config = self._config()
        if config is not _Failed.FAILED:
            self._make_copy(config, reference)
        if self._copy is None:
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
            return runs.to_numpy(self.model(self.x))
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._call_failed(error, on_copy=False)
            return _Failed.FAILED

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
            return _Failed.FAILED

    def _make_copy(self, config: dict[str, Any], reference: Any) -> None:
        custom_objects = runs.custom_objects(self.model)
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
        original_layers = runs.sublayers(self.model)
        copy_layers = runs.sublayers(copy)
        difference = runs.layer_difference(original_layers, copy_layers)
        if difference is None and self.model.built:
            try:
                runs.build_like(copy, self.x)
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
        runs.copy_trainable_flags(self.model, original_layers, copy, copy_layers)
        self._copy = copy
        if reference is not None:
            try:
                outputs = runs.to_numpy(copy(self.x))
            except Exception:  # noqa: BLE001 - the eager call on the copy reports it
                return
            if runs.same_outputs(outputs, reference) is False:
                again = runs.to_numpy(copy(self.x))
                if runs.same_outputs(outputs, again):  # deterministic, so the copy is different
                    self.find(
                        Check.CONFIG_LOSES_ARGUMENTS,
                        f"with the same weights, the model rebuilt by {self.name}.from_config"
                        f"({self.name}.get_config()) gives other outputs on the sample: "
                        f"{runs.difference_text(reference, outputs)}",
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
        mixed = [layer for layer in runs.sublayers(self.copy) if layer.compute_dtype != layer.variable_dtype]
        if not mixed:
            return
        leaves = keras.tree.flatten(self.eager_outputs)
        dtypes = [keras.backend.standardize_dtype(leaf.dtype) for leaf in leaves]
        wrong = [(i, d) for i, d in enumerate(dtypes) if d in ("float16", "bfloat16")]
        if wrong:
            names = ", ".join(f"{type(layer).__name__} '{layer.name}'" for layer in mixed[:3])
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
                    path, custom_objects=runs.custom_objects(self.model), compile=False
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
        difference = runs.layer_difference(runs.sublayers(self.copy), runs.sublayers(restored))
        if difference is None:
            weights = self.copy.get_weights()
            loaded = restored.get_weights()
            if len(weights) != len(loaded) or any(
                a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(weights, loaded, strict=True)
            ):
                difference = (
                    f"the reloaded model has other weights ({len(loaded)} arrays, the model {len(weights)})"
                )
        if difference is None:
            outputs = runs.to_numpy(self.eager_outputs)
            try:
                reloaded = runs.to_numpy(restored(self.x))
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                difference = f"calling the reloaded model raised {_error_text(error)}"
            else:
                again = runs.to_numpy(self.copy(self.x))
                if runs.same_outputs(outputs, again) and runs.same_outputs(outputs, reloaded) is False:
                    difference = (
                        "the reloaded model gives other outputs on the sample: "
                        + runs.difference_text(outputs, reloaded)
                    )
        if difference is not None:
            self.find(
                Check.CONFIG_LOSES_ARGUMENTS,
                f"after a .keras save and reload, {difference}",
                "Make `get_config` return every constructor argument, with the values "
                "the model was built with.",
                "not_loaded",
            )

    def _symbolic_call(self) -> None:
        inputs = keras.tree.map_structure(runs.symbolic_input, self.x)
        try:
            with self.recorder.phase("symbolic"):
                self.copy(inputs)
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._traced_failed("model(keras.Input(...)) on inputs shaped like the sample", error)

    def _run_failed(self, where: str, error: Exception, rerun: Callable[[], object]) -> None:
        """predict or fit raised: a tracing failure if the same run works eagerly."""
        if self.traced_failure is not None:
            return  # the symbolic call failed already; the same cause
        # Outside the `try`: a KerasInternalsError is Keras changing, not the model failing.
        with _keras_internals.run_eagerly_afresh(self.copy):
            try:
                with self.recorder.phase("rerun"):
                    rerun()
            except Exception as again:  # noqa: BLE001 - reported, not hidden
                first, second = _error_text(error), _error_text(again)
                eagerly = (
                    "also with run_eagerly=True"
                    if first == second
                    else (f"and with run_eagerly=True {second}")
                )
                self.find(
                    Check.CALL_FAILS,
                    f"{where} raised {first}, {eagerly}",
                    "Make the run work on the sample first; the error says what it needs.",
                    "call_fails",
                )
            else:
                self._traced_failed(where, error, "; with run_eagerly=True it runs")

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
                self.copy.predict(self.x, batch_size=runs.batch_size(self.x), verbose=0)
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._run_failed(
                "predict(x)",
                error,
                lambda: self.copy.predict(self.x, batch_size=runs.batch_size(self.x), verbose=0),
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
            targets = runs.to_numpy(self.eager_outputs)
        try:
            with self.recorder.phase("fit"):
                self.copy.fit(
                    self.x, targets, batch_size=runs.batch_size(self.x), epochs=1, verbose=0, shuffle=False
                )
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            self._run_failed(
                "one fit step",
                error,
                lambda: self.copy.fit(
                    self.x, targets, batch_size=runs.batch_size(self.x), epochs=1, verbose=0, shuffle=False
                ),
            )
            self.skip([Check.CALL_WITHOUT_TRAINING, Check.TRAINING_FALSE_IN_FIT], "the fit step failed")

    def _retracing(self) -> None:
        if not self.wants(Check.RETRACING_PYTHON_ARGUMENTS) or self.traced_failure is not None:
            return
        import tensorflow as tf  # the backend, already imported by keras

        for name, default in _number_parameters(self.copy):
            other = default + 1
            traced = tf.function(runs.call_with_argument(self.copy, name))
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
        not_true = runs.unique_records([r for r in in_fit if r.training is not True])
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
        in_predict = runs.unique_records(
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


# --- helpers ------------------------------------------------------------------------


def _dunder_call_owner(cls: type) -> str | None:
    """The class that replaces keras.Layer.__call__, if one outside Keras does."""
    for klass in cls.__mro__:
        if "__call__" in vars(klass):
            if klass.__module__.startswith("keras"):
                return None
            return klass.__qualname__
    return None


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
