"""MobileNetV4 (registered in zoo.models.mobilenetv3, as in timm): parity with timm 1.0.31, the oracle.

The default run checks one name per block type / config switch at 64 px (conv-bn `cn` blocks, the UIB forms, fused
`er` blocks, Mobile MQA with and without key/value downsampling, layer scale, width multipliers, average-pool and
blur-pool anti-aliasing, the normed head), the layers against timm's, and the model API; `-m slow` runs every name at
its pretrained input size.
"""
import pytest
import torch

import zoo
from _grad_checks import assert_grad_checkpointing_exact
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

MNV4_NAMES = sorted(n for n in zoo.list_models(module='mobilenetv3') if n.startswith('mobilenetv4'))

# name -> what it covers that the others do not (the hybrid is checked by test_mobile_mqa_branch_carries_weight)
SAMPLE = {
    'mobilenetv4_conv_small_035': 'cn blocks, UIB IR / ExtraDW / ConvNeXt forms, width x0.35 with fixed stem',
    'mobilenetv4_conv_aa_medium': "er block, UIB FFN form, 2x2 average-pool anti-aliasing ('avg')",
    'mobilenetv4_conv_blur_medium': "zero-padded blur-pool anti-aliasing ('blurpc')",
}
HYBRID = 'mobilenetv4_hybrid_medium_075'  # Mobile MQA with and without kv stride, layer scale


def test_names_match_timm():
    assert set(zoo.list_models(module='mobilenetv3')) == set(timm.list_models(module='mobilenetv3'))
    assert len(MNV4_NAMES) == 12


@pytest.mark.parametrize('name', sorted(SAMPLE) + [HYBRID])
def test_feature_info_matches_timm(name):
    assert_feature_info_parity(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(set(MNV4_NAMES) - set(SAMPLE) - {HYBRID}))
def test_feature_info_matches_timm_all(name):
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name', sorted(SAMPLE))
def test_parity_sample(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', MNV4_NAMES)
def test_parity_native_size(name):
    assert_parity(name, batch_size=1)


def _unit_layer_scale(model: torch.nn.Module) -> torch.nn.Module:
    # random fills leave layer-scale gammas near 0, which would hide the attention branch from the comparison
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('layer_scale.gamma'):
                p.fill_(1.)
    return model


def test_mobile_mqa_branch_carries_weight():
    """With unit layer scale the attention blocks dominate their residuals; outputs still equal timm's."""
    name = HYBRID
    ref = _unit_layer_scale(fill_random_(timm.create_model(name))).eval()
    ours = zoo.create_model(name).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 96, 112)  # stage 2 at 6x7, keys / values downsampled to 3x4
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x), name=name)
        # the MQA blocks are not a no-op: removing one changes the output
        ours.blocks[2][4] = torch.nn.Identity()
        assert (ours(x) - ref(x)).abs().max() > 1e-2


@pytest.mark.parametrize('kv_stride,padding', [(1, ''), (2, ''), (2, 'same')])
def test_multi_query_attention_matches_timm(kv_stride, padding):
    from timm.layers.attention2d import MultiQueryAttention2d as RefMQA
    from zoo.layers.attention2d import MultiQueryAttention2d
    kwargs = dict(num_heads=4, key_dim=16, value_dim=24, kv_stride=kv_stride, padding=padding)
    ref = fill_random_(RefMQA(32, dim_out=40, **kwargs)).eval()
    ours = MultiQueryAttention2d(32, dim_out=40, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 32, 7, 9)
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x))


def test_attention2d_matches_timm():
    from timm.layers.attention2d import Attention2d as RefAttention2d
    from zoo.layers.attention2d import Attention2d
    ref = fill_random_(RefAttention2d(32, dim_out=48, num_heads=4, bias=True)).eval()
    ours = Attention2d(32, dim_out=48, num_heads=4, bias=True).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 32, 5, 6)
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x))


# blocks no registered name combines this way: `mha`, SE inside a UIB, a UIB end conv carrying the stride
# (timm cannot end a stage with an attention block: its feature_info lookup fails there)
_CUSTOM_ARCH = [
    ['cn_r1_k3_s2_c16'],
    ['uir_r1_a3_k5_s2_e2_c24_se0.25', 'mha_r1_k3_h4_s1_d8_c24', 'mqa_r1_k3_h2_v2_s1_d8_c24',
     'uir_r1_a0_k0_s1_e2_c24'],
    ['uir_r1_a0_k0_p3_s2_e2_c32', 'uir_r1_a3_k0_p5_s1_e2_c32'],
]


def test_custom_arch_with_mha_se_and_end_conv_matches_timm():
    from timm.models._efficientnet_builder import decode_arch_def as ref_decode
    from timm.models.mobilenetv3 import MobileNetV3 as RefMobileNetV3
    from zoo.models._efficientnet_builder import decode_arch_def
    from zoo.models.mobilenetv3 import MobileNetV3
    common = dict(num_features=64, head_norm=True, head_bias=False, layer_scale_init_value=1e-5, num_classes=10)
    ref = _unit_layer_scale(fill_random_(RefMobileNetV3(ref_decode(_CUSTOM_ARCH), **common))).eval()
    ours = MobileNetV3(decode_arch_def(_CUSTOM_ARCH), **common).eval()
    ours.load_state_dict(ref.state_dict())
    assert ours.feature_info == [{k: f[k] for k in ('num_chs', 'reduction', 'module', 'stage')}
                                 for f in ref.feature_info]
    x = torch.randn(2, 3, 48, 40)
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x))


