"""Models and tools behind the keras-call-guide site.

The models are the three examples the guide teaches with; see the guide's
pages for what each one demonstrates. `trace_calls` and `trace_train_step`
show what every layer's `call` receives when a model runs. `check_model`
runs a model the ways Keras will and reports the guide's traps it falls into.
"""

from keras_call_guide.checkup import (
    Check,
    CheckupReport,
    Finding,
    ModelCheckupError,
    Severity,
    Skipped,
    check_model,
)
from keras_call_guide.models import DropoutClassifier, TwoInputClassifier, TwoLayerClassifier
from keras_call_guide.tracer import (
    NO_TRAINING_PARAMETER,
    CallRecord,
    CallTrace,
    MaskInfo,
    trace_calls,
    trace_train_step,
)

__all__ = [
    "NO_TRAINING_PARAMETER",
    "CallRecord",
    "CallTrace",
    "Check",
    "CheckupReport",
    "DropoutClassifier",
    "Finding",
    "MaskInfo",
    "ModelCheckupError",
    "Severity",
    "Skipped",
    "TwoInputClassifier",
    "TwoLayerClassifier",
    "check_model",
    "trace_calls",
    "trace_train_step",
]
