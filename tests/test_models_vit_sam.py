"""Segment Anything image encoders (timm's `vision_transformer_sam`) checked against timm (the reference oracle).

Default run: window blocks (with padding) and a global block at 256 px (grid 16, window 14), inputs of another size,
the no-neck classifier variant, the rotary option, the neck-as-norm intermediates, and loading a checkpoint made at
another resolution. `-m slow`: every name with three blocks (the third is global) at 256 px.
"""
import pytest
import torch

from _pairs import build_pair, check_pair, load_both, save_random
from _parity import assert_outputs_close, timm

import zoo
from zoo.layers.attention_rope import set_fused_attn

NAMES = zoo.list_models(module='vision_transformer_sam')
SMALL = dict(embed_dim=64, num_heads=4)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='vision_transformer_sam'))
    assert len(NAMES) == 4


@pytest.mark.parametrize('name, kwargs', [
    ('samvit_base_patch16', dict(img_size=256)),  # blocks 0-1 windowed (padded 16 -> 28), block 2 global, neck
    ('samvit_base_patch16_224', {}),  # no absolute embedding, LayerNorm2d instead of the neck, 1000 classes
    ('samvit_base_patch16', dict(img_size=256, use_rel_pos=False, use_rope=True, ref_feat_shape=((12, 12), (7, 7)))),
    ('samvit_base_patch16', dict(img_size=256, neck_chans=None, head_hidden_size=32, num_classes=10)),
], ids=['windows', 'cls224', 'rope', 'mlp_head'])
def test_parity_sample(name: str, kwargs):
    check_pair(name, (256, 256) if kwargs else (224, 224), depth=3, **dict(SMALL, **kwargs))


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name: str):
    check_pair(name, (224, 224) if name.endswith('224') else (256, 256), depth=3,
               **({} if name.endswith('224') else dict(img_size=256)))


def test_other_input_sizes_match_timm():
    # the absolute embedding and the global block's tables follow the input grid; explicit attention agrees
    ref, ours = build_pair('samvit_base_patch16', img_size=256, depth=3, **SMALL)
    for h, w in ((320, 288), (160, 208)):
        x = torch.randn(1, 3, h, w)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x))
    set_fused_attn(ours, False)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_checkpoint_at_other_size(tmp_path):
    """A 256 px checkpoint loaded into a 192 px model: pos_embed and the global tables are resampled as the 256 px
    model resamples them for a 192 px input, so both give the same output."""
    path = tmp_path / 'weights.safetensors'
    save_random('samvit_base_patch16', path, img_size=256, depth=3, **SMALL)
    source, _ = load_both('samvit_base_patch16', path, img_size=256, depth=3, **SMALL)
    ours = zoo.create_model('samvit_base_patch16', img_size=192, depth=3, checkpoint_path=str(path), **SMALL).eval()
    assert ours.pos_embed.shape[1:3] == (12, 12) and ours.blocks[2].attn.rel_pos_h.shape[0] == 23
    x = torch.randn(1, 3, 192, 192)
    with torch.inference_mode():
        assert_outputs_close(ours(x), source(x))


def test_intermediates_and_pruning_match_timm():
    ref, ours = build_pair('samvit_base_patch16', img_size=256, depth=3, **SMALL)
    x = torch.randn(2, 3, 256, 256)
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0, 2], norm=True)):
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            final, inter = ours.forward_intermediates(x, **kwargs)
            assert_outputs_close(final, final_ref)
            assert [t.shape[1] for t in inter] == [t.shape[1] for t in inter_ref]  # the neck changes the width
            for o, r in zip(inter, inter_ref):
                assert_outputs_close(o, r)
    assert ref.prune_intermediate_layers([1], prune_norm=True) == ours.prune_intermediate_layers([1], prune_norm=True)
    assert ours.num_features == ref.num_features == 64 and len(ours.blocks) == 2
    with torch.inference_mode():
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x))
    assert ours.group_matcher() == ref.group_matcher()
