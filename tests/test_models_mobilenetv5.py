"""MobileNetV5 (Gemma 3n vision encoder): parity with timm 1.0.31, the oracle.

The registered names are large (83M-294M parameters), so the default run checks the architecture on small configs
built from the same classes in both libraries (every block type of the family, the MSFA neck with its pooling,
interpolating and upsampling paths, both paddings, the encoder-only variant, the MobileNetV4-style head), plus the
model API; `-m slow` runs the three registered names at reduced input sizes. Layouts of all three are checked on the
meta device by tests/test_layout_all.py.
"""
import pytest
import torch

import zoo
from _grad_checks import assert_grad_checkpointing_exact
from _parity import assert_outputs_close, build_pair_meta, fill_random_, timm
from zoo.models._efficientnet_builder import decode_arch_def
from zoo.models.mobilenetv5 import MobileNetV5, MobileNetV5Encoder, checkpoint_filter_fn

NAMES = zoo.list_models(module='mobilenetv5')

# a small MobileNetV5: fused early blocks, ExtraDW / ConvNeXt-like / FFN UIBs, Mobile MQA with and without kv stride
_ARCH = [
    ['er_r1_k3_s2_e4_c16', 'er_r1_k3_s1_e4_c16'],
    ['uir_r1_a3_k5_s2_e4_c24', 'uir_r1_a5_k0_s1_e4_c24'],
    ['uir_r1_a5_k5_s2_e4_c32', 'uir_r1_a0_k0_s1_e1_c32', 'mqa_r1_k3_h2_v2_s1_d8_c32', 'uir_r1_a0_k0_s1_e2_c32'],
    ['uir_r1_a5_k5_s2_e4_c48', 'mqa_r1_k3_h4_s1_d8_c48', 'uir_r1_a0_k0_s1_e2_c48'],
]


def _small_pair(encoder: bool = False, **kwargs):
    from timm.models._efficientnet_builder import decode_arch_def as ref_decode
    from timm.models import mobilenetv5 as ref_mod
    kwargs = dict(stem_size=8, layer_scale_init_value=1e-5, **kwargs)
    if encoder:
        ref, ours = ref_mod.MobileNetV5Encoder(ref_decode(_ARCH), **kwargs), MobileNetV5Encoder(decode_arch_def(_ARCH),
                                                                                                 **kwargs)
    else:
        kwargs.setdefault('num_features', 64)
        kwargs.setdefault('num_classes', 10)
        ref, ours = ref_mod.MobileNetV5(ref_decode(_ARCH), **kwargs), MobileNetV5(decode_arch_def(_ARCH), **kwargs)
    ref = fill_random_(ref).eval()
    with torch.no_grad():  # unit layer scale, so the attention and FFN branches weigh in the comparison
        for name, p in ref.named_parameters():
            if name.endswith('layer_scale.gamma'):
                p.fill_(1.)
    ours = ours.eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='mobilenetv5')) and len(NAMES) == 3


# the finest fused level is 1/16 of the input: 64 px -> 4x4, pooled to 2x2, interpolated to 3x3, upsampled to 8x8
@pytest.mark.parametrize('resolution', [2, 3, 8])
@pytest.mark.parametrize('pad_type', ['', 'same'])
def test_small_config_parity(resolution, pad_type):
    ours, ref = _small_pair(msfa_output_resolution=resolution, pad_type=pad_type)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x))
        assert_outputs_close(ours(x), ref(x))
    assert ours.forward_features(x).shape[-2:] == (resolution, resolution)


def test_small_config_without_msfa_has_the_mobilenetv4_head():
    ours, ref = _small_pair(use_msfa=False)
    assert ours.msfa is None and ours.norm_head.weight.shape == (64,)
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x))


def test_small_encoder_parity_and_gemma_checkpoint_filter():
    ours, ref = _small_pair(encoder=True, pad_type='same')
    x = torch.randn(1, 3, 80, 64)
    with torch.no_grad():
        out = ours(x)
        assert_outputs_close(out, ref(x))
    assert out.shape == (1, 2048, 16, 16)
    with pytest.raises(NotImplementedError, match='no classification head'):
        ours.forward_head(out)
    with pytest.raises(ValueError, match='no classification head'):
        ours.reset_classifier(10)
    # a full Gemma 3n checkpoint nests the tower under a prefix; only its keys are taken
    gemma = {f'model.vision_tower.timm_model.{k}': v for k, v in ref.state_dict().items()}
    gemma['model.language_model.embed.weight'] = torch.zeros(3, 3)
    filtered = checkpoint_filter_fn({'state_dict': gemma}, ours)
    assert set(filtered) == set(ref.state_dict())
    ours.load_state_dict(filtered, strict=True)
    with pytest.raises(TypeError, match='no classification head'):
        zoo.create_model('mobilenetv5_300m_enc', num_classes=10, pretrained=False)


def test_intermediates_and_prune_match_timm():
    ours, ref = _small_pair()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        final, inter = ours.forward_intermediates(x)
        ref_final, ref_inter = ref.forward_intermediates(x)
        assert_outputs_close(final, ref_final)  # the MSFA output
        assert_outputs_close(final, ours.forward_features(x))
        assert len(inter) == len(ref_inter) == 5
        for a, b in zip(inter, ref_inter):
            assert_outputs_close(a, b)
        only = ours.forward_intermediates(x, indices=[1], intermediates_only=True)
        assert_outputs_close(only[0], ref_inter[1])
        early_final, early = ours.forward_intermediates(x, indices=[1], stop_early=True)
        assert_outputs_close(early_final, ref_inter[1])
        nhwc = ours.forward_intermediates(x, indices=[4], output_fmt='NHWC')[1][0]
        assert_outputs_close(nhwc, ref_inter[4].permute(0, 2, 3, 1))
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.prune_intermediate_layers((1, 2)) == ref.prune_intermediate_layers((1, 2)) == [1, 2]
    assert ours.msfa is None and ours.num_features == ref.num_features == 24
    with torch.no_grad():
        for a, b in zip(ours.forward_intermediates(x, indices=(1, 2), intermediates_only=True),
                        ref.forward_intermediates(x, indices=(1, 2), intermediates_only=True)):
            assert_outputs_close(a, b)
        # the head went with the neck: the model now returns the unpooled level-2 map, as timm's does
        assert ours(x).shape == (2, 24, 8, 8)
        assert_outputs_close(ours(x), ref(x))


def test_prune_head_only_drops_the_neck():
    ours, ref = _small_pair()
    assert ours.prune_intermediate_layers(5, prune_head=True) == ref.prune_intermediate_layers(5, prune_head=True)
    assert ours.msfa is None and ours.num_features == ref.num_features == 48 and ours.num_classes == 0


def test_grad_checkpointing_same_output_and_grads():
    assert_grad_checkpointing_exact(_small_pair()[0], torch.randn(2, 3, 64, 64))


def test_rms_norm_act_matches_timm():
    from timm.layers import RmsNormAct2d as RefRmsNormAct2d
    from zoo.layers.norm_act_channel import RmsNormAct2d
    ref = fill_random_(RefRmsNormAct2d(24, act_layer='gelu_tanh')).eval()
    ours = RmsNormAct2d(24, act_layer='gelu_tanh')
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 24, 5, 3) * 2
    assert_outputs_close(ours(x), ref(x))


@pytest.mark.slow
@pytest.mark.parametrize('name,size',
                         [('mobilenetv5_base', 96), ('mobilenetv5_300m', 96), ('mobilenetv5_300m_enc', 128)])
def test_registered_names_parity(name, size):
    ref, ours = build_pair_meta(name)
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)
