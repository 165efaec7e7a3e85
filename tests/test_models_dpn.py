"""Dual Path Networks: parity with timm 1.0.31, the reference oracle, plus the model API (1x1 conv classifier).

Default run: output parity at 64 px for dpn48b (separate final convs, SiLU stem and final norm) and dpn68 (one split
final conv); intermediates with and without the final norm, head reset / pruning, conv-classifier head,
checkpointing. `-m slow`: every name at 128 px.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_parity, build_pair_meta, timm

import zoo  # noqa: E402

MODULE = 'dpn'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['dpn48b', 'dpn68']


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 7


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name in DEFAULT else (128, 128), batch_size=1)
    if name in DEFAULT:
        assert_feature_info_parity(name)


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('dpn48b')


@pytest.mark.parametrize('norm', [False, True])
def test_intermediates(pair, norm):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2, 4])
    with torch.inference_mode():
        got = ours.forward_intermediates(x, norm=norm, intermediates_only=True)
        want = ref.forward_intermediates(x, norm=norm, intermediates_only=True)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_head_api(pair):
    ref, ours = pair
    assert_head_api_matches(ours, ref, image())
    assert ours.get_classifier() is ours.classifier and isinstance(ours.classifier, torch.nn.Conv2d)
    assert ours.group_matcher() == ref.group_matcher() and ours.group_matcher(True) == ref.group_matcher(True)
    assert_reset_and_prune_match('dpn48b')
    model = zoo.create_model('dpn48b', num_classes=0, global_pool='')
    with torch.inference_mode():
        assert model(image(size=32)).shape == (2, 832, 1, 1)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('dpn48b', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))
