"""Find the guide's traps in a model: `check_model` runs it and reports.

`check_model(model, sample_inputs)` runs a model on a small sample in the
ways Keras will run it: a direct call, a symbolic call on `keras.Input`
tensors, `predict`, one `fit` step, and a `.keras` save and reload. It
reports what went wrong in those runs, each finding with the values that
were observed, a one-sentence fix and the page of the guide that proves it.

The modules, one concern each:

- `report`: what the checkup returns (`CheckupReport`, `Finding`,
  `Skipped`), the `Check` and `Severity` enums, and the guide section each
  check links to.
- `arguments`: the checks of `check_model`'s own arguments.
- `runs`: running the model the ways Keras will on a copy, recording what
  sublayers receive, comparing outputs, and keeping the global state.
- `checks`: `check_model` and the checks themselves, turning the runs into
  findings.

Tested with the TensorFlow backend only.
"""

from keras_call_guide.checkup.checks import check_model
from keras_call_guide.checkup.report import (
    SITE_URL,
    Check,
    CheckupReport,
    Finding,
    ModelCheckupError,
    Severity,
    Skipped,
)

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
