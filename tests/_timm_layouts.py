"""timm's state_dict layout of every name zoo shares with it, recorded once: `timm_layouts.json` next to this file.

Building timm's model of each of ~1370 names on the meta device is half the cost of the registry-wide layout check.
The default run therefore compares zoo's layout with this record (a digest of the sorted (key, shape) pairs, the key
count and the parameter count of timm's model); `-m slow` compares with timm itself and shows the differing keys.
`python tests/_timm_layouts.py` rewrites the record from the installed timm (it prints the version it used).
"""
import hashlib
import json
from pathlib import Path
from typing import Dict, List

import torch
import torch.nn as nn

TABLE_PATH = Path(__file__).with_name('timm_layouts.json')


def layout_record(model: nn.Module) -> List[object]:
    """[digest of the sorted (key, shape) pairs, number of keys, number of parameters] of a model."""
    pairs = sorted((k, tuple(v.shape)) for k, v in model.state_dict().items())
    digest = hashlib.sha1(repr(pairs).encode()).hexdigest()[:16]
    return [digest, len(pairs), sum(p.numel() for p in model.parameters())]


def load_table() -> Dict[str, object]:
    return json.loads(TABLE_PATH.read_text())


def write_table(names: List[str]) -> None:
    import timm
    records = {}
    for name in names:
        with torch.device('meta'):
            records[name] = layout_record(timm.create_model(name, pretrained=False))
    TABLE_PATH.write_text(json.dumps({'timm_version': timm.__version__, 'layouts': records}, indent=0) + '\n')
    print(f'wrote {len(records)} layouts of timm {timm.__version__} to {TABLE_PATH}')  # noqa: T201


if __name__ == '__main__':
    import timm

    import zoo
    shared = set(timm.list_models())
    write_table([n for n in zoo.list_models() if n in shared])
