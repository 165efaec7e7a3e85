"""MambaOut family: parity with timm, the reference oracle, plus the model API on NHWC levels.

Default run: output parity at 64x64 for the paper recipe (femto: stem mid-norm, conv -> norm transitions, hidden norm
in the head) and the timm recipe (test_mambaout: layer scale, norm-first transitions, SiLU, plain MLP head), and for a
one-block-per-stage base_wide_rw (conv_ratio 1.5, expansion 3); unpooled head; intermediates; checkpoint filter.
`-m slow`: every name.
"""
import re

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, build_pair_meta

import timm  # noqa: E402
import zoo  # noqa: E402

from zoo.models.mambaout import checkpoint_filter_fn

MODULE = 'mambaout'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['test_mambaout', 'mambaout_femto']


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref, ours = build_pair_meta(name, **kwargs)  # no computed buffers: meta-built pairs are exact
    x = image(size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 11


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    _parity(name)


@pytest.mark.parametrize('kwargs', [dict(depths=(1, 1, 1, 1)), dict(depths=(1, 1, 1, 1), num_classes=0,
                                                                     global_pool='')])
def test_parity_wide_rw_shallow(kwargs):
    """Partial depthwise conv (conv_ratio 1.5 of the value channels), expansion 3, SiLU gate; unpooled features."""
    _parity('mambaout_base_wide_rw', size=32, **kwargs)


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('test_mambaout')


@pytest.mark.parametrize('indices', [None, [0, 2]])
def test_forward_intermediates_parity(pair, indices):
    """Levels run NHWC internally; intermediates come back NCHW (or NHWC on request) like timm's."""
    ref, ours = pair
    assert_intermediates_match(ours, ref, image(), indices)
    with torch.inference_mode():
        nhwc = ours.forward_intermediates(image(), indices=indices, output_fmt='NHWC', intermediates_only=True)
        nchw = ours.forward_intermediates(image(), indices=indices, intermediates_only=True)
    for a, b in zip(nhwc, nchw):
        torch.testing.assert_close(a, b.permute(0, 2, 3, 1))


def test_head_api(pair):
    ref, ours = pair
    assert_head_api_matches(ours, ref, image())
    for name in ('test_mambaout', 'mambaout_femto'):
        assert_reset_and_prune_match(name)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('test_mambaout', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def _to_official(state_dict):
    """timm layout -> yuweihao/MambaOut layout."""
    out = {}
    for k, v in state_dict.items():
        k = k.replace('stem.', 'downsample_layers.0.')
        k = re.sub(r'^stages\.(\d+)\.downsample\.', r'downsample_layers.\1.', k)
        k = re.sub(r'^stages\.(\d+)\.blocks\.', r'stages.\1.', k)
        k = k.replace('head.pre_logits.fc.', 'head.fc1.').replace('head.pre_logits.norm.', 'head.norm2.')
        k = k.replace('head.fc.', 'head.fc2.').replace('head.norm.', 'norm.').replace('head.norm2.', 'head.norm.')
        out[k] = v
    return out


def test_official_checkpoint_filter_matches_timm():
    from timm.models.mambaout import checkpoint_filter_fn as timm_filter
    assert_filter_matches_timm('mambaout_femto', checkpoint_filter_fn, timm_filter, _to_official)


def test_invalid_args():
    with pytest.raises(ValueError, match='head_fn'):
        zoo.create_model('test_mambaout', head_fn='bogus')
    with pytest.raises(ValueError, match='downsample'):
        zoo.create_model('test_mambaout', downsample='pool')
    with pytest.raises(ValueError, match="'avg'"):
        zoo.create_model('test_mambaout', global_pool='max')
