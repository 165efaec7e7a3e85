"""MViTv2: parity with timm 1.0.31 (the reference oracle), relative-position resampling on load, and the API.

The relative position tables are laid out for `img_size`, so reduced-size models are built with img_size=64 (16x16
tokens, pooled to 2x2). Default run: mvitv2_tiny (widening in the attention, average pooling) at 64 px (outputs, intermediates, head), and a small
custom config with a class token and widening in the MLP (mvitv2_large's / the _cls models' switches) built from
`MultiScaleVitCfg` in both libraries; checkpoints of the custom model made at 64 px loaded at 96 px (tables resampled as timm does); the
official checkpoint layout; intermediates / head / pruning. `-m slow`: every name at its native 224 px, gradient checkpointing.
"""
import re

import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, assert_reset_and_prune_match, image
from _hier_parity import build_pair
from _parity import (
    assert_feature_info_parity, assert_outputs_close, assert_parity, assert_same_layout, fill_random_, timm,
)

import zoo  # noqa: E402
from zoo.models.mvitv2 import MultiScaleVit, MultiScaleVitCfg, checkpoint_filter_fn  # noqa: E402

MODULE = 'mvitv2'
NAMES = zoo.list_models(module=MODULE)
SMALL = dict(img_size=64)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 8


# a small model with mvitv2_large's / the _cls models' switches: class token, widening in the MLP
TINY_CLS = dict(depths=(1, 1, 2, 1), embed_dim=32, num_heads=1, use_cls_token=True, expand_attn=False)


def _tiny_pair(img_size: int):
    ref = timm.models.mvitv2.MultiScaleVit(timm.models.mvitv2.MultiScaleVitCfg(**TINY_CLS), img_size=img_size)
    return ref, MultiScaleVit(MultiScaleVitCfg(**TINY_CLS), img_size=img_size)


def test_parity_cls_token_and_mlp_widening():
    ref, ours = _tiny_pair(64)
    fill_random_(ref)
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict())
    ref.eval(), ours.eval()
    x = image(2, 64)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='cls token, MLP widening')
        for fmt in ('NCHW', 'NLC'):
            a = ours.forward_intermediates(x, norm=True, output_fmt=fmt)
            b = ref.forward_intermediates(x, norm=True, output_fmt=fmt)
            for u, v in zip(a[1] + [a[0]], b[1] + [b[0]]):
                assert_outputs_close(u, v, name=f'intermediates {fmt}')


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    assert_parity(name, batch_size=1)
    assert_feature_info_parity(name)


def test_rel_pos_tables_resampled_on_load():
    made = fill_random_(_tiny_pair(64)[0]).state_dict()
    ref, ours = (m.eval() for m in _tiny_pair(96))
    want = timm.models.mvitv2.checkpoint_filter_fn(dict(made), ref)
    got = checkpoint_filter_fn(dict(made), ours)
    resized = [k for k in made if 'rel_pos' in k and made[k].shape != got[k].shape]
    assert resized and sorted(got) == sorted(want)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=0, atol=1e-6, msg=k)
    ours.load_state_dict(got)
    ref.load_state_dict(want)
    x = image(1, 96)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='resampled tables')


def test_official_checkpoint_layout():
    with torch.device('meta'):
        model = zoo.create_model('mvitv2_tiny', **SMALL)
    sd = model.state_dict()
    starts = [sum(model.depths[:i]) for i in range(len(model.depths))]
    official = {}
    for k, v in sd.items():
        k = re.sub(r'stages\.(\d+)\.blocks\.(\d+)', lambda m: f'blocks.{starts[int(m.group(1))] + int(m.group(2))}', k)
        official[k.replace('shortcut_proj_attn', 'proj').replace('head.fc', 'head.projection')] = v
    ref = timm.create_model('mvitv2_tiny', pretrained=False, **SMALL)
    got = checkpoint_filter_fn({'model_state': official}, model)
    want = timm.models.mvitv2.checkpoint_filter_fn({'model_state': dict(official)}, ref)
    assert sorted(got) == sorted(want) == sorted(sd)


def test_intermediates_head_and_api():
    ref, ours = build_pair('mvitv2_tiny', **SMALL)
    x = image(2, 64)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='logits')
        for kwargs in (dict(indices=[0, 2]), dict(indices=2, norm=True), dict(indices=[1], output_fmt='NLC')):
            a, b = ours.forward_intermediates(x, **kwargs), ref.forward_intermediates(x, **kwargs)
            for u, v in zip(a[1] + [a[0]], b[1] + [b[0]]):
                assert_outputs_close(u, v, name=f'intermediates {kwargs}')
        assert_outputs_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                             ref.forward_head(ref.forward_features(x), pre_logits=True), name='pre-logits')
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == ref.no_weight_decay()
    with pytest.raises(ValueError, match='class token'):
        ours.reset_classifier(10, 'token')
    assert_reset_and_prune_match('mvitv2_tiny', **SMALL)
    assert_feature_info_parity('mvitv2_tiny', **SMALL)


@pytest.mark.slow
def test_grad_checkpointing():
    model = fill_random_(zoo.create_model('mvitv2_tiny', **SMALL))
    assert_checkpointing_keeps_gradients(model, image(1, 64))
