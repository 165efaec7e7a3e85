"""ConvMixer: parity with timm 1.0.31, the reference oracle, plus the model API.

Default run: the model classes of both libraries at reduced width / depth (timm's factories fix both) in each
configuration (ReLU kernel 7, GELU kernel 9 with patch 7 and 14; "same"-padded depthwise convs): outputs,
intermediates, pre-logits, reset / pruning; the registered convmixer_768_32 (ReLU) itself at 28 px; features_only
default levels; checkpointing. `-m slow`: every name.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import (
    assert_feature_info_parity, assert_outputs_close, assert_parity, assert_same_layout, fill_random_, timm,
)

import zoo  # noqa: E402
from zoo.models.convmixer import ConvMixer  # noqa: E402

MODULE = 'convmixer'
NAMES = zoo.list_models(module=MODULE)
CONFIGS = [dict(kernel_size=7, patch_size=7, act_layer=torch.nn.ReLU), dict(kernel_size=9, patch_size=7),
           dict(kernel_size=9, patch_size=14)]


def _small_pair(**kwargs):
    from timm.models.convmixer import ConvMixer as TimmConvMixer
    ref = fill_random_(TimmConvMixer(dim=32, depth=3, num_classes=10, **kwargs)).eval()
    ours = ConvMixer(dim=32, depth=3, num_classes=10, **kwargs).eval()
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 3


@pytest.mark.parametrize('cfg', CONFIGS, ids=['relu_k7_p7', 'gelu_k9_p7', 'gelu_k9_p14'])
def test_parity_reduced(cfg):
    ref, ours = _small_pair(**cfg)
    x = image(size=56)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    ours.reset_classifier(5, 'max')
    ref.reset_classifier(5, 'max')
    assert ours.head.weight.shape == ref.head.weight.shape
    assert ours.prune_intermediate_layers(1) == ref.prune_intermediate_layers(1)
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())


@pytest.mark.parametrize('name', [n if n == 'convmixer_768_32' else pytest.param(n, marks=pytest.mark.slow)
                                  for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(28, 28) if name == 'convmixer_768_32' else (112, 112), batch_size=1)


def test_api_of_registered_model():
    assert_reset_and_prune_match('convmixer_768_32')
    assert_feature_info_parity('convmixer_768_32')
    with torch.device('meta'):
        feats = zoo.create_model('convmixer_768_32', features_only=True)
        model = zoo.create_model('convmixer_768_32')
    assert list(feats.feature_info.out_indices) == [29, 30, 31]  # timm's default: the last three blocks
    assert model.get_classifier() is model.head
    assert model.group_matcher() == dict(stem=r'^stem', blocks=r'^blocks\.(\d+)')


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = ConvMixer(dim=16, depth=2, num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=28))
