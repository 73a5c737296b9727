"""Record what every layer's `call` receives when a model runs.

[`trace_calls`][keras_call_guide.tracer.trace_calls] runs a model once and
returns one record per layer call, in the order the calls started: the
layer's place in the model, the `training` value its `call` received, the
mask that arrived, input and output shapes, and whether the call belonged to
Keras's symbolic build pass. It answers "what did my Dropout actually get?"
for any Keras 3 model, without editing the model's code.

[`trace_train_step`][keras_call_guide.tracer.trace_train_step] does the same
for one training step as `fit` runs it: the records come from `fit` tracing
its compiled train function, which is where the `training` value the layers
see during training is decided.

This module is the public API. The records and their table live in
`_records`, the wrapping and restoring of each layer's `call` in
`_wrapping`, and every use of Keras's private API in `_keras_internals`.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras

from keras_call_guide import _keras_internals
from keras_call_guide._records import NO_TRAINING_PARAMETER, CallRecord, CallTrace, MaskInfo
from keras_call_guide._wrapping import Recorder, shape_of

__all__ = [
    "NO_TRAINING_PARAMETER",
    "CallRecord",
    "CallTrace",
    "MaskInfo",
    "trace_calls",
    "trace_train_step",
]


def trace_calls(model: keras.Layer, *args: Any, **kwargs: Any) -> CallTrace:
    """Call `model(*args, **kwargs)` once and record every layer call in it.

    The model runs exactly as it would without tracing: the same `training`
    and mask resolution, the same outputs. Works with subclassed, Functional
    and Sequential models, nested models and any `keras.Layer`. A model
    called for the first time also runs Keras's symbolic build pass; those
    records have `symbolic=True`.

    Layers created during the traced call itself (for example inside a
    custom `build`) are not traced: only layers the model tracks when
    `trace_calls` starts are.

    Args:
        model: A Keras 3 `keras.Model` or `keras.Layer`.
        *args: Positional arguments for the model, as for `model(...)`.
        **kwargs: Keyword arguments for the model, such as `training=True`.

    Returns:
        The model's outputs and one
            [`CallRecord`][keras_call_guide.tracer.CallRecord] per layer call,
            in the order the calls started.

    Raises:
        TypeError: If `model` is not a Keras 3 layer or model, or if the
            arguments do not fit the signature of the model's `call`.
        RuntimeError: If the installed Keras lacks one of the private
            attributes the tracer reads; the message names it and the Keras
            version.
        Exception: Whatever the model's call raises, unchanged, after every
            layer's `call` has been restored.

    Examples:
        >>> import keras
        >>> from keras_call_guide import DropoutClassifier, trace_calls
        >>> model = DropoutClassifier(hidden_units=4, num_classes=2, name="clf")
        >>> x = keras.ops.ones((3, 5))
        >>> _ = model(x)  # build first, so only the real call is traced
        >>> trace = trace_calls(model, x, training=True)
        >>> [record.training for record in trace]
        [True, True, True, True]
        >>> print(trace)
        path            layer              training  mask  inputs  output  pass
        --------------  -----------------  --------  ----  ------  ------  -----
        clf             DropoutClassifier  True      -     (3, 5)  (3, 2)  eager
        clf/hidden      Dense              True      -     (3, 5)  (3, 4)  eager
        clf/dropout     Dropout            True      -     (3, 4)  (3, 4)  eager
        clf/classifier  Dense              True      -     (3, 4)  (3, 2)  eager
    """
    _check_layer(model, "trace_calls")
    _check_arguments(model, args, kwargs)
    recorder = Recorder(model)
    with recorder.installed():
        outputs = model(*args, **kwargs)
    return CallTrace(outputs=outputs, records=recorder.records())


def trace_train_step(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    sample_weight: Any = None,
) -> CallTrace:
    """Run one `fit` step on one batch and record every layer call in it.

    Calls `model.fit(x, y, batch_size=<all samples>, epochs=1, verbose=0,
    shuffle=False)`, so all of `x` is one batch and `fit` runs one step,
    exactly as `fit` runs it: the weights and the optimizer are updated as
    after one step of `fit`. Unless the model was compiled with
    `run_eagerly=True`, the step is compiled (a `tf.function` under
    TensorFlow, `jax.jit` under JAX; under PyTorch only with
    `jit_compile=True`), and the records come from `fit` tracing it: `call`
    runs as Python while the step is traced (`eager=False`; shapes are
    static shapes, with `None` for a dimension left open), and then the
    compiled step runs without any Python. The `training` values recorded are the
    Python values the layers received while the graph was built, which is
    what the step uses at every run.

    If the model is not built yet, it is built inside that trace: Keras's
    symbolic build pass appears first (`symbolic=True`), and TensorFlow
    may trace the step more than once, each trace adding its records. Under
    JAX and PyTorch, `fit` also builds its metrics in a symbolic pass
    before the step, even for a built model.

    To see the trace again, `fit` is made to trace a fresh train function:
    the model's `train_function` is set aside during the step and put back
    afterwards, so the model keeps the compiled function it had.

    Args:
        model: A compiled Keras 3 `keras.Model`.
        x: The inputs of one batch: an array, or a tuple, list or dict of
            arrays, as `fit` accepts them. Every sample goes into the batch.
        y: The targets, as for `fit`.
        sample_weight: Optional sample weights, as for `fit`.

    Returns:
        The step's logs as `outputs` (metric name to float, as in
            `History.history`) and the layer calls `fit` made as `records`.

    Raises:
        TypeError: If `model` is not a Keras 3 `keras.Model`, or `x` holds
            something without a batch dimension.
        ValueError: If the model is not compiled or `x` is empty.
        RuntimeError: If the installed Keras lacks one of the private
            attributes the tracer reads; the message names it and the Keras
            version.
        Exception: Whatever `fit` raises, unchanged, after every layer's
            `call` and the train function have been restored.

    Examples:
        >>> import numpy as np
        >>> from keras_call_guide import DropoutClassifier, trace_train_step
        >>> model = DropoutClassifier(hidden_units=4, num_classes=2, name="clf")
        >>> model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        >>> x = np.ones((3, 5), dtype="float32")
        >>> _ = model(x)  # build first, so fit has no build pass
        >>> trace = trace_train_step(model, x, np.array([0, 1, 0]))
        >>> sorted(trace.outputs)
        ['loss']
        >>> print(trace.filter(path="clf/dropout"))
        path         layer    training  mask  inputs  output  pass
        -----------  -------  --------  ----  ------  ------  -----
        clf/dropout  Dropout  True      -     (3, 4)  (3, 4)  graph
    """
    if not isinstance(model, keras.Model):
        _check_layer(model, "trace_train_step")  # names a non-Keras object precisely
        raise TypeError(
            "trace_train_step expects a keras.Model (it runs `fit`); got a "
            f"{type(model).__name__} layer. Wrap it in a model, or use trace_calls."
        )
    if not _keras_internals.is_compiled(model):
        raise ValueError(
            f"trace_train_step needs a compiled model; {type(model).__name__} "
            "is not compiled. Call model.compile(optimizer=..., loss=...) first."
        )
    batch_size = _batch_size(x)
    recorder = Recorder(model)
    # fit traces a fresh step, which is what is recorded.
    with _keras_internals.train_function_set_aside(model), recorder.installed():
        history = model.fit(
            x,
            y,
            sample_weight=sample_weight,
            batch_size=batch_size,
            epochs=1,
            verbose=0,
            shuffle=False,
        )
    logs = {name: float(values[-1]) for name, values in history.history.items()}
    return CallTrace(outputs=logs, records=recorder.records())


# --- checks ---------------------------------------------------------------


def _check_layer(model: object, caller: str) -> None:
    if isinstance(model, keras.Layer):
        return
    module = type(model).__module__ or ""
    if module.startswith(("tf_keras", "keras.src.legacy", "tensorflow.python.keras")) or (
        module.startswith("keras.") and not module.startswith("keras.src")
    ):
        raise TypeError(
            f"{caller} expects a Keras 3 keras.Model or keras.Layer; got "
            f"{type(model).__module__}.{type(model).__qualname__}, which is from "
            "legacy tf.keras (Keras 2). Build the model with `import keras`."
        )
    raise TypeError(
        f"{caller} expects a Keras 3 keras.Model or keras.Layer; got {type(model).__name__} ({model!r:.60})."
    )


def _check_arguments(model: keras.Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Bind the arguments the way `Layer.__call__` does, with a clearer error."""
    signature = inspect.signature(model.call)
    # Keras accepts `training` (and any other context argument) even when
    # `call` does not declare it; it strips it before binding.
    context_args = _keras_internals.call_context_arguments(model)
    to_bind = {k: v for k, v in kwargs.items() if k in signature.parameters or k not in context_args}
    try:
        signature.bind(*args, **to_bind)
    except TypeError as error:
        raise TypeError(
            f"trace_calls: {type(model).__name__}.call{signature} does not accept "
            f"these arguments ({_describe_arguments(args, kwargs)}): {error}."
        ) from None
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ][: len(args)]
    taken = sorted(set(positional) & set(context_args))
    if taken:
        # Keras would also inject these by keyword and fail with "got
        # multiple values for argument".
        raise TypeError(
            f"trace_calls: {type(model).__name__}.call{signature} got "
            f"{', '.join(repr(t) for t in taken)} as a positional argument "
            f"({_describe_arguments(args, kwargs)}); pass it by keyword, "
            f"for example {taken[0]}=True."
        )


def _describe_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [_describe_value(a) for a in args]
    parts += [f"{name}={_describe_value(v)}" for name, v in kwargs.items()]
    return ", ".join(parts) if parts else "no arguments"


def _describe_value(value: Any) -> str:
    shape = shape_of(value)
    if shape is not None and not isinstance(value, (list, tuple, dict)):
        return f"tensor of shape {shape}"
    if isinstance(value, (list, tuple, dict)):
        return f"{type(value).__name__} of {len(value)}"
    return repr(value)


def _batch_size(x: Any) -> int:
    leaves = keras.tree.flatten(x)
    if not leaves:
        raise ValueError("trace_train_step needs at least one input array in `x`; got none.")
    first = leaves[0]
    shape = getattr(first, "shape", None)
    if shape is None or len(shape) == 0:
        raise TypeError(
            "trace_train_step expects `x` to be an array, or a tuple, list or dict "
            f"of arrays, with a batch dimension first; got {type(first).__name__}."
        )
    if shape[0] == 0:
        raise ValueError("trace_train_step needs at least one sample; `x` has 0.")
    return int(shape[0])
