"""TResNet: parity with timm, space-to-depth stem, anti-aliased downsampling, original-checkpoint conversion, API.

Default run: TResNet-M (basic blocks early) and TResNet-L v2 (bottlenecks everywhere) with one block per stage, which
covers every block, shortcut and anti-aliasing path; every name at full depth runs under -m slow.
"""
import re

import pytest
import torch
import torch.nn as nn

import zoo
from _parity import assert_feature_info_parity, assert_parity, timm
from zoo.layers.space_to_depth import SpaceToDepth

NAMES = zoo.list_models(module='tresnet')
_ONE = dict(layers=(1, 1, 1, 1))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='tresnet')) and len(NAMES) == 4


@pytest.mark.parametrize('name,img_size', [('tresnet_m', 64), ('tresnet_v2_l', 64), ('tresnet_m', 68)])
def test_parity_one_block_per_stage(name, img_size):
    # 68 px leaves odd maps after the 4x stem, exercising the ceil-mode shortcut pools and the blur-pool padding
    assert_parity(name, img_size=(img_size, img_size), batch_size=2, **_ONE)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.mark.parametrize('name,kwargs', [('tresnet_m', {}), ('tresnet_v2_l', dict(out_indices=(2, 4)))])
def test_feature_info_matches_timm(name, kwargs):
    # default levels 1-4 in both; depth does not change channels or reductions
    assert_feature_info_parity(name, **_ONE, **kwargs)


def test_intermediates_match_timm():
    ref = timm.create_model('tresnet_m', **_ONE).eval()
    ours = zoo.create_model('tresnet_m', **_ONE).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        _, inter_ref = ref.forward_intermediates(x)
        final, inter = ours.forward_intermediates(x)
        torch.testing.assert_close(final, ours.forward_features(x))
    for a, b in zip(inter, inter_ref):
        torch.testing.assert_close(a, b)
    # the stem level is at stride 4 (timm's feature_info claims 2 for it; the map says otherwise)
    assert ours.feature_info[0]['reduction'] == 4 and inter[0].shape[-1] == 64 // 4


def test_space_to_depth_matches_timm_and_refuses_odd_sizes():
    from timm.layers import SpaceToDepth as RefSpaceToDepth
    x = torch.randn(2, 3, 16, 12)
    out = SpaceToDepth()(x)
    assert out.shape == (2, 48, 4, 3)
    assert torch.equal(out, RefSpaceToDepth()(x))
    # channel (i * 4 + j) * C + c is pixel (i, j) of each 4x4 patch of channel c
    assert torch.equal(out[:, (1 * 4 + 2) * 3 + 1], x[:, 1, 1::4, 2::4])
    with pytest.raises(ValueError, match='divisible by 4'):
        SpaceToDepth()(torch.randn(1, 3, 18, 16))


def test_fast_pool_is_average_pool():
    model = zoo.create_model('tresnet_m', num_classes=0, **_ONE).eval()
    assert model.head.global_pool.pool_type == 'avg'
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        torch.testing.assert_close(model(x), model.forward_features(x).mean((2, 3)))
    model.reset_classifier(5, global_pool='fast')
    assert model(x).shape == (1, 5)


def test_original_checkpoint_layout_converts_like_timm():
    """Inplace-ABN checkpoints (`convN.0` conv, `convN.1` norm with |w| + eps weights) load after the filter."""
    from timm.models.tresnet import checkpoint_filter_fn as ref_filter
    from zoo.models.tresnet import checkpoint_filter_fn
    with torch.device('meta'):
        model = zoo.create_model('tresnet_m', **_ONE)
    ours = {k: torch.randn(v.shape) for k, v in model.state_dict().items()}
    original = {}
    for key, value in ours.items():
        key = re.sub(r'(conv\d+|downsample\.\d+)\.conv\.', r'\1.0.', key)
        key = re.sub(r'(conv\d+|downsample\.\d+)\.bn\.', r'\1.1.', key)
        original[key] = value
    assert 'body.layer2.0.conv1.1.weight' in original
    converted = checkpoint_filter_fn(original, model)
    expected = ref_filter(dict(original), model)
    assert set(converted) == set(expected) == set(ours)
    for key in expected:
        torch.testing.assert_close(converted[key], expected[key])
    assert torch.all(converted['body.layer1.0.conv1.bn.weight'] > 0)
    # a checkpoint already in this layout passes through untouched
    assert checkpoint_filter_fn(ours, model) is ours


def test_deprecated_names_redirect_to_tags():
    with torch.device('meta'), pytest.warns(DeprecationWarning, match='tresnet_m.miil_in1k_448'):
        model = zoo.create_model('tresnet_m_448')
    assert model.pretrained_cfg['tag'] == 'miil_in1k_448' and model.pretrained_cfg['input_size'] == (3, 448, 448)


def test_grad_checkpointing_same_output_and_grads():
    model = zoo.create_model('tresnet_m', num_classes=3, **_ONE)
    x = torch.randn(2, 3, 64, 64)
    ref = model(x).sum()
    ref.backward()
    grad = model.body.conv1.conv.weight.grad.clone()
    model.zero_grad()
    model.set_grad_checkpointing(True)
    out = model(x).sum()
    out.backward()
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(model.body.conv1.conv.weight.grad, grad)


def test_anti_aliased_strides():
    with torch.device('meta'):
        model = zoo.create_model('tresnet_m', **_ONE)
    first = model.body.layer2[0]
    assert first.conv1.conv.stride == (1, 1) and first.conv1.aa.stride == 2
    assert isinstance(first.downsample[0], nn.AvgPool2d)
    assert model.body.layer1[0].conv1.aa is None
