"""Every registered name that timm also has: same state_dict keys, shapes and parameter count as timm's model.

zoo's models are built on the meta device, so this costs construction time only (no memory, no initialisation) and
covers the whole registry in the default run; a family added later is covered without editing this file. The default
run compares with timm's layouts as recorded in `timm_layouts.json` (see `_timm_layouts.py`, which also rewrites it);
`-m slow` builds timm's model of every name too and compares key by key. Output parity (numbers) lives in the
per-family test files: a sample in the default run, every name under `-m slow`.
"""
import json

import pytest
import torch

import zoo
from zoo.models import _registry
from _parity import assert_layout_parity_meta, timm
from _timm_layouts import layout_record, load_table

TIMM_NAMES = set(timm.list_models())
SHARED = [name for name in zoo.list_models() if name in TIMM_NAMES]
RECORD = load_table()


def test_registry_is_timm_named():
    """zoo's own extras are few and deliberate (e.g. the *_cifar models); everything else uses timm's names."""
    # the committed index lists the families' own names; other tests register throw-away models at run time
    index = json.loads(_registry._INDEX_PATH.read_text())
    extras = sorted(set(index['models']) - TIMM_NAMES)
    assert all(name.endswith('_cifar') or name.startswith('composed_') for name in extras), extras


def test_timm_layout_record_covers_every_shared_name():
    missing = [name for name in SHARED if name not in RECORD['layouts']]
    assert not missing, f'no recorded timm layout for {missing[:10]}: run `python tests/_timm_layouts.py`.'


@pytest.mark.parametrize('name', SHARED)
def test_layout_matches_timm_record(name: str):
    expected = RECORD['layouts'].get(name)
    if expected is None:
        pytest.skip('not recorded (test_timm_layout_record_covers_every_shared_name fails for it)')
    with torch.device('meta'):
        ours = layout_record(zoo.create_model(name, pretrained=False))
    assert ours[1:] == expected[1:], (f'{name}: (keys, parameters) {tuple(ours[1:])} != timm '
                                      f'{RECORD["timm_version"]}\'s {tuple(expected[1:])}')
    assert ours[0] == expected[0], (f'{name}: state_dict keys or shapes differ from timm {RECORD["timm_version"]}\'s; '
                                    f'`pytest -m slow tests/test_layout_all.py -k "live and {name}"` lists them.')


@pytest.mark.slow
@pytest.mark.parametrize('name', SHARED)
def test_layout_matches_timm_live(name: str):
    assert_layout_parity_meta(name)
