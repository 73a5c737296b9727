"""What the tracer records, and the table `str(trace)` prints.

Plain frozen data: nothing here imports Keras. `keras_call_guide.tracer`
exports these names; their documented home is that module.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from typing import Any

__all__ = ["NO_TRAINING_PARAMETER", "CallRecord", "CallTrace", "MaskInfo"]


class _NoTrainingParameter(enum.Enum):
    """The type of `NO_TRAINING_PARAMETER`, an enum with that one member."""

    NO_TRAINING_PARAMETER = "NO_TRAINING_PARAMETER"

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


NO_TRAINING_PARAMETER = _NoTrainingParameter.NO_TRAINING_PARAMETER
"""The `training` of a record whose layer's `call` has no `training` parameter.

Such a `call` receives no `training` value at all, which is different from
receiving `None`. Compare with `is`:
`record.training is NO_TRAINING_PARAMETER`. It prints as its name.
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
            signature filled in;
            [`NO_TRAINING_PARAMETER`][keras_call_guide.tracer.NO_TRAINING_PARAMETER]
            when `call` has no `training` parameter. A tensor value is
            described as a string.
        masks: The masks `call` received, one
            [`MaskInfo`][keras_call_guide.tracer.MaskInfo] per mask argument
            that received a value other than `None`; empty when none did.
        attached_masks: The masks attached to the tensors `call` received
            (Keras carries a mask on the tensor a masking layer returns), one
            [`MaskInfo`][keras_call_guide.tracer.MaskInfo] per tensor argument
            that carries one, whether or not `call` takes a mask argument.
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
            while the backend's compiler traced it (`tf.function`, `jax.jit`
            or `torch.compile`, as in `fit`'s compiled step) or during a
            symbolic pass, when only shapes, not values, exist.
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
    """What a traced call returned, and one record per layer call in it.

    [`trace_calls`][keras_call_guide.tracer.trace_calls] and
    [`trace_train_step`][keras_call_guide.tracer.trace_train_step] return one.
    Iterating over a trace, or taking its `len`, goes over its records.
    `str(trace)` is a table with one row per record. In it, `training` is
    `-` for a `call` without a `training` parameter; `mask` shows the mask
    `call` received (its shape and how many entries it keeps), or, when it
    received none, `on input` and the mask attached to its input, or `-`;
    `pass` is `symbolic` (Keras's symbolic pass, nothing computed), `graph`
    (traced by `tf.function`, `jax.jit` or `torch.compile`) or `eager` (run on values).

    Attributes:
        outputs: What the traced call returned: the model's outputs for
            [`trace_calls`][keras_call_guide.tracer.trace_calls], the `fit`
            logs (metric name to float) for
            [`trace_train_step`][keras_call_guide.tracer.trace_train_step].
        records: One [`CallRecord`][keras_call_guide.tracer.CallRecord] per
            layer call, in the order the calls started (an outer layer
            before the layers it calls).
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
            A new trace with the same `outputs` and the matching records, in
                their order.
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
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


# --- the table ---------------------------------------------------------------


def _table_row(record: CallRecord) -> tuple[str, ...]:
    if record.training is NO_TRAINING_PARAMETER:
        training = "-"
    else:
        training = str(record.training)
    masks = ", ".join(_mask_cell(info) for info in record.masks)
    if not masks and record.attached_masks:
        attached = (_mask_cell(info, named=False) for info in record.attached_masks)
        masks = "on input " + ", ".join(attached)
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
        dims = ", ".join("None" if d is None else str(d) for d in shape)
        return f"({dims},)" if len(shape) == 1 else f"({dims})"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in shape.items()) + "}"
    return str(shape)
