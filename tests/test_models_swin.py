"""Swin Transformer family: parity with timm (the reference oracle) for every registered name, plus the model API.

Models are built for a reduced input through the pretrained cfg (`input_size`), which both timm and zoo turn into
the model's `img_size` (Swin's attention masks depend on it). 112x112 keeps the window-7 geometry valid: a 28x28
patch grid, then 14, 7 and 4 tokens a side (the last stage's window shrinks to the grid and drops the shift).

Default run: output parity at 112x112 for swin_tiny and swin_s3_tiny (per-stage windows) and at full size for
swin_tiny, options and the model API on slim (embed_dim 32) models, relative-position-table resizing against timm's
own loading. Layout of every name is checked by tests/test_layout_all.py. `-m slow` adds layout / feature_info parity
of every name here, the small / base / large / 384 models and the full-size window-7 -> window-12 checkpoint case.
"""

import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients
from _parity import (
    assert_feature_info_parity, assert_features_only_parity, assert_layout_parity_meta, assert_parity,
    assert_parity_shared_weights, fill_random_, to_official_swin_checkpoint,
)

import timm  # noqa: E402  (present: _parity skips the module without it)
import zoo  # noqa: E402

from zoo.models.swin_transformer import checkpoint_filter_fn

MODULE = 'swin_transformer'
NAMES = zoo.list_models(module=MODULE)
SAMPLE = ['swin_tiny_patch4_window7_224', 'swin_s3_tiny_224']
REST = [n for n in NAMES if n not in SAMPLE]
TINY = 'swin_tiny_patch4_window7_224'
# a narrow 2-2-2-2 model: every code path of the tiny model at a fraction of its cost
SLIM = dict(depths=(2, 2, 2, 2), embed_dim=32, num_heads=(1, 2, 4, 8))


def _size(px: int) -> dict:
    return dict(pretrained_cfg_overlay=dict(input_size=(3, px, px)))


def test_registry_covers_timm_names():
    assert set(NAMES) == set(timm.list_models('swin_*'))
    assert len(NAMES) == 9


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_layout_parity(name):
    assert_layout_parity_meta(name)


@pytest.mark.parametrize('name', [TINY] + [pytest.param(n, marks=pytest.mark.slow) for n in NAMES if n != TINY])
def test_feature_info_parity(name):
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name', SAMPLE)
def test_parity_reduced_size(name):
    assert_parity_shared_weights(name, 112)


def test_parity_full_size():
    assert_parity_shared_weights(TINY, 224)


@pytest.mark.slow
@pytest.mark.parametrize('name', REST)
def test_parity_rest_reduced_size(name):
    # 96x96: 24x24 tokens, so window-12 models keep a full window in the first two stages
    assert_parity_shared_weights(name, 96)


@pytest.mark.slow
def test_parity_full_size_384():
    assert_parity_shared_weights('swin_base_patch4_window12_384', 384)


@pytest.mark.parametrize('kwargs', [
    dict(window_size=(6, 4), **_size(96)),  # non-square windows, padding to whole windows in later stages
    dict(global_pool='', num_classes=0, **_size(112)),  # unpooled NHWC features
    dict(global_pool='max', num_classes=5, **_size(112)),
    dict(always_partition=True, **_size(112)),  # keep window 7 and its shift even on the 4x4 last stage
    dict(in_chans=1, **_size(112)),
])
def test_parity_options(kwargs):
    assert_parity(TINY, batch_size=1, **SLIM, **kwargs)


def test_parity_dynamic_img_size():
    """With dynamic_img_size the shift masks are built per input, so sizes other than img_size work."""
    assert_parity(TINY, img_size=(96, 160), batch_size=1, **SLIM, dynamic_img_size=True, **_size(112))
    model = zoo.create_model(TINY, **SLIM, **_size(112))
    with pytest.raises(ValueError):
        model(torch.randn(1, 3, 96, 96))


