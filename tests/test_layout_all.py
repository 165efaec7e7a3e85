"""Every registered name that timm also has: same state_dict keys, shapes and parameter count as timm's model.

Both models are built on the meta device, so this costs construction time only (no memory, no initialisation) and
covers the whole registry in the default run; a family added later is covered without editing this file. Output
parity (numbers) lives in the per-family test files: a sample in the default run, every name under `-m slow`.
"""
import json

import pytest

import zoo
from zoo.models import _registry
from _parity import assert_layout_parity_meta, timm

TIMM_NAMES = set(timm.list_models())
SHARED = [name for name in zoo.list_models() if name in TIMM_NAMES]


def test_registry_is_timm_named():
    """zoo's own extras are few and deliberate (e.g. the *_cifar models); everything else uses timm's names."""
    # the committed index lists the families' own names; other tests register throw-away models at run time
    index = json.loads(_registry._INDEX_PATH.read_text())
    extras = sorted(set(index['models']) - TIMM_NAMES)
    assert all(name.endswith('_cifar') or name.startswith('composed_') for name in extras), extras


@pytest.mark.parametrize('name', SHARED)
def test_layout_matches_timm(name: str):
    assert_layout_parity_meta(name)