@pytest.mark.parametrize('aa_layer', ['avg', 'blur', 'blurpc'])
def test_anti_alias_layers_match_timm(aa_layer):
    from timm.layers import create_aa as ref_create_aa
    from zoo.layers.anti_alias import create_aa
    x = torch.randn(2, 8, 11, 12)
    for stride in (2, 1):  # at stride 1 a blur still filters, as in dilated stages
        ours, ref = create_aa(aa_layer, channels=8, stride=stride), ref_create_aa(aa_layer, channels=8, stride=stride)
        assert_outputs_close(ours(x), ref(x))
    assert isinstance(create_aa(aa_layer, channels=8, stride=2, enable=False), torch.nn.Identity)
    with pytest.raises(ValueError, match='anti-aliasing'):
        create_aa('gaussian', channels=8)


def _loaded_pair(name: str, **kwargs):
    ref = fill_random_(timm.create_model(name, **kwargs)).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def test_features_only_values_match_timm():
    name = 'mobilenetv4_conv_small_035'
    ref = fill_random_(timm.create_model(name)).eval()
    ref_feats = timm.create_model(name, features_only=True, out_indices=(1, 3, 4)).eval()
    ref_feats.load_state_dict(ref.state_dict(), strict=False)
    feats = zoo.create_model(name, features_only=True, out_indices=(1, 3, 4), pretrained=True,
                             pretrained_cfg_overlay=dict(state_dict=ref.state_dict())).eval()
    assert feats.feature_info.channels() == ref_feats.feature_info.channels()
    assert feats.feature_info.reduction() == ref_feats.feature_info.reduction() == [4, 16, 32]
    x = torch.randn(1, 3, 64, 80)
    with torch.no_grad():
        for a, b in zip(feats(x), ref_feats(x)):
            assert_outputs_close(a, b)


def test_intermediates_prune_and_head_match_timm():
    name = 'mobilenetv4_conv_small_035'
    ours, ref = _loaded_pair(name)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        final, inter = ours.forward_intermediates(x)
        ref_final, ref_inter = ref.forward_intermediates(x)
        assert_outputs_close(final, ref_final)
        assert len(inter) == len(ref_inter) == 5
        for a, b in zip(inter, ref_inter):
            assert_outputs_close(a, b)
        # the normed head: conv (no bias) -> BN + ReLU on the pooled map
        assert ours.conv_head.bias is None and isinstance(ours.norm_head, torch.nn.BatchNorm2d)
        assert_outputs_close(ours.forward_head(final, pre_logits=True), ref.forward_head(ref_final, pre_logits=True))
    assert ours.num_features == ref.num_features and ours.head_hidden_size == ref.head_hidden_size == 1280
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.prune_intermediate_layers((0, 2)) == ref.prune_intermediate_layers((0, 2)) == [0, 2]
    assert ours.num_features == ref.num_features
    with torch.no_grad():
        for a, b in zip(ours.forward_intermediates(x, indices=(0, 2), intermediates_only=True),
                        ref.forward_intermediates(x, indices=(0, 2), intermediates_only=True)):
            assert_outputs_close(a, b)


def test_reset_classifier_keeps_head_norm():
    ours, ref = _loaded_pair('mobilenetv4_conv_small_035')
    ours.reset_classifier(7)
    assert ours.get_classifier().out_features == 7 and ours.num_classes == 7
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert ours(x).shape == (1, 7)
        ours.reset_classifier(0)
        ref.reset_classifier(0)
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='pooled'):
        ours.reset_classifier(5, global_pool='catavgmax')


def test_grad_checkpointing_same_output_and_grads():
    # checkpointing is block-agnostic, so the cheapest net checks it
    assert_grad_checkpointing_exact(zoo.create_model('mobilenetv4_conv_small_035', num_classes=5),
                                    torch.randn(2, 3, 48, 48))


def test_layer_scale_and_anti_alias_arguments_are_used():
    with torch.device('meta'):
        assert not any(isinstance(m, zoo.layers.LayerScale2d)
                       for m in zoo.create_model('mobilenetv4_conv_small_035').modules())
    conv = zoo.create_model('mobilenetv4_conv_small_035', layer_scale_init_value=0.5)
    gammas = [m.gamma for m in conv.modules() if isinstance(m, zoo.layers.LayerScale2d)]
    assert len(gammas) == 12 and all(torch.all(g == 0.5) for g in gammas)  # one per UIB block
    blur = zoo.create_model('mobilenetv4_conv_small_035', aa_layer='blurpc')
    assert sum(isinstance(m, zoo.layers.BlurPool2d) for m in blur.modules()) == 4  # one per strided block
