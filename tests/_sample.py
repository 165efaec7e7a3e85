"""A small representative model per family module, shared by the registry-wide test files.

Choosing one builds up to SHORTLIST models per module on the meta device, about 100 s for the whole registry, and
every pytest-xdist worker would repeat it. The choices are therefore kept in `representatives.json` next to this file;
`python tests/_sample.py` rewrites it after families are added. The default run checks that the table covers every
module with one of its own names (test_registry.py); `-m slow` checks each entry is what the choice gives now.
"""
import functools
import json
import math
import re
from pathlib import Path
from typing import Dict, Tuple

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


TABLE_PATH = Path(__file__).with_name('representatives.json')


@functools.lru_cache(maxsize=None)
def representative_table() -> Dict[str, str]:
    return json.loads(TABLE_PATH.read_text()) if TABLE_PATH.exists() else {}


@functools.lru_cache(maxsize=None)
def choose_representative(module: str, exhaustive: bool = False) -> str:
    """The smallest model (by parameter count) among the module's SHORTLIST likeliest-small names, or all of them."""
    names = sorted(zoo.list_models(module=module), key=_size_hint)
    if not exhaustive:
        names = names[:SHORTLIST]
    return min(names, key=num_params_meta)


def representative(module: str) -> str:
    """The module's entry in the committed table, or the choice made now for a module the table lacks."""
    name = representative_table().get(module)
    return name if name in zoo.list_models(module=module) else choose_representative(module)


if __name__ == '__main__':
    TABLE_PATH.write_text(json.dumps({m: choose_representative(m) for m in zoo.list_modules()}, indent=1) + '\n')
    print(f'wrote {TABLE_PATH}')  # noqa: T201
