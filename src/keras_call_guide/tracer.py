"""Record what every layer's `call` receives when a model runs.

`trace_calls` runs a model once and returns one record per layer call, in
the order the calls started: the layer's place in the model, the `training`
value its `call` received, the mask that arrived, input and output shapes,
and whether the call belonged to Keras's symbolic build pass. It answers
"what did my Dropout actually get?" for any Keras 3 model, without editing
the model's code.

`trace_train_step` does the same for one training step as `fit` runs it:
the records come from `fit` tracing its compiled train function, which is
where the `training` value the layers see during training is decided.

How it works: for the duration of the call, each layer's `call` is
replaced on the instance (never on the class) by a wrapper that records its
arguments and then runs the original. `Layer.__call__` decides what to pass
to `call` from the signature it cached when the layer was created
(`_call_signature`, `_call_has_training_arg`, `_call_has_mask_arg`), so the
wrapper changes nothing in that decision. Every wrapper is removed in a
`finally` block, so the model is left as it was even when the call raises.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Iterator

import keras

__all__ = [
    "NO_TRAINING_PARAMETER",
    "CallRecord",
    "CallTrace",
    "MaskInfo",
    "trace_calls",
    "trace_train_step",
]


class _NoTrainingParameter:
    """The type of `NO_TRAINING_PARAMETER`; there is exactly one instance."""

    _instance: _NoTrainingParameter | None = None

    def __new__(cls) -> _NoTrainingParameter:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_TRAINING_PARAMETER"

    def __reduce__(self) -> str:
        return "NO_TRAINING_PARAMETER"


NO_TRAINING_PARAMETER = _NoTrainingParameter()
"""The `training` of a record whose layer's `call` has no `training` parameter.

