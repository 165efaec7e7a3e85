"""Hybrid ViTs (CNN feature map -> patch tokens) checked against timm (the reference oracle).

Layout of every name: tests/test_layout_all.py; cfgs: tests/test_registry.py. Default run: output parity at 64 px
with two transformer blocks for one model per backbone kind (the ResNet-V2 trunk through the dynamic-size test),
dynamic input size, set_input_size, position-embedding resampling on load, features. `-m slow`: every name.
"""
import pytest
import torch

from _parity import assert_feature_info_parity, assert_outputs_close, build_pair_meta, fill_random_, timm

import zoo

MODULE = 'vision_transformer_hybrid'
NAMES = zoo.list_models(module=MODULE)
# the four-stage ResNet-V2 backbone (vit_small_r26_s32_224: post-activation GroupNorm / StdConv stages, TF 'SAME'
# padding, stride 32) is compared with timm in test_dynamic_img_size_matches_timm, so it is not repeated here
SAMPLE = (
    'vit_tiny_r_s16_p8_224',  # the ResNet stem alone (stride 4), 8 x 8 patches
    'vit_base_mci_224',  # MobileCLIP conv stem, no patch projection, patch-only position embedding
)


def _pair(name: str, **kwargs):
    return build_pair_meta(name, img_size=kwargs.pop('img_size', 64), depth=kwargs.pop('depth', 2), **kwargs)


def test_registered_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))


def _check_parity(name: str, **kwargs) -> None:
    ref, ours = _pair(name, **kwargs)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


@pytest.mark.parametrize('name', SAMPLE)
def test_parity_sample(name: str):
    _check_parity(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', [n for n in NAMES if n not in SAMPLE])
def test_parity_slow(name: str):
    _check_parity(name)


def test_resnet_d_backbone_cut_at_stride_16():
    """A ResNet-D trunk cut after layer3 (vit_small_resnet50d_s16_224), with the stages shortened."""
    ref, ours = _pair('vit_small_resnet50d_s16_224', depth=1)
    assert ours.patch_embed.feat_ratio() == 16 and ours.patch_embed.grid_size == (4, 4)
    assert isinstance(ours.patch_embed.backbone.layer4, torch.nn.Identity)
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_dynamic_img_size_matches_timm():
    ref, ours = _pair('vit_small_r26_s32_224', dynamic_img_size=True)
    for h, w in ((96, 64), (70, 50)):
        x = torch.randn(1, 3, h, w)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x))
            inter = ours.forward_intermediates(x, indices=1, intermediates_only=True)[0]
        # the backbone pads like TF 'SAME', so the grid is ceil(size / 32); timm reshapes with floor(size / 32),
        # which breaks for sizes that are not multiples of 32 (e.g. 70 x 50), so only the grid is checked there
        assert inter.shape == (1, 384, -(-h // 32), -(-w // 32))
        if h % 32 == 0 and w % 32 == 0:
            with torch.inference_mode():
                expected = ref.forward_intermediates(x, indices=1, intermediates_only=True)[0]
            assert_outputs_close(inter, expected)
    fixed = zoo.create_model('vit_tiny_r_s16_p8_224', img_size=64, depth=1)
    with pytest.raises(ValueError, match='does not match'):
        fixed(torch.randn(1, 3, 96, 96))


def test_set_input_size_matches_timm():
    ref, ours = _pair('vit_tiny_r_s16_p8_224')
    ref.set_input_size(img_size=(96, 96))
    ours.set_input_size(96)
    assert ours.patch_embed.grid_size == (3, 3)
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = torch.randn(1, 3, 96, 96)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_checkpoint_at_another_size_resamples_like_timm(tmp_path):
    """A 224 checkpoint loaded into the 384 model: the position embedding is resampled to the larger grid."""
    from safetensors.torch import save_file
    src = fill_random_(timm.create_model('vit_tiny_r_s16_p8_224', depth=1))
    path = tmp_path / 'weights.safetensors'
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, str(path))
    overlay = dict(file=str(path))
    ref = timm.create_model('vit_tiny_r_s16_p8_384', pretrained=True, pretrained_cfg_overlay=overlay, depth=1).eval()
    ours = zoo.create_model('vit_tiny_r_s16_p8_384', pretrained=True, pretrained_cfg_overlay=overlay, depth=1).eval()
    assert src.pos_embed.shape[1] == 1 + 7 * 7 and ours.pos_embed.shape[1] == 1 + 12 * 12
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = torch.randn(1, 3, 384, 384)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_features_match_timm():
    assert_feature_info_parity('vit_small_r26_s32_224', img_size=64, depth=4)
    assert_feature_info_parity('vit_base_mci_224', img_size=64, depth=3, out_indices=(0, 2))
    ours = zoo.create_model('vit_tiny_r_s16_p8_224', img_size=64, depth=3, features_only=True)
    with torch.inference_mode():
        maps = ours(torch.randn(1, 3, 64, 64))
    assert [tuple(m.shape) for m in maps] == [(1, 192, 2, 2)] * 3


def test_backbone_follows_in_chans_and_bad_values_are_refused():
    """The backbone is built for the model's in_chans (as timm's is); a bad in_chans is refused by name before any
    backbone is built."""
    for name, first_conv in (('vit_tiny_r_s16_p8_224', 'patch_embed.backbone.conv'),
                             ('vit_base_mci_224', 'patch_embed.backbone.0.conv')):
        with torch.device('meta'):
            ours = zoo.create_model(name, in_chans=1, img_size=64, depth=1)
            ref = timm.create_model(name, in_chans=1, img_size=64, depth=1)
        assert ours.get_submodule(first_conv).weight.shape == ref.get_submodule(first_conv).weight.shape
        assert ours.get_submodule(first_conv).weight.shape[1] == 1
        with pytest.raises(ValueError, match='in_chans'):
            zoo.create_model(name, in_chans=2.5)
