"""EdgeNeXt: parity with timm 1.0.31, the reference oracle, plus the official-checkpoint filter and the model API.

Default run: edgenext_xx_small (patchify stem and downsampling, Fourier position encoding, 2-4 channel groups) and
edgenext_small_rw (overlapping stem, strided first blocks, no conv biases) at 64 px; intermediates with and without
the final norm, head reset / pruning; the official release layout maps to timm's keys. `-m slow`: every name at
128 px, head_norm_first, grad checkpointing.
"""
import re

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'edgenext'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ('edgenext_xx_small', 'edgenext_small_rw')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 5


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name in DEFAULT else (128, 128), batch_size=2)


@pytest.mark.slow
def test_parity_head_norm_first():
    assert_parity('edgenext_xx_small', img_size=(64, 64), head_norm_first=True)


def test_intermediates_and_head():
    ref = fill_random_(timm.create_model('edgenext_xx_small')).eval()
    ours = zoo.create_model('edgenext_xx_small').eval()
    ours.load_state_dict(ref.state_dict())
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 3])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('edgenext_xx_small')


def _to_official(state_dict):
    """timm's layout -> the mmaaz60/EdgeNeXt release layout (ConvNeXt-style names, 2-D position projections)."""
    out = {}
    for k, v in state_dict.items():
        if 'pos_embd.token_projection.weight' in k:
            v = v.flatten(1)
        k = re.sub(r'^stem\.', 'downsample_layers.0.', k)
        k = re.sub(r'^stages\.(\d+)\.downsample\.', r'downsample_layers.\1.', k)
        k = re.sub(r'^stages\.(\d+)\.blocks\.', r'stages.\1.', k)
        k = k.replace('conv_dw', 'dwconv').replace('mlp.fc', 'pwconv')
        k = k.replace('head.fc.', 'head.').replace('head.norm.', 'norm.')
        out[k] = v
    return {'model': out}


def test_official_checkpoint_filter():
    from timm.models.edgenext import checkpoint_filter_fn as timm_filter
    from zoo.models.edgenext import checkpoint_filter_fn
    assert_filter_matches_timm('edgenext_xx_small', checkpoint_filter_fn, timm_filter, _to_official)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('edgenext_xx_small', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=64))
