"""SwiftFormer: parity with timm 1.0.31, the reference oracle, plus the distilled heads, the official-checkpoint filter
and the model API.

Nothing in SwiftFormer depends on the input size, so the default run checks swiftformer_xs at 64 px; distillation
heads in training, intermediates with and without the final norm, head reset / pruning; the official release layout
maps to timm's keys. `-m slow`: every name at 128 px, grad checkpointing.
"""
import re

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _mobile_checks import assert_distilled_heads_match, assert_head_and_norm_api_match
from _parity import assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'swiftformer'
NAMES = zoo.list_models(module=MODULE)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 4


@pytest.mark.parametrize('name', [n if n == 'swiftformer_xs' else pytest.param(n, marks=pytest.mark.slow)
                                  for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name == 'swiftformer_xs' else (128, 128), batch_size=2)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('swiftformer_xs')).eval()
    ours = zoo.create_model('swiftformer_xs').eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_distillation_heads(pair):
    ref, ours = pair
    assert_distilled_heads_match(ours, ref, image())


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 3])
    assert_head_and_norm_api_match(ours, ref, x)
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('swiftformer_xs')


def _to_official(state_dict):
    """timm's layout -> the Amshaker/SwiftFormer release layout (`network` list, bare layer-scale tensors)."""
    out = {}
    for k, v in state_dict.items():
        k = re.sub(r'^stem\.', 'patch_embed.', k)
        k = re.sub(r'^stages\.(\d+)\.blocks\.', lambda m: f'network.{2 * int(m.group(1))}.', k)
        k = re.sub(r'^stages\.(\d+)\.downsample\.', lambda m: f'network.{2 * int(m.group(1)) - 1}.', k)
        k = re.sub(r'\.gamma$', '', k).replace('head_dist.', 'dist_head.').replace('attn.proj.', 'attn.Proj.')
        out[k] = v
    return {'model': out}


def test_official_checkpoint_filter():
    from timm.models.swiftformer import checkpoint_filter_fn as timm_filter
    from zoo.models.swiftformer import checkpoint_filter_fn
    assert_filter_matches_timm('swiftformer_xs', checkpoint_filter_fn, timm_filter, _to_official)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('swiftformer_xs', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=64))
