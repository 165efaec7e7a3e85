"""CSPNeXt (RTMDet backbone): parity with timm, dilation, OpenMMLab checkpoint names, features.

Default run: cspnext_tiny at 64 px (logits and the five levels), a dilated variant, the checkpoint filter;
`-m slow`: every name at its native 224 px.
"""
from typing import Any

import pytest
import torch

import zoo
from _levels_parity import assert_levels_parity
from _parity import build_pair_meta, timm

NAMES = timm.list_models(module='cspnext')


def _check(name: str, size: int, batch_size: int = 2, **kwargs: Any) -> None:
    ref, ours = build_pair_meta(name, **kwargs)
    assert ours.feature_info == ref.feature_info
    x = torch.randn(batch_size, 3, size, size, generator=torch.Generator().manual_seed(0))
    assert_levels_parity(ref, ours, x, name, num_levels=5, varied_level=2)


def test_names_match_timm():
    assert set(zoo.list_models(module='cspnext')) == set(NAMES)


def test_parity_reduced():
    _check('cspnext_tiny', 64)


def test_dilated_parity():
    _check('cspnext_tiny', 64, batch_size=1, output_stride=8)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    _check(name, 224, batch_size=1)


def test_openmmlab_checkpoint_names_load():
    """An MMDetection-style state dict (`backbone.` prefix, 1-based `stageN`) loads after the filter."""
    from zoo.models.cspnext import checkpoint_filter_fn
    with torch.device('meta'):
        model = zoo.create_model('cspnext_tiny', num_classes=0)
    ours = model.state_dict()
    mm = {}
    for k, v in ours.items():
        if k.startswith('stages.'):
            _, idx, rest = k.split('.', 2)
            k = f'stage{int(idx) + 1}.{rest}'
        mm[f'backbone.{k}'] = v
    filtered = checkpoint_filter_fn({'state_dict': mm})
    assert sorted(filtered) == sorted(ours)
    assert checkpoint_filter_fn(dict(ours)).keys() == ours.keys()  # zoo / timm names pass through


def test_features_default_getter():
    model = zoo.create_model('cspnext_tiny', features_only=True).eval()
    assert type(model).__name__ == 'FeatureGetterNet'
    assert model.feature_info.channels() == [24, 48, 96, 192, 384]
    assert model.feature_info.reduction() == [2, 4, 8, 16, 32]
