"""Normalizer-free nets (NF-ResNet, NF-RegNet, NFNet): parity with timm, weight standardisation, NF constants, API.

Default run: a reduced sample (one block per stage, 64 px) that covers every stem type, block variant (ResNet /
RegNet / NFNet, SE / ECA / none, gamma in the activations vs in the convs, 'SAME' padding, SkipInit) and dilation;
every registered name runs at 64 px under -m slow. Models are built on the meta device and materialised (the family
has no computed buffers), which skips the random init both sides would otherwise spend most of the time on.
"""
import math

import pytest
import torch
import torch.nn as nn

import zoo
from _parity import assert_feature_info_parity, assert_outputs_close, build_pair_meta, timm
from zoo.layers.std_conv import ScaledStdConv2d, ScaledStdConv2dSame

NAMES = zoo.list_models(module='nfnet')
_ONE = dict(depths=(1, 1, 1, 1))


def _parity(name: str, img_size: int = 64, batch_size: int = 2, **kwargs) -> nn.Module:
    ref, ours = build_pair_meta(name, **kwargs)
    x = torch.randn(batch_size, 3, img_size, img_size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x), name=f'{name} features')
        assert_outputs_close(ours(x), ref(x), name=name)
        _, inter = ours.forward_intermediates(x)
        _, inter_ref = ref.forward_intermediates(x)
    assert len(inter) == len(inter_ref) == len(ours.feature_info)
    for i, (a, b) in enumerate(zip(inter, inter_ref)):
        assert_outputs_close(a, b, name=f'{name} level {i}')
    return ours


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='nfnet'))
    assert len(NAMES) == 36


