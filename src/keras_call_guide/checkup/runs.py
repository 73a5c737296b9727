"""Running a model the ways Keras will, on a copy, and comparing what came out.

Nothing here decides what is a finding (that is `checks`): these are the
runs' tools. The recorder wraps `call` on the copy's sublayers that take
`training` and writes down what each received, per phase of the checkup;
the copy is thrown away afterwards, so nothing is unwrapped. The rest
compares outputs, weights and sublayer configs, and keeps the global state
the runs change (the dtype policy, the warnings filters) as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np

from keras_call_guide import _keras_internals

__all__ = [
    "TrainingRecord",
    "TrainingRecorder",
    "batch_size",
    "build_like",
    "call_with_argument",
    "copy_trainable_flags",
    "custom_objects",
    "difference_text",
    "global_state_kept",
    "layer_difference",
    "same_outputs",
    "sublayers",
    "symbolic_input",
    "to_numpy",
    "unique_records",
]


# --- the global state the runs change -------------------------------------------------


@contextlib.contextmanager
def global_state_kept() -> Iterator[None]:
    """Inside, warnings are recorded and dropped; on exit the global dtype policy is put back.

    The runs on the copy warn about what the findings report, and the copy
    is made under the model's own dtype policy; the reader gets the report,
    with the global policy as it was, also when a run raises.
    """
    global_policy = keras.config.dtype_policy()
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield
    finally:
        keras.config.set_dtype_policy(global_policy)


# --- the copy -------------------------------------------------------------------------


def sublayers(model: keras.Layer) -> list[keras.Layer]:
    """Every layer the model tracks, each once, without the model itself."""
    return _keras_internals.flatten_layers(model)[1:]


def custom_objects(model: keras.Model) -> dict[str, type]:
    """The model's classes from outside Keras, by class name and registered name."""
    objects = {}
    for layer in _keras_internals.flatten_layers(model):
        cls = type(layer)
        if not cls.__module__.startswith("keras"):
            objects[cls.__name__] = cls
            objects[keras.saving.get_registered_name(cls)] = cls
    return objects


def copy_trainable_flags(
    model: keras.Model,
    original_layers: list[keras.Layer],
    copy: keras.Model,
    copy_layers: list[keras.Layer],
) -> None:
    """Give the copy the model's `trainable` flags, when both have the same kinds of sublayers.

    The sublayers are the ones `from_config` made, listed before the copy was built.
    """
    if [type(layer) for layer in original_layers] != [type(layer) for layer in copy_layers]:
        return
    # Same types in the same order, so the same number of layers.
    for original, copied in zip([model, *original_layers], [copy, *copy_layers], strict=True):
        copied.trainable = original.trainable


def build_like(model: keras.Model, x: Any) -> None:
    """Build an unbuilt model by calling it on the sample."""
    if not model.built:
        model(x)


def layer_difference(original: list[keras.Layer], copy: list[keras.Layer]) -> str | None:
    """The first difference between two models' sublayers, in words, or None."""
    if [type(layer) for layer in original] != [type(layer) for layer in copy]:
        return (
            f"its sublayers are [{', '.join(type(layer).__name__ for layer in copy)}], the model's are "
            f"[{', '.join(type(layer).__name__ for layer in original)}]"
        )
    # Same types in the same order, so the same number of layers.
    for a, b in zip(original, copy, strict=True):
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


# --- the runs' inputs ---------------------------------------------------------------------


def symbolic_input(leaf: Any) -> keras.KerasTensor:
    """A `keras.Input` shaped like one array of the sample, without its batch dimension."""
    dtype = keras.backend.standardize_dtype(leaf.dtype)
    if dtype == "float64":
        dtype = keras.config.floatx()  # as fit and predict convert NumPy float64
    return keras.Input(shape=tuple(leaf.shape[1:]), dtype=dtype)


def batch_size(x: Any) -> int:
    """The number of samples: all of them go in one batch."""
    return int(keras.tree.flatten(x)[0].shape[0])


def call_with_argument(model: keras.Model, name: str) -> Callable[[Any, Any], Any]:
    """`f(inputs, value)` calling `model(inputs, name=value)`, for tf.function to trace."""

    def call(inputs: Any, value: Any) -> Any:
        return model(inputs, **{name: value})

    return call


# --- comparing outputs --------------------------------------------------------------------