@pytest.fixture(scope='module')
def pair():
    kwargs = dict(**SLIM, **_size(112))
    ref = fill_random_(timm.create_model(TINY, **kwargs).eval())
    ours = zoo.create_model(TINY, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _x(px: int = 112, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, px, px, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize('indices,norm', [(None, False), (2, True), ([0, 3], False), ([-1], True)])
def test_forward_intermediates_parity(pair, indices, norm):
    ours, ref = pair
    x = _x()
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(x, indices=indices, norm=norm)
        final_ref, feats_ref = ref.forward_intermediates(x, indices=indices, norm=norm)
        only = ours.forward_intermediates(x, indices=indices, norm=norm, intermediates_only=True)
    assert len(feats) == len(feats_ref) == len(only)
    for a, b, c in zip(feats, feats_ref, only):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(c, b, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(final, final_ref, rtol=1e-4, atol=1e-4)
    with torch.inference_mode():
        torch.testing.assert_close(ours.forward_head(final), ref(x), rtol=1e-4, atol=1e-4)


def test_forward_intermediates_contract(pair):
    """Index i of feature_info describes index i of forward_intermediates (NCHW maps, or NHWC on request)."""
    ours, _ = pair
    with torch.inference_mode():
        feats = ours.forward_intermediates(_x(), intermediates_only=True)
    assert len(feats) == len(ours.feature_info) == 4
    for f, info in zip(feats, ours.feature_info):
        assert f.shape[1] == info['num_chs']
        assert f.shape[-1] == -(-112 // info['reduction'])
    # the trunk is channels-last, so NHWC maps come without a permute; token sequences are not offered
    with torch.inference_mode():
        nhwc = ours.forward_intermediates(_x(), intermediates_only=True, output_fmt='NHWC')
    for a, b in zip(nhwc, feats):
        torch.testing.assert_close(a, b.permute(0, 2, 3, 1))
    with pytest.raises(ValueError, match='NHWC'):
        ours.forward_intermediates(_x(), output_fmt='NLC')


@pytest.mark.parametrize('out_indices', [None, (1, 2), (0,)])
def test_features_only_parity(pair, out_indices):
    """features_only maps equal timm's intermediates; channels / reductions equal timm's features_only model."""
    _, ref = pair
    kwargs = dict(**SLIM, **_size(112))
    if out_indices is not None:
        kwargs['out_indices'] = out_indices
    ours = assert_features_only_parity(TINY, ref, _x(), **kwargs)
    assert not any(k.startswith(('head.fc', 'norm.')) for k in ours.model.state_dict())
    assert len(ours.model.layers) == max(ours.feature_info.out_indices) + 1


@pytest.mark.parametrize('indices', [1, [0, 1], (2,)])
def test_prune_intermediate_layers_parity(indices):
    kwargs = dict(**SLIM, **_size(112))
    ref = timm.create_model(TINY, **kwargs)
    ours = zoo.create_model(TINY, **kwargs)
    assert ours.prune_intermediate_layers(indices) == ref.prune_intermediate_layers(indices)
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())
    assert ours.num_features == ref.num_features
    ours.reset_classifier(5, 'avg')
    ref.reset_classifier(5, 'avg')
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    with torch.inference_mode():
        assert ours(_x()).shape == (2, 5)


def test_group_matcher_and_no_weight_decay_match_timm(pair):
    ours, ref = pair
    for coarse in (False, True):
        got = timm.models.group_parameters(ours, ours.group_matcher(coarse=coarse))
        want = timm.models.group_parameters(ref, ref.group_matcher(coarse=coarse))
        assert got == want
    assert ours.no_weight_decay() == set(ref.no_weight_decay())
    assert len(ours.no_weight_decay()) == 8  # one relative position table per block


def test_grad_checkpointing_same_gradients():
    model = zoo.create_model(TINY, num_classes=4, **SLIM, drop_path_rate=0., **_size(64))
    assert_checkpointing_keeps_gradients(model, _x(64))
    assert all(s.grad_checkpointing for s in model.layers)


def test_head_api(pair):
    ours, ref = pair
    x = _x()
    with torch.inference_mode():
        torch.testing.assert_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                                   ref.forward_head(ref.forward_features(x), pre_logits=True), rtol=1e-4, atol=1e-4)
    assert ours.get_classifier() is ours.head.fc
    assert ours.num_features == ref.num_features == 256  # embed_dim doubled at each of the three mergings
    model = zoo.create_model(TINY, depths=(1, 1, 1, 1), embed_dim=32, num_heads=(1, 2, 4, 8), **_size(64))
    model.reset_classifier(0)
    with torch.inference_mode():
        assert model(_x(64)).shape == (2, 256)
    model.reset_classifier(3, 'max')
    with torch.inference_mode():
        assert model(_x(64)).shape == (2, 3)
    model.reset_classifier(0, '')
    with torch.inference_mode():
        assert model(_x(64)).shape == (2, 2, 2, 256)  # unpooled NHWC token grid


def test_derived_buffers_not_persistent_and_rebuilt_without_init(pair):
    """relative_position_index / attn_mask stay out of the state_dict and are right when random init is skipped."""
    ours, ref = pair
    assert not any('relative_position_index' in k or 'attn_mask' in k for k in ours.state_dict())
    model = zoo.create_model(TINY, pretrained=True, **SLIM,
                             pretrained_cfg_overlay=dict(state_dict=ref.state_dict(), input_size=(3, 112, 112))).eval()
    ref_buffers = dict(ref.named_buffers())
    for name, buf in model.named_buffers():
        assert torch.equal(buf, ref_buffers[name]), name
    with torch.inference_mode():
        torch.testing.assert_close(model(_x()), ref(_x()), rtol=1e-4, atol=1e-4)


# timm's own interpolation helper (the oracle) warns about its indexing style; not ours to fix
_TIMM_INTERP_WARNINGS = pytest.mark.filterwarnings('ignore:.*(searchsorted|non-tuple sequence).*:UserWarning')


def _check_resized_load(src_name: str, dst_name: str, px: int, **kwargs) -> None:
    """A checkpoint for `src_name` loaded into `dst_name`: zoo's filter + builder vs timm's filter, same result."""
    from timm.models.swin_transformer import checkpoint_filter_fn as timm_filter
    state_dict = fill_random_(timm.create_model(src_name, **kwargs)).state_dict()
    ref = timm.create_model(dst_name, **kwargs, **_size(px)).eval()
    ref.load_state_dict(timm_filter(dict(state_dict), ref))
    ours = zoo.create_model(dst_name, pretrained=True, **kwargs,
                            pretrained_cfg_overlay=dict(state_dict=state_dict, input_size=(3, px, px))).eval()
    resized = [k for k in state_dict if k.endswith('relative_position_bias_table')
               and state_dict[k].shape != ref.state_dict()[k].shape]
    assert resized, 'the case should exercise table resizing'
    ours_sd = ours.state_dict()
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(ours_sd[k], v, rtol=1e-5, atol=1e-5, msg=k)
    x = torch.randn(1, 3, px, px, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        out, out_ref = ours(x), ref(x)
    assert (out - out_ref).abs().max() <= 1e-4 * max(1., out_ref.abs().max().item())


@_TIMM_INTERP_WARNINGS
def test_rel_pos_bias_resized_on_load_window7_to_12():
    """A window-7 checkpoint into a window-12 model (192x192: 48, 24, 12 and 6 tokens a side)."""
    _check_resized_load(TINY, 'swin_base_patch4_window12_384', 192, **SLIM)


@_TIMM_INTERP_WARNINGS
def test_rel_pos_bias_resized_on_load_window12_to_7():
    _check_resized_load('swin_base_patch4_window12_384', TINY, 112, **SLIM)


@_TIMM_INTERP_WARNINGS
@pytest.mark.slow
def test_rel_pos_bias_resized_on_load_full_size():
    """The case the weights are published for: swin_base window 7 @ 224 fine-tuned into window 12 @ 384."""
    _check_resized_load('swin_base_patch4_window7_224', 'swin_base_patch4_window12_384', 384)


@_TIMM_INTERP_WARNINGS
@pytest.mark.parametrize('resize', [
    dict(img_size=(160, 160)),  # windows scale with the grid: 7 -> 10, tables resampled
    dict(img_size=(128, 96), window_size=(4, 6)),  # explicit non-square windows
    dict(window_ratio=4),  # windows = patch grid / 4
    dict(always_partition=True),  # keep window 7 and its shift on the 4x4 last stage
])
def test_set_input_size_matches_timm(resize):
    kwargs = dict(**SLIM, **_size(112))
    ref = fill_random_(timm.create_model(TINY, **kwargs)).eval()
    ours = zoo.create_model(TINY, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    for model in (ours, ref):
        model.set_input_size(**resize)
    ref_sd, ours_sd = ref.state_dict(), ours.state_dict()
    assert ref_sd.keys() == ours_sd.keys()
    for k, v in ref_sd.items():
        torch.testing.assert_close(ours_sd[k], v, rtol=1e-5, atol=1e-5, msg=k)
    img_size = resize.get('img_size', (112, 112))
    x = torch.randn(1, 3, *img_size, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        out, out_ref = ours(x), ref(x)
    assert (out - out_ref).abs().max() <= 1e-4 * max(1., out_ref.abs().max().item())
    assert ours.pretrained_cfg['input_size'] == (3, *img_size)


def test_set_input_size_round_trip_and_bad_spec():
    """Resizing to the current size changes nothing; an invalid window spec leaves the model untouched."""
    model = zoo.create_model(TINY, depths=(1, 1, 1, 1), embed_dim=32, num_heads=(1, 2, 4, 8), **_size(112)).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.set_input_size(img_size=112)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match='window'):
        model.set_input_size(img_size=224, window_size=(7, 7, 7))
    assert model.patch_embed.img_size == (112, 112)


def test_official_checkpoint_filter_matches_timm(pair):
    ours, ref = pair
    from timm.models.swin_transformer import checkpoint_filter_fn as timm_filter
    official = to_official_swin_checkpoint(ref.state_dict())
    assert 'layers.0.downsample.reduction.weight' in official['model']
    official['model']['layers.0.blocks.1.attn_mask'] = torch.zeros(1)  # stale buffers some checkpoints carry
    got, want = checkpoint_filter_fn(official, ours), timm_filter(official, ref)
    assert sorted(got) == sorted(want) == sorted(ref.state_dict())
    for k in want:
        assert torch.equal(got[k], want[k]), k


def test_invalid_args():
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model(TINY, output_stride=16)
    with pytest.raises(ValueError, match='window'):
        zoo.create_model(TINY, window_size=(7, 7, 7))
