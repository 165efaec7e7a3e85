"""ReXNet / ReXNet-R: parity with timm 1.0.31, the reference oracle, plus the model API.

Default run: output parity at 64 px for rexnet_100 (paper widths, partial-channel residuals, SE with BatchNorm) and
rexnetr_100 (rounded widths), dilated output_stride=16, intermediates / features_only / head / pruning against
timm, gradient checkpointing. `-m slow`: every name at 128 px.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_features_only_parity, assert_parity, build_pair_meta, timm

import zoo  # noqa: E402

MODULE = 'rexnet'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['rexnet_100', 'rexnetr_100']


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 10


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name in DEFAULT else (128, 128))


def test_parity_output_stride():
    assert_parity('rexnet_100', img_size=(64, 64), output_stride=16)
    assert_feature_info_parity('rexnet_100', output_stride=8)


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('rexnet_100')


def test_intermediates(pair):
    ref, ours = pair
    assert_intermediates_match(ours, ref, image(), [1, 3])


@pytest.mark.slow
def test_features_only(pair):
    ref, _ = pair
    assert_features_only_parity('rexnet_100', ref, image())


def test_head_api(pair):
    ref, ours = pair
    assert_head_api_matches(ours, ref, image())
    assert ours.get_classifier() is ours.head.fc
    assert ours.group_matcher() == ref.group_matcher()
    assert_reset_and_prune_match('rexnet_100')


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('rexnet_100', num_classes=3, drop_rate=0.)
    assert_checkpointing_keeps_gradients(model, image(size=32))
