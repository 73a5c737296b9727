"""Wrap every layer's `call` to record its arguments, and put it back.

For the duration of a traced call, each layer's `call` is replaced on the
instance (never on the class) by a wrapper that records its arguments and
then runs the original. `Layer.__call__` decides what to pass to `call` from
the signature it cached when the layer was created, so the wrapper changes
nothing in that decision. Every wrapper is removed when the `with` block of
`Recorder.installed` ends, so the model is left as it was even when the call
raises.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy

from keras_call_guide import _keras_internals
from keras_call_guide._records import NO_TRAINING_PARAMETER, CallRecord, MaskInfo

__all__ = ["Recorder", "shape_of"]


class Recorder:
    """Records every call of the layers of one model, in the order they start."""

    def __init__(self, model: keras.Layer) -> None:
        # Layers the model tracks now; layers created during the traced call
        # (for example in a custom `build`) are not among them.
        self.layers = _keras_internals.flatten_layers(model)
        self._stack: list[str] = []
        # One slot per call, reserved when the call starts, so an outer
        # call's record comes before the records of the layers it calls.
        self._slots: list[CallRecord | None] = []

    def records(self) -> tuple[CallRecord, ...]:
        return tuple(record for record in self._slots if record is not None)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Recorder]:
        """Inside, every layer's `call` records; on exit each is put back exactly."""
        with contextlib.ExitStack() as restore:
            for layer in self.layers:
                # An instance attribute `call` (rare, but possible) is put back
                # exactly; normally there is none and the class method shows.
                own = vars(layer)
                wrapper = self._wrap(layer, layer.call)
                restore.callback(_put_back, layer, "call" in own, own.get("call"))
                # object.__setattr__ skips Keras's attribute tracking.
                object.__setattr__(layer, "call", wrapper)
            yield self

    def _wrap(self, layer: keras.Layer, original: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(original)

        # Tracebacks and Keras's "Arguments received by" note read the
        # signature through __wrapped__, so they stay those of the original.
        @functools.wraps(original)
        def recording_call(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(layer.name)
            try:
                slot = len(self._slots)
                self._slots.append(None)
                arguments = _bind(signature, args, kwargs)
                started: dict[str, Any] = dict(
                    path="/".join(self._stack),
                    layer=type(layer).__name__,
                    training=_training_value(arguments, signature),
                    masks=_masks(arguments),
                    attached_masks=_attached_masks(arguments),
                    input_shapes=_input_shapes(arguments),
                    symbolic=_keras_internals.in_symbolic_scope(),
                    eager=_executing_eagerly(arguments),
                )
                try:
                    outputs = original(*args, **kwargs)
                except BaseException as error:
                    self._slots[slot] = CallRecord(**started, output_shape=None, error=type(error).__name__)
                    raise
            finally:
                self._stack.pop()
            self._slots[slot] = CallRecord(**started, output_shape=shape_of(outputs))
            return outputs

        return recording_call


def _put_back(layer: keras.Layer, had_own_call: bool, own_call: Any) -> None:
    if had_own_call:
        object.__setattr__(layer, "call", own_call)
    else:
        object.__delattr__(layer, "call")


# --- what a record holds ---------------------------------------------------


def _bind(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments as `call` sees them, defaults filled in."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        # `call` will raise the same error itself; record what we can.
        return {f"arg{i}": a for i, a in enumerate(args)} | dict(kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(name, {}))
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            for i, value in enumerate(arguments.pop(name, ())):
                arguments[f"{name}[{i}]"] = value
    return arguments


def _training_value(arguments: dict[str, Any], signature: inspect.Signature) -> Any:
    if "training" not in signature.parameters and "training" not in arguments:
        return NO_TRAINING_PARAMETER
    value = arguments.get("training")
    if value is None or isinstance(value, bool):
        return value
    if _is_tensor(value):
        return f"tensor {shape_of(value)}"
    return value


def _is_mask_argument(name: str) -> bool:
    return name == "mask" or name.endswith("_mask")


def _masks(arguments: dict[str, Any]) -> tuple[MaskInfo, ...]:
    found = []
    for name, value in arguments.items():
        if not _is_mask_argument(name) or value is None:
            continue
        leaves = [leaf for leaf in keras.tree.flatten(value) if leaf is not None]
        if not leaves or not all(_is_tensor(leaf) for leaf in leaves):
            continue
        found.append(MaskInfo(argument=name, shape=shape_of(value), kept=_count_true(leaves)))
    return tuple(found)


def _attached_masks(arguments: dict[str, Any]) -> tuple[MaskInfo, ...]:
    found = []
    for name, value in arguments.items():
        if _is_mask_argument(name) or name == "training" or value is None:
            continue
        leaves = keras.tree.flatten(value)
        if not leaves or not all(_is_tensor(leaf) or leaf is None for leaf in leaves):
            continue
        masks = keras.tree.map_structure(
            lambda leaf: None if leaf is None else _keras_internals.keras_mask(leaf), value
        )
        present = [m for m in keras.tree.flatten(masks) if m is not None]
        if present:
            found.append(MaskInfo(argument=name, shape=shape_of(masks), kept=_count_true(present)))
    return tuple(found)


def _input_shapes(arguments: dict[str, Any]) -> tuple[Any, ...]:
    shapes = []
    for name, value in arguments.items():
        if _is_mask_argument(name) or name == "training":
            continue
        leaves = keras.tree.flatten(value) if value is not None else []
        if leaves and all(_is_tensor(leaf) or leaf is None for leaf in leaves):
            shapes.append(shape_of(value))
    return tuple(shapes)


def _count_true(leaves: list[Any]) -> int | None:
    values = [_concrete_value(leaf) for leaf in leaves]
    if any(value is None for value in values):
        return None
    return sum(int(numpy.asarray(value).sum()) for value in values)


def _is_tensor(value: Any) -> bool:
    return (
        isinstance(value, keras.KerasTensor)
        or bool(keras.ops.is_tensor(value))
        or (hasattr(value, "shape") and hasattr(value, "dtype"))
    )


def _concrete_value(value: Any) -> Any:
    """The tensor's values as a NumPy array, or None while it is only traced.

    A KerasTensor of the build pass, a tensor of a TensorFlow graph, a
    JAX tracer under `jax.jit` and a tensor that `torch.compile` traces have
    no values yet; converting them would raise or break the trace. A JAX
    tracer under `jax.grad` alone still carries its values.
    """
    if isinstance(value, keras.KerasTensor) or _keras_internals.in_symbolic_scope():
        return None
    backend = keras.backend.backend()
    if backend == "jax":
        import jax  # the backend, already imported by keras

        if isinstance(value, jax.core.Tracer):
            # JAX's own accessor: None when the tracer stands for values not computed yet.
            concrete = getattr(value, "to_concrete_value", lambda: None)()
            return None if concrete is None else numpy.asarray(concrete)
    elif not _backend_executing_eagerly(backend):
        return None
    with warnings.catch_warnings():
        # On PyTorch, Keras converts with np.array(tensor), and NumPy 2 warns that
        # torch.Tensor.__array__ takes no `copy` keyword: not the traced model's warning.
        warnings.simplefilter("ignore", DeprecationWarning)
        return keras.ops.convert_to_numpy(value)


def _executing_eagerly(arguments: dict[str, Any]) -> bool:
    """Whether this call runs as plain Python on values, not inside a compiled function.

    TensorFlow says so itself (`tf.executing_eagerly()` is False inside a
    `tf.function`). JAX has no such switch: under `jax.jit` the arguments are
    tracers without values, so the call is compiled when any argument is.
    PyTorch says whether `torch.compile` is tracing. On every backend, Keras's
    symbolic build pass is not eager.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _backend_executing_eagerly(backend)
    if _keras_internals.in_symbolic_scope():
        return False
    if backend == "jax":
        leaves = [leaf for leaf in keras.tree.flatten(list(arguments.values())) if leaf is not None]
        return all(not _is_tensor(leaf) or _concrete_value(leaf) is not None for leaf in leaves)
    return _backend_executing_eagerly(backend)


def _backend_executing_eagerly(backend: str) -> bool:
    if backend == "tensorflow":
        import tensorflow as tf  # the backend, already imported by keras

        return bool(tf.executing_eagerly())
    if backend == "torch":
        import torch  # the backend, already imported by keras

        return not torch.compiler.is_compiling()
    return True


def shape_of(value: Any) -> Any:
    """A shape tuple, or the same structure of shape tuples; None for non-tensors."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {key: shape_of(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [shape_of(item) for item in value]
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):  # a TensorFlow shape of unknown rank
        return None
