"""TNT checked against timm (the reference oracle).

Default run: names; the current and the legacy layout at 64 px with two blocks (outputs, intermediates, API), and
patch position embedding resampling when a 224-px checkpoint is loaded into a 64-px model (timm resamples the same
way: compared directly). `-m slow`: every name at 64 px.
"""
import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image, save_random
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='tnt')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='tnt')) and len(NAMES) == 3


@pytest.mark.parametrize('name, kwargs', [('tnt_s_patch16_224', {}),
                                          ('tnt_s_legacy_patch16_224', dict(global_pool='avg'))])
def test_parity_and_intermediates(name, kwargs):
    ref, ours = check_parity(name, 64, meta=True, img_size=64, depth=2, **kwargs)
    x = image(64)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 1], norm=True), dict(indices=[0], stop_early=True),
                                       dict(indices=[1], output_fmt='NLC')])
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert feats.shape == (2, 1 + 16, 384)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
    assert ours.no_weight_decay() == ref.no_weight_decay()


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_patch_pos_resampled_on_load(tmp_path):
    path = tmp_path / 'tnt.safetensors'
    saved = save_random('tnt_s_patch16_224', path, depth=1)
    overlay = dict(file=str(path))
    ref = timm.create_model('tnt_s_patch16_224', pretrained=True, pretrained_cfg_overlay=overlay, depth=1,
                            img_size=64).eval()
    ours = zoo.create_model('tnt_s_patch16_224', pretrained=True, pretrained_cfg_overlay=overlay, depth=1,
                            img_size=64).eval()
    assert saved['patch_pos'].shape != ours.patch_pos.shape
    torch.testing.assert_close(ours.patch_pos, ref.patch_pos, rtol=0, atol=1e-6)
    x = image(64, 1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='img_size'):
        ours(image(96, 1))