Such a `call` receives no `training` value at all, which is different from
receiving `None`.
"""


@dataclasses.dataclass(frozen=True)
class MaskInfo:
    """A mask that arrived in a `call` argument.

    Attributes:
        argument: The `call` parameter it arrived in: `"mask"`, or
            `"<name>_mask"` when `call` takes several tensor arguments. For
            a mask attached to an input tensor, the parameter that tensor
            arrived in, such as `"inputs"`.
        shape: The mask's shape as a tuple (`None` for an unknown dimension),
            or a list of such shapes (`None` for a missing one) when the
            argument holds several masks.
        kept: How many entries are `True` (the steps the mask keeps), or
            `None` when the mask is symbolic and has no values yet.
    """

    argument: str
    shape: Any
    kept: int | None


@dataclasses.dataclass(frozen=True)
class CallRecord:
    """One call of one layer's `call`, as the layer received it.

    Attributes:
        path: The layer's place in the call, the names of the calling layers
            and its own joined by `/`, such as `"outer/block/dropout"`. A
            shared layer gets one record per call, each with the path it was
            called from.
        layer: The layer's class name.
        training: The value of the `training` parameter inside `call`
            (`True`, `False` or `None`), including a default that `call`'s
            signature filled in; `NO_TRAINING_PARAMETER` when `call` has no
            `training` parameter. A tensor value is described as a string.
        masks: The masks `call` received, one `MaskInfo` per mask argument
            that received a value other than `None`; empty when none did.
        attached_masks: The masks attached to the tensors `call` received
            (Keras carries a mask on the tensor a masking layer returns), one
            `MaskInfo` per tensor argument that carries one, whether or not
            `call` takes a mask argument.
        input_shapes: One shape per tensor argument, in signature order
            (masks excluded). A shape is a tuple with `None` for an unknown
            dimension, or a list or dict of shapes for a structured argument.
        output_shape: The shape, or structure of shapes, `call` returned;
            `None` if it raised.
        symbolic: `True` when the call ran inside Keras's symbolic scope
            (`keras.SymbolicScope`): the build pass Keras runs in a scratch
            graph to create weights or infer output shapes, and calls on
            `keras.Input` tensors. Nothing such a call computes is kept.
        eager: `True` when the call ran eagerly on concrete values; `False`
            while TensorFlow traced it into a graph (inside `fit`'s compiled
            step, or during a symbolic pass), when only shapes, not values,
            exist.
        error: The exception's type name if `call` raised, else `None`.
    """

    path: str
    layer: str
    training: Any
    masks: tuple[MaskInfo, ...]
    attached_masks: tuple[MaskInfo, ...]
    input_shapes: tuple[Any, ...]
    output_shape: Any
    symbolic: bool
    eager: bool
    error: str | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class CallTrace:
    """What `trace_calls` or `trace_train_step` saw.

    Attributes:
        outputs: What the traced call returned: the model's outputs for
            `trace_calls`, the `fit` logs (metric name to float) for
            `trace_train_step`.
        records: One `CallRecord` per layer call, in the order the calls
            started (an outer layer before the layers it calls).

    `str(trace)` is a table with one row per record. In it, `training` is
    `-` for a `call` without a `training` parameter; `mask` shows the mask
    `call` received (its shape and how many entries it keeps), or, when it
    received none, `on input` and the mask attached to its input, or `-`;
    `pass` is `symbolic` (Keras's symbolic pass, nothing computed), `graph`
    (traced into a TensorFlow graph) or `eager` (run on values).
    """

    outputs: Any
    records: tuple[CallRecord, ...]

    def __iter__(self) -> Iterator[CallRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def filter(self, *, symbolic: bool | None = None, path: str | None = None) -> CallTrace:
        """Return a trace with only the records that match.

        Args:
            symbolic: Keep only records whose `symbolic` equals this value;
                `None` keeps both.
            path: Keep only records whose path equals this, or starts with it
                followed by `/` (the layer and everything it calls); `None`
                keeps all paths.

        Returns:
            A new `CallTrace` with the same `outputs`.
        """
        records = [
            record
            for record in self.records
            if (symbolic is None or record.symbolic == symbolic)
            and (path is None or record.path == path or record.path.startswith(path + "/"))
        ]
        return CallTrace(outputs=self.outputs, records=tuple(records))

    def __str__(self) -> str:
        header = ("path", "layer", "training", "mask", "inputs", "output", "pass")
        rows = [header] + [_table_row(record) for record in self.records]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


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
        A `CallTrace` with the model's outputs and one `CallRecord` per layer
        call, in the order the calls started.

    Raises:
        TypeError: If `model` is not a Keras 3 layer or model, or if the
            arguments do not fit the signature of the model's `call`.
        Exception: Whatever the model's call raises, unchanged, after every
            layer's `call` has been restored.

    Examples:
        >>> import keras
        >>> from keras_call_guide import DropoutClassifier, trace_calls
        >>> model = DropoutClassifier(hidden_units=4, num_classes=2, name="clf")
        >>> x = keras.ops.ones((3, 5))
        >>> _ = model(x)  # build first, so only the real call is traced
        >>> trace = trace_calls(model, x, training=True)
        >>> [(r.path, r.training) for r in trace.records]
        [('clf', True), ('clf/hidden', True), ('clf/dropout', True), ('clf/classifier', True)]
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
    recorder = _Recorder(model)
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
    `run_eagerly=True`, the step is a compiled TensorFlow function, and the
    records come from `fit` tracing it: `call` runs as Python while the
    graph is built (`eager=False`; shapes are static shapes, with `None`
    for a dimension the graph leaves open), and then the graph runs without
    any Python. The `training` values recorded are the
    Python values the layers received while the graph was built, which is
    what the step uses at every run.

    If the model is not built yet, it is built inside that trace: Keras's
    symbolic build pass appears first (`symbolic=True`), and TensorFlow
    may trace the step more than once, each trace adding its records.

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
        A `CallTrace` whose `outputs` are the step's logs (metric name to
        float, as in `History.history`) and whose records are the layer
        calls `fit` made.

    Raises:
        TypeError: If `model` is not a Keras 3 `keras.Model`, or `x` holds
            something without a batch dimension.
        ValueError: If the model is not compiled or `x` is empty.
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
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"trace_train_step needs a compiled model; {type(model).__name__} "
            "is not compiled. Call model.compile(optimizer=..., loss=...) first."
        )
    batch_size = _batch_size(x)
    recorder = _Recorder(model)
    saved_train_function = model.train_function
    model.train_function = None  # fit traces a fresh step, which is what we record
    try:
        with recorder.installed():
            history = model.fit(
                x,
                y,
                sample_weight=sample_weight,
                batch_size=batch_size,
                epochs=1,
                verbose=0,
                shuffle=False,
            )
    finally:
        model.train_function = saved_train_function
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
        f"{caller} expects a Keras 3 keras.Model or keras.Layer; got "
        f"{type(model).__name__} ({model!r:.60})."
    )


def _check_arguments(model: keras.Layer, args: tuple, kwargs: dict) -> None:
    """Bind the arguments the way `Layer.__call__` does, with a clearer error."""
    signature = model._call_signature
    # Keras accepts `training` (and any other context argument) even when
    # `call` does not declare it; it strips it before binding.
    context_args = getattr(model, "_call_context_args", {"training"})
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


def _describe_arguments(args: tuple, kwargs: dict) -> str:
    parts = [_describe_value(a) for a in args]
    parts += [f"{name}={_describe_value(v)}" for name, v in kwargs.items()]
    return ", ".join(parts) if parts else "no arguments"


def _describe_value(value: Any) -> str:
    shape = _shape(value)
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


# --- recording ------------------------------------------------------------


class _Recorder:
    """Installs the recording wrappers on every layer and removes them again."""

    def __init__(self, model: keras.Layer):
        # `_flatten_layers` is how Keras itself walks a model: the model,
        # then every tracked sublayer once (shared layers included once).
        self.layers = list(model._flatten_layers(include_self=True, recursive=True))
        self.stack: list[str] = []
        self.slots: list[CallRecord | None] = []

    def records(self) -> tuple[CallRecord, ...]:
        return tuple(record for record in self.slots if record is not None)

    def installed(self) -> _Installed:
        return _Installed(self)

    def wrap(self, layer: keras.Layer, original: Callable) -> Callable:
        signature = layer._call_signature

        def recording_call(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(layer.name)
            try:
                slot = len(self.slots)
                self.slots.append(None)  # keeps the start order for nested calls
                bound = _bind(signature, args, kwargs)
                started = dict(
                    path="/".join(self.stack),
                    layer=type(layer).__name__,
                    training=_training_value(bound, signature),
                    masks=_masks(bound),
                    attached_masks=_attached_masks(bound),
                    input_shapes=_input_shapes(bound),
                    symbolic=_in_symbolic_scope(),
                    eager=_executing_eagerly(),
                )
                try:
                    outputs = original(*args, **kwargs)
                except BaseException as error:
                    self.slots[slot] = CallRecord(
                        **started, output_shape=None, error=type(error).__name__
                    )
                    raise
            finally:
                self.stack.pop()
            self.slots[slot] = CallRecord(**started, output_shape=_shape(outputs))
            return outputs

        # Tracebacks and Keras's "Arguments received by" note read the
        # signature through __wrapped__, so they stay those of the original.
        recording_call.__wrapped__ = original
        recording_call.__name__ = getattr(original, "__name__", "call")
        recording_call.__qualname__ = getattr(original, "__qualname__", "call")
        recording_call.__doc__ = getattr(original, "__doc__", None)
        return recording_call


class _Installed:
    """Context manager: wrappers on while inside, originals back on exit."""

    _MISSING = object()

    def __init__(self, recorder: _Recorder):
        self.recorder = recorder
        self.saved: list[tuple[keras.Layer, Any]] = []

    def __enter__(self) -> _Recorder:
        try:
            for layer in self.recorder.layers:
                # An instance attribute `call` (rare, but possible) is put back
                # exactly; normally there is none and the class method shows.
                previous = layer.__dict__.get("call", self._MISSING)
                wrapper = self.recorder.wrap(layer, layer.call)
                self.saved.append((layer, previous))
                # object.__setattr__ skips Keras's attribute tracking.
                object.__setattr__(layer, "call", wrapper)
        except BaseException:
            self._restore()
            raise
        return self.recorder

    def __exit__(self, *exc_info: Any) -> None:
        self._restore()

    def _restore(self) -> None:
        while self.saved:
            layer, previous = self.saved.pop()
            if previous is self._MISSING:
                object.__delattr__(layer, "call")
            else:
                object.__setattr__(layer, "call", previous)


# --- what a record holds ---------------------------------------------------


def _bind(signature: inspect.Signature, args: tuple, kwargs: dict) -> dict[str, Any]:
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
        return f"tensor {_shape(value)}"
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
        found.append(MaskInfo(argument=name, shape=_shape(value), kept=_count_true(leaves)))
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
            lambda leaf: None if leaf is None else _get_keras_mask(leaf), value
        )
        present = [m for m in keras.tree.flatten(masks) if m is not None]
        if present:
            found.append(MaskInfo(argument=name, shape=_shape(masks), kept=_count_true(present)))
    return tuple(found)


def _input_shapes(arguments: dict[str, Any]) -> tuple[Any, ...]:
    shapes = []
    for name, value in arguments.items():
        if _is_mask_argument(name) or name == "training":
            continue
        leaves = keras.tree.flatten(value) if value is not None else []
        if leaves and all(_is_tensor(leaf) or leaf is None for leaf in leaves):
            shapes.append(_shape(value))
    return tuple(shapes)


def _count_true(leaves: list[Any]) -> int | None:
    if not all(_has_values(leaf) for leaf in leaves):
        return None
    return int(sum(int(keras.ops.convert_to_numpy(leaf).sum()) for leaf in leaves))


def _is_tensor(value: Any) -> bool:
    return isinstance(value, keras.KerasTensor) or keras.ops.is_tensor(value) or (
        hasattr(value, "shape") and hasattr(value, "dtype")
    )


def _has_values(value: Any) -> bool:
    return not isinstance(value, keras.KerasTensor) and _executing_eagerly()


def _shape(value: Any) -> Any:
    """A shape tuple, or the same structure of shape tuples; None for non-tensors."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shape(item) for item in value]
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):  # a TensorFlow shape of unknown rank
        return None


