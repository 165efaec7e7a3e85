"""CaiT checked against timm (the reference oracle).

Default run: names, output parity at 64 px with two blocks (LayerScale 1e-5 and 1e-6 configurations, 'avg' pooling),
intermediates and the model API, and pos_embed resampling when a checkpoint of another resolution is loaded (timm's
CaiT loader does not resample, so timm's `resample_abs_pos_embed` is the reference for the resized table).
`-m slow`: every name at 64 px (all blocks).
"""
import pytest
import torch

from _hier_parity import build_pair, check_intermediates, check_parity, image, save_random
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='cait')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='cait')) and len(NAMES) == 10


@pytest.mark.parametrize('name, kwargs', [
    ('cait_xxs24_224', {}),
    ('cait_s36_384', dict(global_pool='avg')),
])
def test_parity_reduced(name, kwargs):
    check_parity(name, 64, meta=True, img_size=64, depth=2, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_intermediates_and_api():
    ref, ours = build_pair('cait_xxs24_224', meta=True, img_size=48, depth=3)
    x = image(48)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 2], norm=True), dict(indices=1, output_fmt='NLC')])
    names = [n for n, _ in ours.named_parameters()]
    assert [ours.group_matcher()(n) for n in names] == [ref.group_matcher()(n) for n in names]
    assert ours.no_weight_decay() == {'pos_embed', 'cls_token'}
    with torch.inference_mode():
        feats = ours.forward_features(x)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
    features = zoo.create_model('cait_xxs24_224', img_size=48, depth=3, features_only=True)
    assert features.model.cls_token is None and len(features(x)) == 3


def test_pos_embed_resampled_on_load(tmp_path):
    path = tmp_path / 'cait.safetensors'
    saved = save_random('cait_xxs24_224', path, depth=1)
    ours = zoo.create_model('cait_xxs24_384', pretrained=True, pretrained_cfg_overlay=dict(file=str(path)),
                            depth=1).eval()
    expected = timm.layers.resample_abs_pos_embed(saved['pos_embed'], (24, 24), num_prefix_tokens=0)
    torch.testing.assert_close(ours.pos_embed, expected, rtol=0, atol=1e-6)
    ref = timm.create_model('cait_xxs24_384', depth=1).eval()
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = image(384, 1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
