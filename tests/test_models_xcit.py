"""XCiT checked against timm (the reference oracle).

Default run: names, output parity at 64 px with two XCA blocks for one model per block configuration (patch 16 / 8,
LayerScale 1 / 1e-5, class-token norm / all-token norm, 'avg' pooling), one full-size model, intermediates, official
checkpoint conversion. `-m slow`: every name at 64 px (all blocks) and features_only channels for every name.
XCiT has no learned position embedding (its Fourier features are computed for any grid), so nothing is resampled when
a checkpoint of another resolution is loaded; that is checked too.
"""
import pytest
import torch

from _hier_parity import build_pair, check_intermediates, check_parity, image, save_random
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo
from zoo.models.xcit import checkpoint_filter_fn

NAMES = zoo.list_models(module='xcit')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='xcit')) and len(NAMES) == 28


@pytest.mark.parametrize('name, kwargs', [
    ('xcit_nano_12_p16_224', {}),  # eta 1, class-token-only norm in class attention
    ('xcit_tiny_12_p8_224', {}),  # patch 8 stem, tokens_norm
    ('xcit_small_24_p16_224', dict(global_pool='avg')),  # eta 1e-5, avg pooling reads the patch tokens
])
def test_parity_reduced(name, kwargs):
    check_parity(name, 64, meta=True, img_size=64, depth=2, **kwargs)


def test_parity_full_size():
    check_parity('xcit_nano_12_p16_224', 224, batch_size=1, meta=True)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_features_only_matches_timm(name):
    assert_feature_info_parity(name)


def test_intermediates_and_api():
    ref, ours = build_pair('xcit_nano_12_p8_224', meta=True, img_size=48, depth=3)
    x = image(48)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 2], norm=True), dict(indices=[1], stop_early=True)])
    assert ours.forward_intermediates(x, indices=1, output_fmt='NHWC', intermediates_only=True)[0].shape == \
        (2, 6, 6, 128)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == ref.no_weight_decay()
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert feats.shape == (2, 1 + 36, 128)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
    ours.reset_classifier(7, 'avg')
    ref.reset_classifier(7, 'avg')
    ours.head.load_state_dict(ref.head.state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='global_pool'):
        ours.reset_classifier(3, 'max')
    # features_only drops the class token and class attention (they belong to the head)
    features = zoo.create_model('xcit_nano_12_p8_224', img_size=48, depth=3, features_only=True, out_indices=(1, 2))
    assert features.model.cls_token is None and [f.shape[1] for f in features(x)] == [128, 128]


def test_official_checkpoint_layout_converted():
    """The facebookresearch/xcit layout (`pos_embeder`, packed class-attention qkv) loads through the filter."""
    ref, ours = build_pair('xcit_nano_12_p16_224', meta=True, img_size=32, depth=1)
    official = {}
    for key, value in ref.state_dict().items():
        key = key.replace('pos_embed.', 'pos_embeder.')
        official[key] = value
    for i in range(2):
        parts = [official.pop(f'cls_attn_blocks.{i}.attn.{n}.{p}') for n in 'qkv' for p in ('weight', 'bias')]
        official[f'cls_attn_blocks.{i}.attn.qkv.weight'] = torch.cat(parts[0::2])
        official[f'cls_attn_blocks.{i}.attn.qkv.bias'] = torch.cat(parts[1::2])
    fresh = zoo.create_model('xcit_nano_12_p16_224', img_size=32, depth=1).eval()
    fresh.load_state_dict(checkpoint_filter_fn({'model': official}, fresh), strict=True)
    x = image(32)
    with torch.inference_mode():
        assert_outputs_close(fresh(x), ref(x))


def test_checkpoint_of_another_resolution_loads_unchanged(tmp_path):
    path = tmp_path / 'xcit.safetensors'
    save_random('xcit_nano_12_p16_224', path, depth=1)
    overlay = dict(file=str(path))
    ref = timm.create_model('xcit_nano_12_p16_384', pretrained=True, pretrained_cfg_overlay=overlay, depth=1).eval()
    ours = zoo.create_model('xcit_nano_12_p16_384', pretrained=True, pretrained_cfg_overlay=overlay, depth=1).eval()
    x = image(96, 1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