@pytest.mark.parametrize('name,kwargs', [
    ('test_nfnet', {}),  # four-conv stem, grouped 3x3 pairs, SE after the last conv, final conv, SiLU
    ('test_nfnet', dict(output_stride=8)),  # dilated stages, same-padded 2x2 shortcut pools
    ('test_nfnet', dict(stem_type='deep_pool')),  # three-conv stem tapped at its second conv, then a max-pool
    ('dm_nfnet_f0', dict(_ONE, channels=(256, 256, 256, 256))),  # gamma in GELU, TF 'SAME' padding, SkipInit gains
    ('eca_nfnet_l0', dict(_ONE, channels=(256, 256, 512, 512))),  # ECA attention
    ('nf_regnet_b0', dict(_ONE, output_stride=16)),  # 3x3 stem, RegNet blocks (SE between the 3x3 and last conv)
    ('nf_resnet26', dict(_ONE, channels=(64, 128, 256, 512))),  # 7x7 + max-pool stem, ReLU, no final conv
    ('nf_seresnet26', dict(_ONE, channels=(64, 128, 256, 512), stem_type='7x7')),
])
def test_parity_sample(name, kwargs):
    _parity(name, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    _parity(name, batch_size=1)


@pytest.mark.parametrize('name,kwargs', [
    ('test_nfnet', dict(out_indices=(0, 2, 4))),
    ('test_nfnet', dict(stem_type='deep_pool', output_stride=8)),
    ('nf_resnet26', {}),
    ('nf_regnet_b0', dict(output_stride=16)),
])
def test_feature_info_matches_timm(name, kwargs):
    assert_feature_info_parity(name, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# layers and constants


@pytest.mark.parametrize('groups,kernel', [(1, 3), (4, 1)])
def test_scaled_std_conv_weight_is_standardised(groups, kernel):
    """Per output filter: mean 0 and standard deviation gain * gamma / sqrt(fan_in) (Brock et al. 2021a, eq. 9)."""
    conv = ScaledStdConv2d(8, 12, kernel, groups=groups, gamma=1.7, eps=0.)
    with torch.no_grad():
        conv.weight.normal_(3., 2.)
        conv.gain.uniform_(0.5, 2.)
    w = conv.conv_weight().flatten(1)
    fan_in = 8 // groups * kernel * kernel
    torch.testing.assert_close(w.mean(1), torch.zeros(12), atol=1e-5, rtol=0)
    torch.testing.assert_close(w.std(1, unbiased=False), conv.gain.flatten() * 1.7 / math.sqrt(fan_in), rtol=1e-4,
                               atol=0)


@pytest.mark.parametrize('stride,size', [(1, 9), (2, 9), (2, 10)])
def test_scaled_std_conv_layers_match_timm(stride, size):
    from timm.layers import ScaledStdConv2d as RefConv, ScaledStdConv2dSame as RefSame
    for ours_cls, ref_cls in ((ScaledStdConv2d, RefConv), (ScaledStdConv2dSame, RefSame)):
        ref = ref_cls(6, 10, 3, stride=stride, gamma=1.5, eps=1e-5)
        ours = ours_cls(6, 10, 3, stride=stride, gamma=1.5, eps=1e-5)
        with torch.no_grad():
            ref.gain.uniform_(0.5, 2.)
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(2, 6, size, size)
        assert_outputs_close(ours(x), ref(x), atol=1e-5, name=ours_cls.__name__)


def test_zero_gain_init_and_skipinit():
    """Residual branches start at zero: through the last conv's gain, or the SkipInit scalar of the dm_ models."""
    with torch.device('meta'):
        plain, dm = zoo.create_model('test_nfnet'), zoo.create_model('dm_nfnet_f0', **_ONE)
    block = plain.stages[1][0]
    assert block.skipinit_gain is None and block.conv3.gain_init == 0.
    dm_block = dm.stages[1][0]
    assert dm_block.skipinit_gain.shape == () and dm_block.conv3.gain_init == 1.
    assert isinstance(dm_block.conv2, ScaledStdConv2dSame) and type(block.conv2) is ScaledStdConv2d


@pytest.mark.parametrize('act', ['relu', 'gelu', 'silu', 'tanh'])
def test_gamma_constants_restore_unit_variance(act):
    """gamma = 1 / std(act(z)) for z ~ N(0, 1); DeepMind's constants were sampled, so agree to ~0.1%."""
    from zoo.models.nfnet import _NONLIN_GAMMA
    z = torch.linspace(-12, 12, 200_001, dtype=torch.float64)
    density = torch.exp(-z ** 2 / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    y = zoo.layers.get_act_layer(act)()(z)
    mean = (y * density).sum()
    std = ((y - mean) ** 2 * density).sum().sqrt()
    assert abs(_NONLIN_GAMMA[act] * std.item() - 1) < 2e-3


def test_activation_without_constant_is_refused():
    with pytest.raises(ValueError, match='gamma constant'):
        zoo.create_model('test_nfnet', act_layer='mish')
    with pytest.raises(ValueError, match='stem_type'):
        zoo.create_model('test_nfnet', stem_type='deep_quad_pool')
    with pytest.raises(TypeError, match='NfCfg fields'):
        zoo.create_model('test_nfnet', not_a_field=1)


def test_beta_tracks_expected_input_variance():
    """beta = 1 / sqrt(expected var): 1 after a stage's projection, then growing by alpha^2 per block."""
    with torch.device('meta'):
        model = zoo.create_model('nf_resnet26')
    betas = [[b.beta for b in stage] for stage in model.stages]
    alpha2 = 0.2 ** 2
    assert betas[0] == pytest.approx([1.0, (1 + alpha2) ** -0.5])
    assert betas[1] == pytest.approx([(1 + 2 * alpha2) ** -0.5, (1 + alpha2) ** -0.5])


def test_grad_checkpointing_same_output_and_grads():
    model = zoo.create_model('test_nfnet', num_classes=5, drop_path_rate=0.)
    x = torch.randn(2, 3, 64, 64)
    ref = model(x).sum()
    ref.backward()
    grad = model.stem.conv1.weight.grad.clone()
    model.zero_grad()
    model.set_grad_checkpointing(True)
    out = model(x).sum()
    out.backward()
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(model.stem.conv1.weight.grad, grad)


def test_group_matcher_and_head_api():
    import re
    model = zoo.create_model('test_nfnet').eval()
    matcher = model.group_matcher()
    names = [n for n, _ in model.named_parameters() if not n.startswith('head.')]
    patterns = [matcher['stem']] + [p for p, _ in matcher['blocks']]
    assert all(any(re.match(p, n) for p in patterns) for n in names)
    x = torch.randn(1, 3, 64, 64)
    feats = model.forward_features(x)
    assert model.forward_head(feats, pre_logits=True).shape == (1, model.num_features)
    model.reset_classifier(7)
    assert model(x).shape == (1, 7) and model.get_classifier().out_features == 7
