"""ConViT checked against timm (the reference oracle).

Default run: names; convit_tiny at 64 px with four blocks (two GPSA, then the class token joins): outputs,
intermediates (class token dropped from the levels after it joins), pruning before the class token joins, the
paper's local initialisation (equal to timm's), and pos_embed resampling on load (timm's ConViT has no loader
filter, so timm's `resample_abs_pos_embed` is the reference). `-m slow`: every name at 64 px.
"""
import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image, save_random, timm_model_with
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='convit')
SMALL = dict(img_size=64, depth=4, local_up_to_layer=2)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='convit')) and len(NAMES) == 3


def test_parity_intermediates_and_pruning():
    ref, ours = check_parity('convit_tiny', 64, meta=True, global_pool='avg', **SMALL)
    x = image(64)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 3], norm=True), dict(indices=[1], stop_early=True),
                                       dict(indices=[2], output_fmt='NLC')])
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert feats.shape == (2, 1 + 16, 192)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
        ours.set_grad_checkpointing(False)
        levels = ours.forward_intermediates(x, indices=[0, 1], intermediates_only=True)
        ours.prune_intermediate_layers([0, 1])  # before the class token joins: it goes
        assert ours.cls_token is None and len(ours.blocks) == 2
        for a, b in zip(ours.forward_intermediates(x, indices=[0, 1], intermediates_only=True), levels):
            assert_outputs_close(a, b)


def test_local_init_matches_timm():
    ours = zoo.create_model('convit_tiny', **SMALL)
    ref = timm.create_model('convit_tiny', **SMALL)
    for a, b in zip(ours.blocks[:2], ref.blocks[:2]):
        torch.testing.assert_close(a.attn.pos_proj.weight, b.attn.pos_proj.weight)
        torch.testing.assert_close(a.attn.v.weight, b.attn.v.weight)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_pos_embed_resampled_on_load(tmp_path):
    path = tmp_path / 'convit.safetensors'
    saved = save_random('convit_tiny', path, **SMALL)
    kwargs = dict(SMALL, img_size=96)
    ours = zoo.create_model('convit_tiny', pretrained=True, pretrained_cfg_overlay=dict(file=str(path)), **kwargs)
    expected = timm.layers.resample_abs_pos_embed(saved['pos_embed'], (6, 6), num_prefix_tokens=0)
    torch.testing.assert_close(ours.pos_embed, expected, rtol=0, atol=1e-6)
    ref = timm_model_with('convit_tiny', ours.state_dict(), **kwargs)
    x = image(96, 1)
    with torch.inference_mode():
        assert_outputs_close(ours.eval()(x), ref(x))
