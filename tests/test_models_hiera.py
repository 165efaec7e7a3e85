"""Hiera: parity with timm 1.0.31 (the reference oracle), mask-unit keep-masks, rerolled intermediates, the API.

Position embeddings and mask units are laid out for `img_size`, so the reduced-size models are built with
img_size=64 (16x16 tokens, 2x2 mask units of 8x8 patches, all three pooling transitions). Default run: hiera_tiny_224
(linear expansion, learned per-token embedding) and hiera_small_abswin_256 (pooled-concat expansion, LayerScale,
abswin embedding) at 64 px; a keep-mask over mask units; stage- and block-level intermediates in spatial order;
pruning / head / features. `-m slow`: every name at its native size, gradient checkpointing.
"""
import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, assert_reset_and_prune_match, image
from _hier_parity import build_pair, check_parity
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models.hiera import checkpoint_filter_fn  # noqa: E402

MODULE = 'hiera'
NAMES = zoo.list_models(module=MODULE)
SMALL = dict(img_size=64)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 8


def test_parity_reduced():
    # hiera_small_abswin_256's outputs are compared in test_mask_units_intermediates_and_api
    check_parity('hiera_tiny_224', 64, batch_size=2, **SMALL)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    assert_parity(name, batch_size=1)
    assert_feature_info_parity(name)


def test_mask_units_intermediates_and_api():
    ref, ours = build_pair('hiera_small_abswin_256', **SMALL)
    x = image(2, 64)
    # keep 2 of the 4 mask units of each image (different ones per image)
    mask = torch.tensor([[True, False, True, False], [False, True, True, False]])
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='logits')
        assert_outputs_close(ours(x, mask=mask), ref(x, mask=mask), name='masked tokens')
        for kwargs in (dict(indices=None), dict(indices=[1, 5], coarse=False), dict(indices=2, mask=mask)):
            fmt = 'NHWC' if 'mask' in kwargs else 'NCHW'
            final, feats = ours.forward_intermediates(x, stop_early=False, output_fmt=fmt, **kwargs)
            final_ref, feats_ref = ref.forward_intermediates(x, stop_early=False, output_fmt=fmt, **kwargs)
            assert len(feats) == len(feats_ref)
            for a, b in zip(feats, feats_ref):
                assert_outputs_close(a, b, name=f'intermediates {kwargs}')
            assert_outputs_close(final, final_ref, name='final tokens')
        assert_outputs_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                             ref.forward_head(ref.forward_features(x), pre_logits=True), name='pre-logits')
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == set(ref.no_weight_decay())
    with pytest.raises(ValueError, match='norm'):
        ours.forward_intermediates(x, norm=True)
    assert_reset_and_prune_match('hiera_tiny_224', **SMALL)
    assert_feature_info_parity('hiera_tiny_224', **SMALL)


@pytest.mark.slow
def test_grad_checkpointing():
    model = fill_random_(zoo.create_model('hiera_tiny_224', **SMALL))
    assert_checkpointing_keeps_gradients(model, image(1, 64))


def test_official_checkpoint_keys():
    with torch.device('meta'):
        model = zoo.create_model('hiera_small_abswin_256', **SMALL)
    sd = model.state_dict()
    official = {('head.projection.' + k[len('head.fc.'):] if k.startswith('head.fc.') else
                 'encoder_norm.' + k[len('head.norm.'):] if k.startswith('head.norm.') else
                 'pos_embed_abs' if k == 'pos_embed' else k): v for k, v in sd.items()}
    got = checkpoint_filter_fn({'model_state': official}, model)
    want = timm.models.hiera.checkpoint_filter_fn({'model_state': official})
    assert sorted(got) == sorted(want) == sorted(sd)
