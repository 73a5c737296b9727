"""The checks of `check_model`'s own arguments: each wrong one named, with what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import keras

from keras_call_guide.checkup.report import Check

__all__ = ["check_model_argument", "check_sample", "selected_checks"]


def selected_checks(checks: Iterable[Check | str] | None) -> tuple[Check, ...]:
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


def check_model_argument(model: object) -> None:
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


def check_sample(sample: Any, name: str) -> None:
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
