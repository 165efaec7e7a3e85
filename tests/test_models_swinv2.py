"""Swin Transformer V2 (`swin_transformer_v2`) and timm's Swin V2 "cr" models (`swin_transformer_v2_cr`): parity with
timm (the reference oracle) and the families' own API.

Models are built for a reduced input through the pretrained cfg (`input_size`, which both libraries turn into
`img_size`). Default run: slimmed copies (narrow, two blocks per stage so every stage has a shifted block) of the
architectures that carry each switch, at 128 px; loading checkpoints made for another window / input size (nothing to
resample: the position MLPs are evaluated at the new offsets); `set_input_size`; dynamic input sizes; intermediates,
head, group_matcher / no_weight_decay, grad checkpointing and the checkpoint filters. `-m slow`: every name as
published, at a reduced size.
"""

import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients
from _parity import (
    assert_outputs_close, assert_parity, assert_parity_shared_weights, fill_random_, to_official_swin_checkpoint,
)

import timm  # noqa: E402  (present: _parity skips the module without it)
import zoo  # noqa: E402

V2, CR = 'swin_transformer_v2', 'swin_transformer_v2_cr'
V2_NAMES = zoo.list_models(module=V2)
CR_NAMES = zoo.list_models(module=CR)
PX = 128
_SLIM = dict(embed_dim=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8))
V2_TINY = 'swinv2_tiny_window8_256'
CR_TINY = 'swinv2_cr_tiny_224'


def _size(px: int = PX) -> dict:
    return dict(pretrained_cfg_overlay=dict(input_size=(3, px, px)))


