"""The three models the guide teaches with, written correctly for Keras 3.

Each model overrides `call` (never `__call__`), records every constructor
argument in `get_config`, and is registered as Keras-serializable, so a
`.keras` file saved from it reloads with `keras.saving.load_model` alone.
"""

# Keras ships no type information (no py.typed): `keras.Model` is typed Any.
# mypy: allow-subclassing-any

from __future__ import annotations

from typing import Any, TypeAlias

import keras

from keras_call_guide._validation import positive_int, unit_interval_rate

PACKAGE = "keras_call_guide"

TensorLike: TypeAlias = Any
"""What the models' `call` accepts and returns.

A backend tensor (a `tf.Tensor` with the TensorFlow backend), a NumPy array,
or a symbolic `keras.KerasTensor` during Keras's symbolic build pass. It is
`Any` to type checkers: Keras has no type for "any tensor".
"""


@keras.saving.register_keras_serializable(package=PACKAGE)
class TwoLayerClassifier(keras.Model):
    """A hidden `Dense` layer chained into a softmax `Dense` head.

    The smallest useful subclassed model: `__init__` creates the layers and
    `call` says how data flows through them.

    Args:
        hidden_units: Width of the hidden ReLU layer. A positive int.
        num_classes: Number of output classes. A positive int.
        **kwargs: Passed to `keras.Model` (for example `name`).

    Raises:
        TypeError: If `hidden_units` or `num_classes` is not an int.
        ValueError: If `hidden_units` or `num_classes` is not positive.

    Examples:
        >>> import numpy as np
        >>> model = TwoLayerClassifier(hidden_units=8, num_classes=3)
        >>> probabilities = model(np.zeros((2, 5), dtype="float32"))
        >>> tuple(probabilities.shape)
        (2, 3)
    """

    def __init__(self, hidden_units: int = 64, num_classes: int = 10, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_units = positive_int("hidden_units", hidden_units)
        self.num_classes = positive_int("num_classes", num_classes)
        self.hidden = keras.layers.Dense(self.hidden_units, activation="relu", name="hidden")
        self.classifier = keras.layers.Dense(self.num_classes, activation="softmax", name="classifier")

    def call(self, inputs: TensorLike) -> TensorLike:
        """Run the forward pass.

        Args:
            inputs: A float tensor of shape `(batch, features)`.

        Returns:
            Class probabilities of shape `(batch, num_classes)`.
        """
        return self.classifier(self.hidden(inputs))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments, so `from_config` rebuilds the model."""
        config: dict[str, Any] = super().get_config()
        config.update(hidden_units=self.hidden_units, num_classes=self.num_classes)
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class DropoutClassifier(keras.Model):
    """A classifier whose `Dropout` follows the `training` flag.

    `call` takes `training=None` and passes it on to the `Dropout` layer.
    `None` means "not decided here": Keras fills it in from an outer call,
    from `fit` (`True`) or from `evaluate` and `predict` (`False`), and a
    direct `model(x)` with nothing to inherit runs in inference mode. In
    Keras 3 a `False` default would behave the same here, because a value
    inherited from an outer call outranks a signature default; `None` says
    plainly that this model leaves the decision to its caller.

    Args:
        hidden_units: Width of the hidden ReLU layer. A positive int.
        num_classes: Number of output classes. A positive int.
        rate: Fraction of hidden units dropped in training, in `[0, 1)`.
        **kwargs: Passed to `keras.Model` (for example `name`).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range.

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> model = DropoutClassifier(hidden_units=8, num_classes=3, rate=0.5)
        >>> x = np.ones((4, 5), dtype="float32")
        >>> bool(keras.ops.all(model(x) == model(x)))  # inference: deterministic
        True
        >>> tuple(model(x, training=True).shape)
        (4, 3)
    """

    def __init__(
        self,
        hidden_units: int = 64,
        num_classes: int = 10,
        rate: float = 0.5,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.hidden_units = positive_int("hidden_units", hidden_units)
        self.num_classes = positive_int("num_classes", num_classes)
        self.rate = unit_interval_rate("rate", rate)
        self.hidden = keras.layers.Dense(self.hidden_units, activation="relu", name="hidden")
        self.dropout = keras.layers.Dropout(self.rate, name="dropout")
        self.classifier = keras.layers.Dense(self.num_classes, activation="softmax", name="classifier")

    def call(self, inputs: TensorLike, training: bool | None = None) -> TensorLike:
        """Run the forward pass.

        Args:
            inputs: A float tensor of shape `(batch, features)`.
            training: `True` to apply dropout, `False` to skip it, `None` to
                let Keras decide (see the class docstring).

        Returns:
            Class probabilities of shape `(batch, num_classes)`.
        """
        hidden = self.hidden(inputs)
        hidden = self.dropout(hidden, training=training)
        return self.classifier(hidden)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments, so `from_config` rebuilds the model."""
        config: dict[str, Any] = super().get_config()
        config.update(hidden_units=self.hidden_units, num_classes=self.num_classes, rate=self.rate)
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class TwoInputClassifier(keras.Model):
    """A classifier over two inputs that share one `Dense` encoder.

    `call` takes a single structured `inputs` argument, either a pair
    `(left, right)` or a dict `{"left": ..., "right": ...}`. That is what
    makes the model work with `fit`, `evaluate` and `predict`: the training
    loops pass `x` to `call` as its one positional argument, so a
    `call(self, left, right)` signature cannot be fed by them.

    Both inputs go through the same `Dense` layer on purpose (shared weights),
    so they must have the same number of features.

    Args:
        hidden_units: Width of the shared ReLU encoder. A positive int.
        num_classes: Number of output classes. A positive int.
        **kwargs: Passed to `keras.Model` (for example `name`).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range.

    Examples:
        >>> import numpy as np
        >>> model = TwoInputClassifier(hidden_units=8, num_classes=3)
        >>> left = np.zeros((2, 4), dtype="float32")
        >>> right = np.ones((2, 4), dtype="float32")
        >>> tuple(model((left, right)).shape)
        (2, 3)
        >>> tuple(model({"left": left, "right": right}).shape)
        (2, 3)
    """

    input_names = ("left", "right")

    def __init__(self, hidden_units: int = 16, num_classes: int = 10, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_units = positive_int("hidden_units", hidden_units)
        self.num_classes = positive_int("num_classes", num_classes)
        self.encoder = keras.layers.Dense(self.hidden_units, activation="relu", name="encoder")
        self.concat = keras.layers.Concatenate(name="concat")
        self.classifier = keras.layers.Dense(self.num_classes, activation="softmax", name="classifier")

    def call(self, inputs: TensorLike) -> TensorLike:
        """Run the forward pass.

        Args:
            inputs: A pair `(left, right)` (tuple or list) or a dict with
                exactly the keys `"left"` and `"right"`. Each is a float
                tensor of shape `(batch, features)`.

        Returns:
            Class probabilities of shape `(batch, num_classes)`.

        Raises:
            ValueError: If `inputs` is not a pair or such a dict.
        """
        left, right = self.split_inputs(inputs)
        encoded = self.concat([self.encoder(left), self.encoder(right)])
        return self.classifier(encoded)

    @classmethod
    def split_inputs(cls, inputs: Any) -> tuple[TensorLike, TensorLike]:
        """Return `(left, right)` from a pair or a `{"left", "right"}` dict.

        Raises:
            ValueError: If `inputs` has any other structure.
        """
        expected = 'a pair (left, right) or a dict with exactly the keys "left" and "right"'
        if isinstance(inputs, dict):
            keys = sorted(inputs)
            if keys != sorted(cls.input_names):
                raise ValueError(f"TwoInputClassifier expects {expected}; got a dict with keys {keys}.")
            return inputs["left"], inputs["right"]
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 2:
                raise ValueError(
                    f"TwoInputClassifier expects {expected}; "
                    f"got a {type(inputs).__name__} of {len(inputs)} "
                    f"item{'s' if len(inputs) != 1 else ''}."
                )
            return inputs[0], inputs[1]
        shape = getattr(inputs, "shape", None)
        described = f"a single tensor of shape {tuple(shape)}" if shape is not None else repr(inputs)
        raise ValueError(f"TwoInputClassifier expects {expected}; got {described}.")

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments, so `from_config` rebuilds the model."""
        config: dict[str, Any] = super().get_config()
        config.update(hidden_units=self.hidden_units, num_classes=self.num_classes)
        return config
