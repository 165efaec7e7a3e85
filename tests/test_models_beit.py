"""BEiT / BEiT v2 checked against timm (the reference oracle).

Default run: per-block and shared relative position bias at 64 px with two blocks, `set_input_size` and loading a
checkpoint made at another resolution (bias tables resampled as timm's filter does). `-m slow`: every name.
"""
import pytest
import torch

from _pairs import build_pair, check_pair, load_both, save_random
from _parity import assert_outputs_close, timm

import zoo
from zoo.layers.attention_rope import set_fused_attn

NAMES = zoo.list_models(module='beit')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='beit'))
    assert len(NAMES) == 7


@pytest.mark.parametrize('name, kwargs', [
    ('beit_base_patch16_224', dict(embed_dim=64, num_heads=4)),  # per-block tables, LayerScale, avg + fc_norm
    ('beitv2_base_patch16_224', dict(embed_dim=64, num_heads=4, use_shared_rel_pos_bias=True, use_abs_pos_emb=True,
                                     global_pool='token')),  # shared table added to per-block ones, abs embedding
])
def test_parity_sample(name: str, kwargs):
    check_pair(name, (64, 64), img_size=64, depth=2, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name: str):
    check_pair(name, (64, 64), img_size=64, depth=2)


def test_set_input_size_matches_timm():
    ref, ours = build_pair('beit_base_patch16_224', img_size=64, depth=2, embed_dim=64, num_heads=4,
                           use_shared_rel_pos_bias=True, use_abs_pos_emb=True)
    ref.set_input_size(img_size=(96, 80))
    ours.set_input_size((96, 80))
    for key, value in ref.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[key], value, rtol=0, atol=1e-6, msg=key)
    x = torch.randn(1, 3, 96, 80)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_tables_resampled_on_load(tmp_path):
    path = tmp_path / 'weights.safetensors'
    saved = save_random('beit_base_patch16_224', path, img_size=64, depth=2, embed_dim=64, num_heads=4)
    ref, ours = load_both('beit_base_patch16_224', path, img_size=112, depth=2, embed_dim=64, num_heads=4)
    key = 'blocks.1.attn.relative_position_bias_table'
    assert saved[key].shape != ours.state_dict()[key].shape
    torch.testing.assert_close(ours.state_dict()[key], ref.state_dict()[key], rtol=0, atol=1e-6)
    x = torch.randn(1, 3, 112, 112)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
        set_fused_attn(ours, False)  # the explicit path adds the same bias
        assert_outputs_close(ours(x), ref(x))


def test_api_against_timm():
    ref, ours = build_pair('beit_base_patch16_224', img_size=64, depth=2, embed_dim=64, num_heads=4,
                           use_shared_rel_pos_bias=True)
    assert ours.no_weight_decay() == {n for n in ref.no_weight_decay() if n in dict(ours.named_parameters())}
    assert ours.group_matcher() == ref.group_matcher()
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        final_ref, inter_ref = ref.forward_intermediates(x, indices=[0, 1], norm=True)
        final, inter = ours.forward_intermediates(x, indices=[0, 1], norm=True)
        assert_outputs_close(final, final_ref)
        for o, r in zip(inter, inter_ref):
            assert_outputs_close(o, r)
