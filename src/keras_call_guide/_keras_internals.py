"""Every piece of Keras the tracer and the checkup use that is not Keras's public API.

Keras 3 has no public way to walk every layer of a model, to ask whether a
call runs in its symbolic scope, or to read the mask Keras attached to a
tensor, so the tracer reads Keras's own private attributes and modules. They
are all read here, and only here. When a Keras release removes or renames
one, the function that reads it raises `KerasInternalsError` naming the
attribute and the installed Keras version, instead of letting the tracer
record wrong values quietly.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import keras

__all__ = [
    "KerasInternalsError",
    "call_context_arguments",
    "flatten_layers",
    "in_symbolic_scope",
    "is_compiled",
    "keras_mask",
    "run_eagerly_afresh",
    "train_function_set_aside",
]


class KerasInternalsError(RuntimeError):
    """A private part of Keras that the tracer or the checkup relies on is missing."""


def _missing(what: str, where: str) -> KerasInternalsError:
    return KerasInternalsError(
        f"keras_call_guide (the tracer and the checkup) reads {what} from {where}, "
        "which is private Keras API, "
        f"and Keras {keras.__version__} does not have it. This version of keras_call_guide "
        "does not support this Keras version."
    )


def _attribute(obj: object, name: str) -> Any:
    try:
        return getattr(obj, name)
    except AttributeError:
        raise _missing(f"`{name}`", f"{type(obj).__name__} objects") from None


def _private_function(module: str, name: str) -> Callable[..., Any]:
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise _missing(f"`{name}`", f"`{module}`") from None
    return found


def flatten_layers(model: keras.Layer) -> list[keras.Layer]:
    """The model, then every layer it tracks, each once (shared layers too).

    `Layer._flatten_layers` is how Keras itself walks a model; the public
    `Model.layers` lists only direct children.
    """
    walk = _attribute(model, "_flatten_layers")
    return list(walk(include_self=True, recursive=True))


def call_context_arguments(layer: keras.Layer) -> frozenset[str]:
    """The `call` arguments Keras accepts even when `call` does not declare them.

    `training` always; more if the layer registered others. `Layer.__call__`
    strips them before binding the arguments to `call`'s signature.
    """
    return frozenset(_attribute(layer, "_call_context_args"))


def keras_mask(tensor: Any) -> Any:
    """The mask Keras attached to `tensor` (a masking layer's output), or None."""
    return _private_function("keras.src.backend", "get_keras_mask")(tensor)


def in_symbolic_scope() -> bool:
    """Whether code runs inside `keras.SymbolicScope` (Keras's build pass).

    The scope is public; asking whether one is active is not.
    """
    query = _private_function("keras.src.backend.common.symbolic_scope", "in_symbolic_scope")
    return bool(query())


def is_compiled(model: keras.Model) -> bool:
    """Whether `model.compile` has run (`Trainer.compiled`, set by `compile`)."""
    return bool(_attribute(model, "compiled"))


@contextlib.contextmanager
def train_function_set_aside(model: keras.Model) -> Iterator[None]:
    """Inside, `model.train_function` is None, so `fit` traces a fresh step.

    `fit` reuses the compiled step it keeps in `train_function` (an
    undocumented attribute of Keras's trainers) and builds one when it is
    None. The model's own function is put back on exit, even after an error.
    Under JAX, JAX's trace caches are cleared as well (`jax.clear_caches`),
    so other jitted functions trace again on their next call.
    """
    saved = _attribute(model, "train_function")
    model.train_function = None
    if keras.backend.backend() == "jax":
        import jax  # the backend, already imported by keras

        # Keras's JAX trainer jits the bound `train_step` again, and jax.jit
        # keeps its traces per function: without this the new step reuses
        # the earlier trace and the layers' `call` is not run at all.
        jax.clear_caches()  # type: ignore[no-untyped-call, unused-ignore]  # typed only where jax is installed
    try:
        yield
    finally:
        model.train_function = saved


@contextlib.contextmanager
def run_eagerly_afresh(model: keras.Model) -> Iterator[None]:
    """Inside, `model.fit` and `model.predict` run eagerly, with step functions made anew.

    `fit` and `predict` reuse the step they keep in `train_function` and
    `predict_function` (undocumented attributes of Keras's trainers), made
    traced or eager as `run_eagerly` was when they were made; setting them to
    None makes the next run build them again. On exit `run_eagerly` is put
    back and both are dropped again, so the next run builds them as the
    model's own `run_eagerly` says, even after an error.
    """
    for name in ("train_function", "predict_function"):
        _attribute(model, name)
    saved = model.run_eagerly
    model.run_eagerly = True
    model.predict_function = model.train_function = None
    try:
        yield
    finally:
        model.run_eagerly = saved
        model.predict_function = model.train_function = None
