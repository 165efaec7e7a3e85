"""PiT checked against timm (the reference oracle).

Default run: names; output parity and intermediates at 64 px for a plain and a distilled model (sharing the pair with
the API checks), and pos_embed resampling on load (timm's PiT loader does not resample, so timm's
`resample_abs_pos_embed_nhwc` is the reference). `-m slow`: every name at 64 px.
"""
import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image, save_random, timm_model_with
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='pit')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='pit')) and len(NAMES) == 8


def test_parity_plain_and_intermediates():
    ref, ours = check_parity('pit_ti_224', 64, meta=True, img_size=64)
    check_intermediates(ref, ours, image(64), [{}, dict(indices=[0, 2], norm=True), dict(indices=[1], stop_early=True)])
    with torch.inference_mode():
        feats = ours.forward_features(image(64))
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(image(64)), feats)
    features = zoo.create_model('pit_ti_224', img_size=64, features_only=True, feature_cls='getter', out_indices=(0, 1))
    assert features.feature_info.channels() == [64, 128] and len(features.model.transformers) == 2


def test_distilled_heads_are_averaged():
    ref, ours = check_parity('pit_xs_distilled_224', 64, meta=True, img_size=64)
    ours.train()  # the average is returned in training too (no flag-dependent tuple)
    x = image(64)
    with torch.no_grad():
        feats = ours.forward_features(x)
        cls_logits, dist_logits = ours.forward_head_distilled(feats)
        torch.testing.assert_close(ours.forward_head(feats), (cls_logits + dist_logits) / 2)
    ours.reset_classifier(3)
    assert ours.head_dist.out_features == 3
    with pytest.raises(ValueError, match='distillation'):
        ours.reset_classifier(3, '')


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_pos_embed_resampled_on_load(tmp_path):
    path = tmp_path / 'pit.safetensors'
    saved = save_random('pit_ti_224', path, depth=(1, 1, 1))
    ours = zoo.create_model('pit_ti_224', img_size=112, depth=(1, 1, 1), pretrained=True,
                            pretrained_cfg_overlay=dict(file=str(path))).eval()
    grid = (13, 13)  # (112 - 16) / 8 + 1
    expected = timm.layers.resample_abs_pos_embed_nhwc(saved['pos_embed'].permute(0, 2, 3, 1), grid).permute(0, 3, 1, 2)
    torch.testing.assert_close(ours.pos_embed, expected, rtol=0, atol=1e-6)
    ref = timm_model_with('pit_ti_224', ours.state_dict(), img_size=112, depth=(1, 1, 1))
    x = image(112, 1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='img_size'):
        ours(image(96, 1))
