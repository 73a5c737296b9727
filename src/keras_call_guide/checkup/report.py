"""What `check_model` returns: the checks, their findings and the report.

Plain, frozen data: a reader's test can compare it, print it or turn it
into a dict with `dataclasses.asdict`.
"""

from __future__ import annotations

import dataclasses
import enum

__all__ = [
    "GUIDE_SECTIONS",
    "SEVERITY",
    "SITE_URL",
    "Check",
    "CheckupReport",
    "Finding",
    "ModelCheckupError",
    "Severity",
    "Skipped",
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
    """The checks [`check_model`][keras_call_guide.checkup.check_model] runs.

    Each value is the check's stable id.
    """

    CALL_FAILS = "call_fails"
    """A run raises for a reason no other check names: the direct call, or `predict` or `fit`
    also with `run_eagerly=True`."""
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
            [`SITE_URL`][keras_call_guide.checkup.SITE_URL], such as `"guide/training-argument/#..."`.
    """

    check: Check
    severity: Severity
    observed: str
    fix: str
    url: str

    @property
    def full_url(self) -> str:
        """`url` joined to [`SITE_URL`][keras_call_guide.checkup.SITE_URL]."""
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
    """What [`check_model`][keras_call_guide.checkup.check_model] found.

    Attributes:
        model: The model's class name.
        checks: The checks that were asked for, in [`Check`][keras_call_guide.checkup.Check] order.
        findings: One [`Finding`][keras_call_guide.checkup.Finding] per trap found,
            in [`Check`][keras_call_guide.checkup.Check] order.
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
    """Raised by [`check_model(..., raise_on_findings=True)`][keras_call_guide.checkup.check_model]
    when it finds something.

    An `AssertionError`, so a test that calls
    [`check_model`][keras_call_guide.checkup.check_model] fails with the report
    as its message.

    Attributes:
        report: The [`CheckupReport`][keras_call_guide.checkup.CheckupReport].
    """

    def __init__(self, report: CheckupReport):
        super().__init__(str(report))
        self.report = report


# --- what each check reports ------------------------------------------------------

# The sections of the guide a finding links to, by key; each proves the trap it names.

GUIDE_SECTIONS = {
    "call_fails": "guide/troubleshooting/",
    "no_call": "guide/troubleshooting/defining/#does-not-have-a-call-method-implemented",
    "dunder": "guide/call-vs-dunder-call/#fit-runs-with-training-lost",
    "no_training": "guide/training-argument/#a-call-without-a-training-parameter-inside-fit",
    "false_in_fit": "guide/troubleshooting/training-value/#batchnormalization-statistics-never-move",
    "true_in_predict": "guide/troubleshooting/training-value/#predictions-change-between-calls",
    "positional": "guide/troubleshooting/calling/#missing-a-required-argument",
    "python_bool": "guide/troubleshooting/graph-mode/#symbolic-tensor-as-a-python-bool",
    "numpy": "guide/troubleshooting/graph-mode/#cannot-convert-a-symbolic-tensor-to-a-numpy-array",
    "traced": "guide/graph-mode/#your-call-is-not-autograph-converted",
    "retracing": "guide/graph-mode/#retracing-python-arguments-and-new-shapes",
    "not_loaded": "guide/troubleshooting/get-config/#a-total-of-objects-could-not-be-loaded",
    "not_deserialized": "guide/troubleshooting/get-config/#could-not-be-deserialized-properly",
    "auto_config": "guide/saving/#the-automatic-get_config-of-a-model-subclass",
    "non_serializable": "guide/troubleshooting/get-config/#non-serializable-argument-values",
    "unregistered": "guide/troubleshooting/saving/#could-not-locate-class",
    "mask": "guide/troubleshooting/calling/#passed-an-input-with-a-mask-attached",
    "mixed": "guide/mixed-precision/#keep-the-output-head-in-float32",
}

# The severity of each check's findings.
SEVERITY = {
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
