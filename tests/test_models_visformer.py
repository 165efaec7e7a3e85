"""Visformer checked against timm (the reference oracle).

Default run: names; visformer_tiny at 64 px (MLP-only first stage with grouped conv, attention stages, BatchNorm):
outputs, intermediates, pruning, API; position embedding resampling on load (timm's Visformer has no loader filter,
so timm's `resample_abs_pos_embed_nhwc` is the reference). `-m slow`: every name at 64 px.
"""
import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image, save_random, timm_model_with
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='visformer')
SHALLOW = dict(depth=(1, 1, 1))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='visformer')) and len(NAMES) == 2


def test_parity_intermediates_and_api():
    ref, ours = check_parity('visformer_tiny', 64, meta=True, img_size=64)
    x = image(64)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 2], norm=True), dict(indices=[1], stop_early=True)])
    assert ours.group_matcher() == ref.group_matcher()
    with torch.inference_mode():
        feats = ours.forward_features(x)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
        ours.set_grad_checkpointing(False)
        ours.reset_classifier(4, 'catavgmax')
        ref.reset_classifier(4, 'catavgmax')
        ours.head.load_state_dict(ref.head.state_dict())
        assert_outputs_close(ours(x), ref(x))
        before = ours.forward_intermediates(x, indices=[0, 1], intermediates_only=True)
        ours.prune_intermediate_layers([0, 1])
        assert ours.stage3 is None and ours.num_features == 192 and ours(x).shape == (2, 192, 4, 4)
        for a, b in zip(ours.forward_intermediates(x, indices=[0, 1], intermediates_only=True), before):
            assert_outputs_close(a, b)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_pos_embed_resampled_on_load(tmp_path):
    path = tmp_path / 'visformer.safetensors'
    saved = save_random('visformer_tiny', path, img_size=64, **SHALLOW)
    ours = zoo.create_model('visformer_tiny', img_size=96, pretrained=True, pretrained_cfg_overlay=dict(file=str(path)),
                            **SHALLOW).eval()
    for i, grid in ((1, (12, 12)), (2, (6, 6)), (3, (3, 3))):
        nhwc = saved[f'pos_embed{i}'].permute(0, 2, 3, 1)
        expected = timm.layers.resample_abs_pos_embed_nhwc(nhwc, grid).permute(0, 3, 1, 2)
        torch.testing.assert_close(getattr(ours, f'pos_embed{i}'), expected, rtol=0, atol=1e-6)
    ref = timm_model_with('visformer_tiny', ours.state_dict(), img_size=96, **SHALLOW)
    x = image(96, 1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
