"""A small representative model per family module, shared by the registry-wide test files."""
import functools
import math
import re
from typing import Tuple

import torch

import zoo

SHORTLIST = 8
_SIZE_WORDS = ('test', 'zepto', 'atto', 'femto', 'pico', 'nano', 'tiny', 'small', 'slim', 'lite', 'mini', 'micro')


def _size_hint(name: str) -> Tuple[int, int, int]:
    # the smallest size word in the name first (zepto < atto < ... < small), then the leading number (depth or
    # width, e.g. resnet10t, regnetx_002), then the shorter name (fewer suffixed extras)
    ranks = [i for i, w in enumerate(_SIZE_WORDS) if w in name]
    numbers = re.findall(r'\d+', name)
    return (min(ranks) if ranks else len(_SIZE_WORDS), int(numbers[0]) if numbers else 0, len(name))


def num_params_meta(name: str) -> float:
    try:
        with torch.device('meta'):
            model = zoo.create_model(name)
    except Exception:  # a name that cannot be built with defaults is not a representative
        return math.inf
    return sum(p.numel() for p in model.parameters())


@functools.lru_cache(maxsize=None)
def representative(module: str, exhaustive: bool = False) -> str:
    names = sorted(zoo.list_models(module=module), key=_size_hint)
    if not exhaustive:
        names = names[:SHORTLIST]
    return min(names, key=num_params_meta)
