"""LeViT checked against timm (the reference oracle): token and conv layouts, distillation heads, BN fusion.

Default run: names, output parity at 96 px for one model per configuration (token / conv layout, hard-swish / SiLU,
stride-16 / stride-8 stem, distilled / single head), intermediates, fusion, distilled heads, and attention-bias
resampling when a checkpoint of another resolution is loaded. `-m slow`: every name at 96 px.
"""
import pytest
import torch

from _hier_parity import build_pair, check_intermediates, check_parity, image, save_random
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='levit')
SHALLOW = dict(depth=(1, 1, 1))
# the widths of levit_128s: the configuration switches of the big models (stem, activation, head) at small cost
NARROW = dict(SHALLOW, embed_dim=(128, 256, 384), key_dim=16, num_heads=(4, 6, 8))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='levit')) and len(NAMES) == 20


@pytest.mark.parametrize('name, kwargs', [
    ('levit_128s', {}),  # tokens, hard-swish, distilled
    ('levit_conv_128s', {}),  # conv layout
    ('levit_384_s8', NARROW),  # stride-8 stem, SiLU
    ('levit_conv_512d', NARROW),  # conv, single head
])
def test_parity_reduced(name, kwargs):
    check_parity(name, 96, img_size=96, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 96, batch_size=1, img_size=96)
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name', ['levit_128s', 'levit_conv_128s'])
def test_intermediates_match_timm(name):
    ref, ours = build_pair(name, img_size=80, **SHALLOW)
    check_intermediates(ref, ours, image(80), [{}, dict(indices=[0, 2]), dict(indices=[1], stop_early=True)])
    assert [t.shape[-1] for t in ours.forward_intermediates(image(80), intermediates_only=True)] == [5, 3, 2]


@pytest.mark.parametrize('name', ['levit_128s', 'levit_conv_128s'])
def test_fuse_keeps_outputs(name):
    _, ours = build_pair(name, img_size=64, **SHALLOW)
    x = image(64)
    with torch.inference_mode():
        before = ours(x)
        ours.fuse()
        after = ours(x)
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in ours.modules())
    assert_outputs_close(after, before)
    with pytest.raises(RuntimeError, match='eval'):
        zoo.create_model(name, img_size=64, **SHALLOW).fuse()


def test_distilled_heads_are_averaged():
    _, ours = build_pair('levit_128s', img_size=64, **SHALLOW)
    ours.train()  # the average is returned in training too (no flag-dependent tuple)
    x = image(64)
    with torch.no_grad():
        feats = ours.forward_features(x)
        cls_logits, dist_logits = ours.forward_head_distilled(feats)
        out = ours.forward_head(feats)
    assert not torch.allclose(cls_logits, dist_logits)
    torch.testing.assert_close(out, (cls_logits + dist_logits) / 2)
    assert ours.forward_head(feats, pre_logits=True).shape == (2, 384)
    ours.reset_classifier(5)
    assert ours.head.linear.out_features == ours.head_dist.linear.out_features == 5
    single = zoo.create_model('levit_512d', img_size=64, **SHALLOW)
    assert not hasattr(single, 'head_dist')
    assert {'stages.0.blocks.0.attn.attention_biases'} <= single.no_weight_decay()


def test_attention_biases_resampled_on_load(tmp_path):
    """A 224-px checkpoint loaded into a 96-px model: every bias table is resized like timm's LeViT-table resize."""
    path = tmp_path / 'levit.safetensors'
    saved = save_random('levit_128s', path, **SHALLOW)
    ours = zoo.create_model('levit_128s', img_size=96, pretrained=True, pretrained_cfg_overlay=dict(file=str(path)),
                            **SHALLOW).eval()
    own = ours.state_dict()
    keys = [k for k in own if k.endswith('attention_biases')]
    assert len(keys) == 5
    for key in keys:
        assert saved[key].shape != own[key].shape
        expected = timm.layers.resize_rel_pos_bias_table_levit(saved[key].T, own[key].shape[::-1]).T
        torch.testing.assert_close(own[key], expected, rtol=0, atol=1e-6)
    ref = timm.create_model('levit_128s', img_size=96, **SHALLOW).eval()
    ref.load_state_dict(own, strict=True)
    x = image(96)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
