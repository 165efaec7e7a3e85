"""VOLO checked against timm (the reference oracle).

timm's factories fix the depth, so parity runs at full depth and 64 px. Default run (one model pair shared by the
tests): names, volo_d1 with the D5 switches (wider MLP and stem) in both poolings (outputs, intermediates, API), and
position-embedding resampling on load (timm's VOLO loader does not resample, so timm's
`resample_abs_pos_embed_nhwc` is the reference). `-m slow`: every name at 64 px.
"""
import pytest
import torch

from _hier_parity import build_pair, check_intermediates, check_parity, image, save_random, timm_model_with
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='volo')


@pytest.fixture(scope='module')
def pair():
    return build_pair('volo_d1_224', meta=True, img_size=64, mlp_ratio=4, stem_hidden_dim=128, global_pool='avg')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='volo')) and len(NAMES) == 11


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_parity_and_intermediates(pair):
    ref, ours = pair
    x = image(64)
    with torch.inference_mode():
        feats, feats_ref = ours.forward_features(x), ref.forward_features(x)
        assert feats.shape == (2, 1 + 16, 384)
        for pool in ('avg', 'token'):  # the token-label auxiliary head joins both poolings
            ours.global_pool = ref.global_pool = pool
            assert_outputs_close(ours.forward_head(feats), ref.forward_head(feats_ref), name=pool)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 2], norm=True), dict(indices=[1], stop_early=True)])


def test_api(pair):
    _, ours = pair
    x = image(64)
    assert ours.group_matcher()['blocks2'][1] == (r'^post_network\.(\d+)', None)
    assert ours.no_weight_decay() == {'pos_embed', 'cls_token'}
    with torch.inference_mode():
        feats = ours.forward_features(x)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
        ours.set_grad_checkpointing(False)
    with zoo.models.no_init():
        features = zoo.create_model('volo_d1_224', img_size=64, features_only=True, out_indices=(0, 1))
    assert features.model.cls_token is None and features.feature_info.channels() == [192, 384]
    assert [t.shape[-1] for t in features(x)] == [8, 4]
    with zoo.models.no_init():
        model = zoo.create_model('volo_d1_224', img_size=64, num_classes=3)
    assert model.aux_head.out_features == 3
    model.reset_classifier(0)
    assert model.aux_head is None and model(x).shape == (2, 384)


def test_pos_embed_resampled_on_load(tmp_path):
    path = tmp_path / 'volo.safetensors'
    saved = save_random('volo_d1_224', path, img_size=64)
    ours = zoo.create_model('volo_d1_224', img_size=96, pretrained=True, pretrained_cfg_overlay=dict(file=str(path)))
    expected = timm.layers.resample_abs_pos_embed_nhwc(saved['pos_embed'], (6, 6))
    torch.testing.assert_close(ours.pos_embed, expected, rtol=0, atol=1e-6)
    timm_model_with('volo_d1_224', ours.state_dict(), img_size=96)  # the whole checkpoint now fits a 96-px model
