"""MobileViT v1 / v2 (ByobNet with MobileViT blocks): parity with timm 1.0.31, the reference oracle, plus the API.

Default run: mobilevit_xxs (v1 block, multi-head attention) and mobilevitv2_050 (v2 block, separable attention) at
72 px, where every transformer stage sees an odd-sided map and resizes it to the patch grid and back, and at 64 px
(no resizing); intermediates and the head against timm (v1), output_stride=16 (v2).
`-m slow`: every name at 128 px, the API checks for v2, features_only against timm, grad checkpointing.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_features_only_parity, assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'mobilevit'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ('mobilevit_xxs', 'mobilevitv2_050')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 10


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(72, 72) if name in DEFAULT else (128, 128), batch_size=2)
    if name in DEFAULT:
        assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.mark.parametrize('name', [DEFAULT[0], pytest.param(DEFAULT[1], marks=pytest.mark.slow)])
def test_features_and_intermediates(name):
    ref = fill_random_(timm.create_model(name)).eval()
    ours = zoo.create_model(name).eval()
    ours.load_state_dict(ref.state_dict())
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2, 4])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert_reset_and_prune_match(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', DEFAULT)
def test_features_only(name):
    ref = fill_random_(timm.create_model(name)).eval()
    assert_features_only_parity(name, ref, image(), out_indices=(1, 3, 4))


def test_output_stride():
    name = 'mobilevitv2_050'
    ref = fill_random_(timm.create_model(name, output_stride=16)).eval()
    ours = zoo.create_model(name, output_stride=16).eval()
    ours.load_state_dict(ref.state_dict())
    x = image(batch=1)
    with torch.inference_mode():
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-4, atol=1e-4)
    assert [f['reduction'] for f in ours.feature_info] == [f['reduction'] for f in ref.feature_info]


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('mobilevit_xxs', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=64))
