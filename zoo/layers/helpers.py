"""Small shape and rounding helpers used by layer and model builders."""
import collections.abc
from itertools import repeat
from typing import Any, Callable, Tuple


def _ntuple(n: int) -> Callable[[Any], Tuple]:
    def parse(x: Any) -> Tuple:
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))
    return parse


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
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v