def _x(px: int = PX, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, px, px, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize('module,count', [(V2, 12), (CR, 16)])
def test_registry_covers_timm_names(module, count):
    names = zoo.list_models(module=module)
    assert set(names) == set(timm.list_models(module=module))
    assert len(names) == count


SAMPLE = [
    (V2_TINY, _SLIM),  # window 8: shifted windows in stages 0 and 1 at 128 px, none where the grid fits one window
    ('swinv2_base_window12to16_192to256', dict(_SLIM, window_size=8)),  # position MLP scaled by pretraining windows
    ('swinv2_tiny_window16_256', dict(_SLIM, window_size=(4, 6))),  # non-square windows, padding to whole windows
    (V2_TINY, dict(_SLIM, qkv_bias=False, global_pool='max', always_partition=True)),
    (CR_TINY, _SLIM),  # window = grid / 8, norm only at the end of the last stage
    ('swinv2_cr_tiny_ns_224', _SLIM),  # a norm at the end of every stage
    ('swinv2_cr_huge_224', dict(_SLIM, extra_norm_period=1)),  # main-branch norms inside the stages
    (CR_TINY, dict(_SLIM, window_size=(4, 6), init_values=None)),
]


@pytest.mark.parametrize('name,kwargs', SAMPLE, ids=[f'{n}-{i}' for i, (n, _) in enumerate(SAMPLE)])
def test_parity_sample(name, kwargs):
    assert_parity(name, batch_size=1, **kwargs, **_size())


@pytest.mark.slow
@pytest.mark.parametrize('name', V2_NAMES + CR_NAMES)
def test_parity_all_reduced_size(name):
    # 192 px: a 48-token grid, so window-8 / 12 / 16 / 24 models all keep shifted windows in the first stages
    assert_parity_shared_weights(name, 192)


@pytest.mark.parametrize('name', [V2_TINY, CR_TINY])
def test_parity_dynamic_img_size(name):
    """With dynamic_img_size the shift masks are built per input, so other sizes than img_size work."""
    assert_parity(name, img_size=(96, 160), batch_size=1, dynamic_img_size=True, **_SLIM, **_size())
    model = zoo.create_model(name, **_SLIM, **_size())
    with pytest.raises(ValueError, match='set_input_size'):
        model(_x(96, 1))


def _pair(name: str, px: int = PX, **kwargs):
    kwargs = dict(_SLIM, **kwargs, **_size(px))
    ref = fill_random_(timm.create_model(name, **kwargs)).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _assert_same_state(ours: torch.nn.Module, ref: torch.nn.Module) -> None:
    ours_sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert ours_sd.keys() == ref_sd.keys()
    for k, v in ref_sd.items():
        torch.testing.assert_close(ours_sd[k], v, msg=k)


@pytest.mark.parametrize('name,resize', [
    (V2_TINY, dict(img_size=(192, 160))),
    (V2_TINY, dict(window_size=(4, 8, 8, 4))),
    (CR_TINY, dict(img_size=(192, 160), always_partition=True)),
    (CR_TINY, dict(window_ratio=4)),
])
def test_set_input_size_matches_timm(name, resize):
    ours, ref = _pair(name)
    for model in (ours, ref):
        model.set_input_size(**resize)
    _assert_same_state(ours, ref)
    x = torch.randn(1, 3, *resize.get('img_size', (PX, PX)), generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    assert ours.pretrained_cfg['input_size'] == (3, *resize.get('img_size', (PX, PX)))


@pytest.mark.parametrize('src,dst,module', [
    (V2_TINY, 'swinv2_tiny_window16_256', V2),  # window 8 -> 16: the same tensors, new offsets for the MLPs
    ('swinv2_cr_tiny_384', CR_TINY, CR),  # 384 px -> 128 px: windows follow the grid (grid / 8)
])
def test_checkpoint_for_other_window_loads(src, dst, module):
    """A checkpoint made for another window / input size loads strictly and gives timm's outputs."""
    timm_filter = getattr(timm.models, module).checkpoint_filter_fn
    source = fill_random_(timm.create_model(src, **_SLIM))
    state_dict = source.state_dict()
    ref = timm.create_model(dst, **_SLIM, **_size()).eval()
    ref.load_state_dict(timm_filter(dict(state_dict), ref))
    ours = zoo.create_model(dst, pretrained=True, **_SLIM,
                            pretrained_cfg_overlay=dict(state_dict=state_dict, input_size=(3, PX, PX))).eval()
    assert _first_block(ours).window_size != _first_block(source).window_size
    with torch.inference_mode():
        assert_outputs_close(ours(_x(batch=1)), ref(_x(batch=1)))


def _first_block(model: torch.nn.Module) -> torch.nn.Module:
    return (model.layers if hasattr(model, 'layers') else model.stages)[0].blocks[0]


def test_checkpoint_filters_match_timm():
    from zoo.models.swin_transformer_v2 import checkpoint_filter_fn as v2_filter
    from zoo.models.swin_transformer_v2_cr import checkpoint_filter_fn as cr_filter
    ours, ref = _pair(V2_TINY)
    official = to_official_swin_checkpoint(ref.state_dict())
    official['model']['layers.0.blocks.0.attn.relative_coords_table'] = torch.zeros(1)  # stale buffers are dropped
    got, want = v2_filter(official, ours), timm.models.swin_transformer_v2.checkpoint_filter_fn(official, ref)
    assert sorted(got) == sorted(want) == sorted(ref.state_dict())
    assert all(torch.equal(got[k], want[k]) for k in want)
    # early cr checkpoints: a temperature `tau` instead of logit_scale, the classifier at `head`
    ours, ref = _pair(CR_TINY)
    old = {k.replace('logit_scale', 'tau').replace('head.fc.', 'head.'): (1 / v.exp() if 'logit_scale' in k else v)
           for k, v in ref.state_dict().items()}
    got, want = cr_filter(dict(old), ours), timm.models.swin_transformer_v2_cr.checkpoint_filter_fn(dict(old), ref)
    assert sorted(got) == sorted(want) == sorted(ref.state_dict())
    for k in want:
        torch.testing.assert_close(got[k], want[k])
        torch.testing.assert_close(got[k], ref.state_dict()[k])


@pytest.mark.parametrize('name', [V2_TINY, CR_TINY])
def test_intermediates_head_and_prune_match_timm(name):
    ours, ref = _pair(name)
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(_x(), indices=[0, 3], norm=True)
        final_ref, feats_ref = ref.forward_intermediates(_x(), indices=[0, 3], norm=True)
        for a, b in zip(feats + [final], feats_ref + [final_ref]):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(ours.forward_head(final, pre_logits=True),
                                   ref.forward_head(final_ref, pre_logits=True), rtol=1e-4, atol=1e-4)
    for coarse in (False, True):
        got = timm.models.group_parameters(ours, ours.group_matcher(coarse=coarse))
        assert got == timm.models.group_parameters(ref, ref.group_matcher(coarse=coarse))
    # timm's cr models declare no such parameters (no method at all)
    assert ours.no_weight_decay() == set(getattr(ref, 'no_weight_decay', set)())
    assert ours.prune_intermediate_layers(2) == ref.prune_intermediate_layers(2)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    ours.reset_classifier(5, 'avg')
    with torch.inference_mode():
        assert ours(_x()).shape == (2, 5)


@pytest.mark.parametrize('out_indices', [(1, 2)])
@pytest.mark.parametrize('name', [V2_TINY, CR_TINY])
def test_features_only_matches_timm(name, out_indices):
    with torch.device('meta'):
        ref = timm.create_model(name, features_only=True, out_indices=out_indices, **_SLIM, **_size())
    ours = zoo.create_model(name, features_only=True, out_indices=out_indices, **_SLIM, **_size())
    assert ours.feature_info.channels() == ref.feature_info.channels()
    assert ours.feature_info.reduction() == ref.feature_info.reduction()
    # shapes (and layout: Swin V2 levels are NHWC by default, V2 cr NCHW) as timm's, run on the meta device
    want = [tuple(t.shape) for t in ref(torch.empty(1, 3, PX, PX, device='meta'))]
    with torch.inference_mode():
        assert [tuple(t.shape) for t in ours(_x(batch=1))] == want


def test_grad_checkpointing_same_gradients():
    # the position MLPs use dropout in training: the helper draws the same dropout masks in both passes
    model = zoo.create_model(CR_TINY, num_classes=3, **_SLIM, **_size(64))
    assert_checkpointing_keeps_gradients(model, _x(64))
    assert all(s.grad_checkpointing for s in model.stages)


def test_invalid_args():
    with pytest.raises(ValueError, match='window'):
        zoo.create_model(V2_TINY, window_size=(8, 8, 8), **_SLIM)
    with pytest.raises(ValueError, match='weight_init'):
        zoo.create_model(CR_TINY, weight_init='jax', **_SLIM)
    model = zoo.create_model(CR_TINY, **_SLIM, **_size())
    with pytest.raises(ValueError, match='window'):
        model.set_input_size(window_size=(4, 4, 4))
    assert model.stages[0].blocks[0].window_size == (4, 4)  # nothing changed
