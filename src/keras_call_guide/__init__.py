"""Models and tools behind the keras-call-guide site.

The models are the three examples the guide teaches with; see the guide's
pages for what each one demonstrates.
"""

from keras_call_guide.models import DropoutClassifier, TwoInputClassifier, TwoLayerClassifier

__all__ = ["DropoutClassifier", "TwoInputClassifier", "TwoLayerClassifier"]
