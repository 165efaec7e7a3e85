"""Sequencer2D: parity with timm 1.0.31, the reference oracle, plus the LSTM-mixing options and the API on NHWC levels.

Default run: a one-block-per-stage sequencer2d_s at 56 px with each union mode ('cat' + fc, 'add', one direction
without fc, unidirectional stacked LSTMs with a stem norm), unpooled features (global_pool='', num_classes=0); the
negative-log-likelihood head bias; intermediates (NHWC levels returned NCHW or NHWC), head, reset / prune,
group_matcher; the official-checkpoint filter (features_only: tests/test_intermediates.py).
`-m slow`: every name at full depth and 224 px, grad checkpointing (which timm does not offer).
"""
import math
import re

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, assert_parity, build_pair_meta, timm

import zoo  # noqa: E402
from zoo.models.sequencer import checkpoint_filter_fn  # noqa: E402

MODULE = 'sequencer'
NAMES = zoo.list_models(module=MODULE)
SHALLOW = dict(layers=(1, 1, 1, 1))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 3


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(union='add', num_classes=0, global_pool=''),
    dict(union='vertical', with_fc=False, hidden_sizes=(96, 192, 192, 192)),
    dict(union='horizontal', bidirectional=False, num_rnn_layers=2, stem_norm=True),
], ids=['cat', 'add-unpooled', 'vertical-no-fc', 'horizontal-uni-2layer'])
def test_parity_shallow(kwargs):
    ref, ours = build_pair_meta('sequencer2d_s', **SHALLOW, **kwargs)
    x = image(size=56)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=str(kwargs))


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(224, 224), batch_size=1)


def test_nlhb_head_bias():
    """nlhb starts the classifier at uniform log-probabilities: zero weights, bias -log(num_classes)."""
    model = zoo.create_model('sequencer2d_s', **SHALLOW, num_classes=10, nlhb=True)
    torch.testing.assert_close(model.head.fc.bias, torch.full((10,), -math.log(10)))
    assert not model.head.fc.weight.any()


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('sequencer2d_s', **SHALLOW)


def test_intermediates_head_and_groups(pair):
    ref, ours = pair
    assert list(ours.state_dict()) == list(ref.state_dict())  # same order, not only the same keys
    x = image(size=56)
    for indices in (None, [0, 2]):
        assert_intermediates_match(ours, ref, x, indices)
    with torch.inference_mode():
        nhwc = ours.forward_intermediates(x, output_fmt='NHWC', norm=True, intermediates_only=True)
        nhwc_ref = ref.forward_intermediates(x, output_fmt='NHWC', norm=True, intermediates_only=True)
    for a, b in zip(nhwc, nhwc_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('sequencer2d_s', **SHALLOW)


def _to_official(state_dict):
    """timm layout -> okojoalg/sequencer layout (patch merging at the end of the previous stage, head unnested)."""
    last = {}
    for k in state_dict:
        m = re.match(r'stages\.(\d+)\.blocks\.(\d+)\.', k)
        if m:
            last[int(m.group(1))] = max(last.get(int(m.group(1)), 0), int(m.group(2)))
    out = {}
    for k, v in state_dict.items():
        m = re.match(r'stages\.(\d+)\.downsample\.down\.(.*)', k)
        if m:
            prev = int(m.group(1)) - 1
            k = f'blocks.{prev}.{last[prev] + 1}.down.{m.group(2)}'
        k = re.sub(r'^stages\.(\d+)\.blocks\.(\d+)\.', r'blocks.\1.\2.', k)
        out[k.replace('head.fc.', 'head.')] = v
    return out


def test_official_checkpoint_filter_matches_timm():
    from timm.models.sequencer import checkpoint_filter_fn as timm_filter
    assert_filter_matches_timm('sequencer2d_s', checkpoint_filter_fn, timm_filter, _to_official, **SHALLOW)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('sequencer2d_s', **SHALLOW, num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=28))


def test_invalid_args():
    with pytest.raises(ValueError, match='union'):
        zoo.create_model('sequencer2d_s', **SHALLOW, union='mul')
    with pytest.raises(ValueError, match='with_fc'):
        zoo.create_model('sequencer2d_s', **SHALLOW, with_fc=False, union='add')
    with pytest.raises(ValueError, match='one entry per stage'):
        zoo.create_model('sequencer2d_s', layers=(1, 1, 1))
    # timm classifies every position here; zoo refuses, as for every family, rather than return a map of logits
    with pytest.raises(ValueError, match="global_pool=''"):
        zoo.create_model('sequencer2d_s', **SHALLOW, global_pool='')