def _depends_on_training(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether `call` gives different outputs for `training=True` and `training=False`."""
    try:
        outputs = [to_numpy(call(*args, **{**kwargs, "training": value})) for value in (True, False)]
    except Exception:  # noqa: BLE001 - cannot tell, so assume it does
        return True
    return not same_outputs(*outputs)


def _random_like(structure: Any) -> Any:
    """`structure` with each floating-point array or tensor replaced by seeded random normal values."""
    rng = np.random.default_rng(0)

    def replace(value: Any) -> Any:
        dtype = getattr(value, "dtype", None)
        if dtype is None or "float" not in keras.backend.standardize_dtype(dtype):
            return value
        try:
            return rng.standard_normal(tuple(value.shape)).astype(keras.backend.standardize_dtype(dtype))
        except TypeError:  # a dtype NumPy cannot hold, such as bfloat16 without ml_dtypes
            return value

    return keras.tree.map_structure(replace, structure)


def to_numpy(outputs: Any) -> Any:
    """The outputs, same structure, as NumPy arrays."""
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), outputs)


def same_outputs(a: Any, b: Any) -> bool:
    """Whether two NumPy output structures hold the same shapes and (nearly) the same values."""
    try:
        leaves_a, leaves_b = keras.tree.flatten(a), keras.tree.flatten(b)
    except Exception:  # noqa: BLE001
        return False
    if len(leaves_a) != len(leaves_b):
        return False
    return all(
        x.shape == y.shape and np.allclose(x.astype("float64"), y.astype("float64"), rtol=1e-4, atol=1e-5)
        for x, y in zip(leaves_a, leaves_b, strict=True)
    )


def difference_text(expected: Any, got: Any) -> str:
    """How `got` differs from `expected`, in words."""
    leaves_a, leaves_b = keras.tree.flatten(expected), keras.tree.flatten(got)
    if len(leaves_a) != len(leaves_b):
        return f"{len(leaves_b)} outputs instead of {len(leaves_a)}"
    for a, b in zip(leaves_a, leaves_b, strict=True):
        if a.shape != b.shape:
            return f"shape {tuple(b.shape)} instead of {tuple(a.shape)}"
        if not np.allclose(a, b, rtol=1e-4, atol=1e-5):
            largest = float(np.max(np.abs(a.astype("float64") - b.astype("float64"))))
            return f"largest difference {largest:.3g}"
    return "none"


# --- recording the training value each sublayer receives ---------------------------


@dataclasses.dataclass(frozen=True)
class TrainingRecord:
    """One call of a sublayer that takes `training`: in which phase, and the value it got."""

    phase: str
    layer: str
    name: str
    training: Any


class TrainingRecorder:
    """Wraps `call` on the copy's sublayers that take `training` (the copy is thrown away)."""

    def __init__(self) -> None:
        self.records: list[TrainingRecord] = []
        self.current = "call"
        # The arguments of each layer's first eager call, to try both training values on.
        self.arguments: dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = {}
        self.uses: dict[str, bool] = {}

    def uses_training(self, name: str) -> bool:
        """Whether the layer's output depends on `training`.

        Runs the layer's `call` on the arguments its first eager call received,
        with `training=True` and with `training=False`. When both give the same
        outputs, it tries once more on random normal values in place of the
        floating-point arguments: the sample's activations can hide the
        difference (after a ReLU they may all be zero, and Dropout changes no
        zero). A layer that was not called eagerly, or whose `call` raises
        here, counts as using it.
        """
        if name not in self.uses:
            if name not in self.arguments:
                self.uses[name] = True
            else:
                original, args, kwargs = self.arguments[name]
                self.uses[name] = _depends_on_training(original, args, kwargs) or _depends_on_training(
                    original, *_random_like((args, kwargs))
                )
        return self.uses[name]

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Inside, the records are of the phase `name` (`"fit"`, `"predict"`...)."""
        previous, self.current = self.current, name
        try:
            yield
        finally:
            self.current = previous

    def install(self, model: keras.Model) -> None:
        for layer in sublayers(model):
            signature = inspect.signature(layer.call)
            if "training" in signature.parameters:
                object.__setattr__(layer, "call", self._wrap(layer, layer.call, signature))

    def _wrap(
        self, layer: keras.Layer, original: Callable[..., Any], signature: inspect.Signature
    ) -> Callable[..., Any]:
        def recording_call(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                training = bound.arguments.get("training")
            except TypeError:
                training = kwargs.get("training")
            if not (training is None or isinstance(training, bool)):
                training = "a tensor"
            self.records.append(TrainingRecord(self.current, type(layer).__name__, layer.name, training))
            if self.current == "call" and layer.name not in self.arguments and _concrete(args, kwargs):
                self.arguments[layer.name] = (original, args, kwargs)
            return original(*args, **kwargs)

        # Only `__wrapped__`, so `inspect.signature` reads the layer's own signature.
        return functools.update_wrapper(recording_call, original, assigned=(), updated=())


def _concrete(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True for arguments with values: an eager call, not a symbolic or traced one."""
    import tensorflow as tf  # the backend, already imported by keras

    leaves = keras.tree.flatten((args, kwargs))
    return bool(tf.executing_eagerly()) and not any(isinstance(leaf, keras.KerasTensor) for leaf in leaves)


def unique_records(records: list[TrainingRecord]) -> list[TrainingRecord]:
    """The records, each (layer name, training value) once, in order."""
    seen: set[tuple[str, Any]] = set()
    kept = []
    for record in records:
        key = (record.name, record.training)
        if key not in seen:
            seen.add(key)
            kept.append(record)
    return kept
