"""Relative-position ViTs (timm's `vision_transformer_relpos`) checked against timm (the reference oracle).

Default run: per-block and shared log-coordinate MLP biases, class token, residual post-norm blocks, Swin V2 MLP
coordinates and learned bias tables at 64 px with two blocks; `set_input_size` (coordinates rebuilt / tables
resampled) and loading a table checkpoint made at another resolution. `-m slow`: every name.
"""
import pytest
import torch

from _pairs import build_pair, check_pair, load_both, save_random
from _parity import assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='vision_transformer_relpos')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='vision_transformer_relpos'))
    assert len(NAMES) == 14


@pytest.mark.parametrize('name, kwargs', [
    ('test_vit_relpos', {}),  # per-block 'cr' MLP bias, avg + fc_norm
    ('vit_srelpos_small_patch16_224', dict(embed_dim=64, num_heads=4)),  # one shared MLP bias
    ('vit_relpos_medium_patch16_cls_224', dict(embed_dim=64, num_heads=4)),  # class token (zero bias), token pool
    ('vit_relpos_small_patch16_rpn_224', dict(embed_dim=64, num_heads=4)),  # residual post-norm blocks
    ('test_vit_relpos', dict(rel_pos_type='mlp_swin')),  # Swin V2 coordinates, 16 * sigmoid
    ('test_vit_relpos', dict(rel_pos_type='bias', class_token=True, qk_norm=True)),  # learned table with class rows
], ids=['mlp', 'shared', 'cls', 'rpn', 'swin', 'bias'])
def test_parity_sample(name: str, kwargs):
    check_pair(name, (64, 64), img_size=64, depth=2, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name: str):
    check_pair(name, (64, 64), img_size=64, depth=2)


@pytest.mark.parametrize('kwargs', [dict(shared_rel_pos=True), dict(rel_pos_type='bias', class_token=True)],
                         ids=['mlp', 'bias'])
def test_set_input_size_matches_timm(kwargs):
    ref, ours = build_pair('test_vit_relpos', img_size=64, depth=2, **kwargs)
    ref.set_input_size(img_size=(96, 80))
    ours.set_input_size((96, 80))
    x = torch.randn(1, 3, 96, 80)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_tables_resampled_on_load(tmp_path):
    path = tmp_path / 'weights.safetensors'
    saved = save_random('test_vit_relpos', path, img_size=64, depth=2, rel_pos_type='bias')
    ref, ours = load_both('test_vit_relpos', path, img_size=96, depth=2, rel_pos_type='bias')
    key = 'blocks.0.attn.rel_pos.relative_position_bias_table'
    assert saved[key].shape != ours.state_dict()[key].shape
    torch.testing.assert_close(ours.state_dict()[key], ref.state_dict()[key], rtol=0, atol=1e-6)
    x = torch.randn(1, 3, 96, 96)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_api_against_timm():
    ref, ours = build_pair('vit_relpos_medium_patch16_cls_224', img_size=64, depth=3, embed_dim=64, num_heads=4)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == ref.no_weight_decay()
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        for kwargs in (dict(indices=[0, 2], norm=True), dict(indices=1, output_fmt='NLC')):
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            final, inter = ours.forward_intermediates(x, **kwargs)
            assert_outputs_close(final, final_ref)
            for o, r in zip(inter, inter_ref):
                assert_outputs_close(o, r)
