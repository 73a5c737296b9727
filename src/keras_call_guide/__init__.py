"""Models and tools behind the keras-call-guide site.

The models are the three examples the guide teaches with; see the guide's
pages for what each one demonstrates. `trace_calls` and `trace_train_step`
show what every layer's `call` receives when a model runs.
"""

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
    "DropoutClassifier",
    "MaskInfo",
    "TwoInputClassifier",
    "TwoLayerClassifier",
    "trace_calls",
    "trace_train_step",
]