def _get_keras_mask(tensor: Any) -> Any:
    # How Keras reads the mask a layer attached to a tensor; not public API.
    try:
        from keras.src.backend import get_keras_mask
    except ImportError:  # pragma: no cover - depends on the Keras version
        return getattr(tensor, "_keras_mask", None)
    return get_keras_mask(tensor)


def _in_symbolic_scope() -> bool:
    # keras.SymbolicScope is public, the query for it is not; fall back to
    # "not symbolic" if a future Keras moves it.
    try:
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    except ImportError:  # pragma: no cover - depends on the Keras version
        return False
    return bool(in_symbolic_scope())


def _executing_eagerly() -> bool:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # already imported by keras with this backend

        return bool(tf.executing_eagerly())
    return not _in_symbolic_scope()


# --- the table ---------------------------------------------------------------


def _table_row(record: CallRecord) -> tuple[str, ...]:
    if record.training is NO_TRAINING_PARAMETER:
        training = "-"
    else:
        training = str(record.training)
    masks = ", ".join(_mask_cell(info) for info in record.masks)
    if not masks and record.attached_masks:
        masks = "on input " + ", ".join(_mask_cell(info, named=False) for info in record.attached_masks)
    masks = masks or "-"
    inputs = ", ".join(_shape_text(s) for s in record.input_shapes) or "-"
    if record.error is not None:
        output = f"raised {record.error}"
    else:
        output = _shape_text(record.output_shape)
    if record.symbolic:
        phase = "symbolic"
    elif record.eager:
        phase = "eager"
    else:
        phase = "graph"
    return (record.path, record.layer, training, masks, inputs, output, phase)


def _mask_cell(info: MaskInfo, named: bool = True) -> str:
    name = "" if info.argument == "mask" or not named else f"{info.argument}="
    kept = "" if info.kept is None else f" kept {info.kept}"
    return f"{name}{_shape_text(info.shape)}{kept}"


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "-"
    if isinstance(shape, tuple):
        return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in shape.items()) + "}"
    return str(shape)
