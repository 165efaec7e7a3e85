"""Small shape and rounding helpers used by layer and model builders."""
import collections.abc
import functools
from typing import Any, Callable, Tuple


def _as_tuple(n: int, x: Any) -> Tuple:
    # strings are iterable but are one value (e.g. a padding mode), not a sequence of per-dim values
    if isinstance(x, str) or not isinstance(x, collections.abc.Iterable):
        return (x,) * n
    return tuple(x)


def _ntuple(n: int) -> Callable[[Any], Tuple]:
    """A parser that repeats a scalar ``n`` times and passes any other iterable through as a tuple."""
    return functools.partial(_as_tuple, n)


to_1tuple = _ntuple(1)
to_2tuple = _ntuple(2)
to_3tuple = _ntuple(3)
to_4tuple = _ntuple(4)
to_ntuple = _ntuple


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None, round_limit: float = 0.9) -> int:
    """Round a channel count to a multiple of `divisor`, never dropping below `round_limit` of the original.

    The round-down guard follows the MobileNet / EfficientNet reference builders, so channel counts (and hence
    state_dict shapes) agree with weights trained there.
    """
    steps = (v + divisor / 2) // divisor  # the nearest multiple, halves rounding up
    rounded = max(min_value or divisor, int(steps) * divisor)
    # rounding down may cost more than (1 - round_limit) of the width: take the next multiple instead
    return rounded + divisor if rounded < round_limit * v else rounded
