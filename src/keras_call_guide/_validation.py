"""Argument checks shared by the package's constructors.

Each check raises an error that names the argument, what was expected and
what was given, so a bad value never reaches Keras and fails somewhere less
clear.
"""

from __future__ import annotations

import numbers


def positive_int(name: str, value: object) -> int:
    """Return `value` if it is a positive int, else raise a clear error.

    Raises:
        TypeError: if `value` is not an int (bools are rejected too).
        ValueError: if `value` is not positive.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be a positive int, got {value!r} of type {type(value).__name__}.")
    if value <= 0:
        raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
    return int(value)


def unit_interval_rate(name: str, value: object) -> float:
    """Return `value` as a float if 0 <= value < 1, else raise a clear error.

    Raises:
        TypeError: if `value` is not a real number.
        ValueError: if `value` is outside [0, 1).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a float in [0, 1), got {value!r} of type {type(value).__name__}.")
    rate = float(value)
    if not 0 <= rate < 1:
        raise ValueError(f"`{name}` must be a float in [0, 1), got {value!r}.")
    return rate
