"""CrossViT checked against timm (the reference oracle).

Default run: names, output parity at 120 px (the second branch then sees 112 px) for the strided-conv and the
conv-stack ("dagger") embeddings with token and avg pooling, branch-major intermediates, the model API, and position
embedding resampling when a checkpoint of another resolution is loaded (timm's CrossViT loader only renames keys, so
timm's `resample_abs_pos_embed` is the reference for the resized tables). `-m slow`: every name at 120 px.
"""
import pytest
import torch

from _hier_parity import build_pair, check_intermediates, check_parity, image, save_random
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='crossvit')
ONE_BLOCK = dict(depth=((1, 2, 0),))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='crossvit')) and len(NAMES) == 11


@pytest.mark.parametrize('name, kwargs', [
    ('crossvit_tiny_240', {}),
    ('crossvit_9_dagger_240', dict(global_pool='avg')),
])
def test_parity_reduced(name, kwargs):
    check_parity(name, 120, meta=True, img_size=120, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 120, batch_size=1, meta=True, img_size=120)
    assert_feature_info_parity(name)


def test_intermediates_and_api():
    ref, ours = build_pair('crossvit_tiny_240', meta=True, img_size=120, depth=((1, 1, 0),) * 2)
    x = image(120)
    check_intermediates(ref, ours, x, [dict(indices=[0, 3], norm=True), dict(indices=[1, 2], output_fmt='NLC')])
    only = ours.forward_intermediates(x, intermediates_only=True)
    assert [tuple(t.shape[1:]) for t in only] == [(96, 10, 10)] * 2 + [(192, 7, 7)] * 2
    assert ours.no_weight_decay() == ref.no_weight_decay()
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert ours.forward_head(feats, pre_logits=True).shape == (2, 96 + 192)
        ours.set_grad_checkpointing(True)
        for a, b in zip(ours.forward_features(x), feats):
            assert_outputs_close(a, b)
    features = zoo.create_model('crossvit_tiny_240', img_size=120, depth=((1, 1, 0),) * 2, features_only=True)
    assert features.feature_info.channels() == [96, 192] and len(features.model.blocks) == 2
    ours.reset_classifier(0)
    assert ours(x).shape == (2, 96 + 192)


def test_pos_embed_resampled_on_load(tmp_path):
    path = tmp_path / 'crossvit.safetensors'
    saved = save_random('crossvit_15_dagger_240', path, **ONE_BLOCK)
    ours = zoo.create_model('crossvit_15_dagger_408', pretrained=True, pretrained_cfg_overlay=dict(file=str(path)),
                            **ONE_BLOCK).eval()
    for branch, grid in ((0, (34, 34)), (1, (24, 24))):
        key = f'pos_embed_{branch}'
        expected = timm.layers.resample_abs_pos_embed(saved[key], grid, num_prefix_tokens=1)
        torch.testing.assert_close(getattr(ours, key), expected, rtol=0, atol=1e-6)
    ref = timm.create_model('crossvit_15_dagger_408', **ONE_BLOCK).eval()
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = image(408, 1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
