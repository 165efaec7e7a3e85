"""MaxViT / CoAtNet / MaxxViT (`maxxvit` module): parity with timm (the reference oracle) and the family's own API.

Windows and grids default to input size / 32, so models are built for a reduced input through the pretrained cfg
(`input_size`, which both libraries turn into `img_size`): at 64 px every stage map (32, 16, 8, 4, 2) splits into
whole 2x2 partitions.

Default run: every block type and config switch of the family on a slimmed copy of the architecture that has it
(narrow stages, one or two blocks each; the switches are the config, not the width), both `test_*` models as they
are, `set_input_size` and loading checkpoints made at another input size (bias tables resampled as timm's filter
does), intermediates / head / group_matcher / no_weight_decay / grad checkpointing.
`-m slow`: every registered name at 64 px, as published.
"""
import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients
from _parity import (
    assert_features_only_parity, assert_outputs_close, assert_parity, assert_parity_shared_weights, fill_random_,
)

import timm  # noqa: E402  (present: _parity skips the module without it)
import zoo  # noqa: E402

MODULE = 'maxxvit'
NAMES = zoo.list_models(module=MODULE)
PX = 64

# narrow every stage (32-wide heads, one block) so an architecture's switches cost almost nothing to check
_SLIM = dict(embed_dim=(32, 64, 96, 128), depths=(1, 1, 1, 1), stem_width=(16, 32))
_SLIM_HEAD = dict(_SLIM, head_hidden_size=64)
_SLIM_CONVNEXT = dict(_SLIM, embed_dim=(32, 64, 128, 128))  # a depthwise conv widens by whole multiples


def _size(px: int = PX) -> dict:
    return dict(pretrained_cfg_overlay=dict(input_size=(3, px, px)))


def _x(px: int = PX, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, px, px, generator=torch.Generator().manual_seed(1))


def test_registry_covers_timm_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 58


SAMPLE = [
    ('test_maxvit', {}),  # 'M' blocks, MBConv with dw striding, block + grid attention, flat bias tables
    ('test_coatnet', {}),  # 'C' / 'T' stages, pooled MBConv striding, full-map attention with bias tables
    ('coatnet_0_rw_224', _SLIM),  # activated pre-norm, SE before norm2, ReLU SE, bias-free transformer shortcut
    ('coatnet_bn_0_rw_224', _SLIM),  # BatchNorm in the transformer blocks and as final norm
    ('coatnet_rmlp_1_rw_224', dict(_SLIM, depths=(1, 1, 2, 1))),  # max pooling, MLP position bias (384 hidden)
    ('coatnet_nano_cc_224', dict(_SLIM, depths=(1, 1, 2, 2))),  # stages mixing 'C' and 'T' blocks
    ('coatnext_nano_rw_224', _SLIM_CONVNEXT),  # ConvNeXt conv blocks with layer scale, strided 'T' blocks without
    ('coatnet_0_224', _SLIM_HEAD),  # paper recipe: widening in qkv, hidden layer + norm in the head
    ('maxvit_tiny_pm_256', _SLIM),  # 'PM': two conv blocks, parallel block / grid attention on half widths
    ('maxvit_rmlp_small_rw_224', _SLIM),  # MLP bias in partitions, attention layer scale
    ('maxxvit_rmlp_nano_rw_256', _SLIM_CONVNEXT),  # ConvNeXt conv blocks inside 'M' blocks
    ('maxxvitv2_nano_rw_256', _SLIM_CONVNEXT),  # grid attention only
    ('maxvit_tiny_tf_224', _SLIM_HEAD),  # TF: 'same' padding, tanh-GELU, interleaved qkv heads, (heads, h, w) tables
    ('test_maxvit', dict(transformer_use_nchw_attn=True)),  # partition attention on NCHW maps (1x1 conv layout)
    ('test_coatnet', dict(conv_stride_mode='1x1', transformer_rel_pos_type='')),  # strided 1x1, no position bias
    ('test_coatnet', dict(conv_attn_layer='eca', transformer_pool_type='avg', global_pool='avgmax')),
]


@pytest.mark.parametrize('name,kwargs', SAMPLE, ids=[f'{n}-{i}' for i, (n, _) in enumerate(SAMPLE)])
def test_parity_sample(name, kwargs):
    assert_parity(name, batch_size=1, **kwargs, **_size())


def test_parity_tf_same_padding_odd_sizes():
    """TF 'same' padding pads odd maps asymmetrically at run time: 98 px gives 49 -> 25 -> 13 -> 7 -> 4 maps (1x1
    partitions keep attention defined on them)."""
    assert_parity('maxvit_tiny_tf_224', img_size=(98, 98), batch_size=1, transformer_window_size=1, **_SLIM_HEAD,
                  **_size(98))


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_reduced_size(name):
    assert_parity_shared_weights(name, PX)


def _pair(name: str, px: int = PX, **kwargs):
    kwargs = dict(kwargs, **_size(px))
    ref = fill_random_(timm.create_model(name, **kwargs)).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


@pytest.fixture(scope='module')
def pair():
    return _pair('test_maxvit')


def _assert_same_state(ours: torch.nn.Module, ref: torch.nn.Module) -> None:
    ours_sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert ours_sd.keys() == ref_sd.keys()
    for k, v in ref_sd.items():
        torch.testing.assert_close(ours_sd[k], v, rtol=1e-5, atol=1e-5, msg=k)


@pytest.mark.parametrize('name,kwargs', [
    ('test_maxvit', {}),  # flat bias tables of the block / grid partitions
    ('test_coatnet', {}),  # full-map tables of the 'T' blocks
    ('maxvit_tiny_tf_224', _SLIM_HEAD),  # (heads, 2h - 1, 2w - 1) tables
])
def test_set_input_size_matches_timm(name, kwargs):
    """Resizing a built model resamples its bias tables as timm does, and both then agree at the new size."""
    ours, ref = _pair(name, **kwargs)
    for model in (ours, ref):
        model.set_input_size(img_size=(96, 128))
    _assert_same_state(ours, ref)
    x = torch.randn(1, 3, 96, 128, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    assert ours.pretrained_cfg['input_size'] == (3, 96, 128)
    ours.set_input_size(window_size=4, grid_size=2)
    ref.set_input_size(window_size=4, grid_size=2)
    _assert_same_state(ours, ref)


# timm's own table interpolation (the oracle) warns about its indexing style; not ours to fix
_TIMM_INTERP_WARNINGS = pytest.mark.filterwarnings('ignore:.*(searchsorted|non-tuple sequence).*:UserWarning')


@_TIMM_INTERP_WARNINGS
@pytest.mark.parametrize('name,kwargs', [
    ('test_maxvit', {}),
    ('test_coatnet', {}),
    ('maxvit_tiny_tf_224', _SLIM_HEAD),
])
def test_checkpoint_of_other_size_resampled_on_load(name, kwargs):
    """Weights made at 64 px (2x2 windows) loaded into a 96 px model (3x3 windows, larger 'T' maps)."""
    from timm.models.maxxvit import checkpoint_filter_fn as timm_filter
    state_dict = fill_random_(timm.create_model(name, **kwargs, **_size(64))).state_dict()
    ref = timm.create_model(name, **kwargs, **_size(96)).eval()
    resized = [k for k, v in state_dict.items() if v.shape != ref.state_dict()[k].shape]
    assert resized and all(k.endswith('relative_position_bias_table') for k in resized)
    ref.load_state_dict(timm_filter(dict(state_dict), ref))
    ours = zoo.create_model(name, pretrained=True, **kwargs,
                            pretrained_cfg_overlay=dict(state_dict=state_dict, input_size=(3, 96, 96))).eval()
    _assert_same_state(ours, ref)
    with torch.inference_mode():
        assert_outputs_close(ours(_x(96, 1)), ref(_x(96, 1)))


def test_checkpoint_filter_reshapes_linear_and_conv_layouts():
    """An attention checkpoint in channels-last (linear) layout loads into the NCHW (1x1 conv) layout and back."""
    from zoo.models.maxxvit import checkpoint_filter_fn
    ours, _ = _pair('test_maxvit')
    nchw = zoo.create_model('test_maxvit', transformer_use_nchw_attn=True, **_size()).eval()
    nchw.load_state_dict(checkpoint_filter_fn(ours.state_dict(), nchw))
    assert nchw.stages[0].blocks[0].attn_grid.attn.qkv.weight.ndim == 4
    with torch.inference_mode():
        assert_outputs_close(nchw(_x()), ours(_x()))


@pytest.mark.parametrize('indices', [None, 2, [0, 4]])
@pytest.mark.parametrize('norm', [False, True])
def test_forward_intermediates_parity(pair, indices, norm):
    """Level 0 is the stem (stride 2), then the four stages, as in timm."""
    ours, ref = pair
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(_x(), indices=indices, norm=norm)
        final_ref, feats_ref = ref.forward_intermediates(_x(), indices=indices, norm=norm)
    assert len(feats) == len(feats_ref)
    for a, b in zip(feats, feats_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(final, final_ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('out_indices', [None, (1, 3)])
def test_features_only_matches_timm(pair, out_indices):
    """features_only maps equal timm's intermediates; channels / reductions equal timm's features_only model."""
    _, ref = pair
    kwargs = {} if out_indices is None else dict(out_indices=out_indices)
    ours = assert_features_only_parity('test_maxvit', ref, _x(), **kwargs, **_size())
    # level 0 is the stem: stages past the last level taken are pruned
    assert len(ours.model.stages) == max(ours.feature_info.out_indices)


@pytest.mark.parametrize('name,kwargs', [('test_maxvit', {}), ('coatnet_0_224', _SLIM_HEAD)])
def test_prune_and_head_api(name, kwargs):
    ours, ref = _pair(name, **kwargs)
    with torch.inference_mode():
        torch.testing.assert_close(ours.forward_head(ours.forward_features(_x()), pre_logits=True),
                                   ref.forward_head(ref.forward_features(_x()), pre_logits=True))
    assert ours.prune_intermediate_layers([1, 2]) == ref.prune_intermediate_layers([1, 2])
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    assert ours.num_features == ref.num_features
    ours.reset_classifier(5, 'max')
    with torch.inference_mode():
        assert ours(_x()).shape == (2, 5)


def test_group_matcher_and_no_weight_decay_match_timm():
    for name, kwargs in (('test_maxvit', {}), ('maxvit_rmlp_small_rw_224', _SLIM)):
        ours, ref = _pair(name, **kwargs)
        for coarse in (False, True):
            got = timm.models.group_parameters(ours, ours.group_matcher(coarse=coarse))
            assert got == timm.models.group_parameters(ref, ref.group_matcher(coarse=coarse))
        assert ours.no_weight_decay() == set(ref.no_weight_decay())
        assert ours.no_weight_decay()


def test_grad_checkpointing_same_gradients():
    model = zoo.create_model('test_coatnet', num_classes=3, **_size())
    assert_checkpointing_keeps_gradients(model, _x())
    assert all(s.grad_checkpointing for s in model.stages)


def test_weight_init_schemes_differ_and_are_checked():
    """Each init scheme gives the weights its own statistics; an unknown scheme is refused."""
    stds = {}
    for scheme in ('normal', 'xavier_normal', 'vit_eff'):
        model = zoo.create_model('test_maxvit', weight_init=scheme, **_size())
        stds[scheme] = model.stages[3].blocks[0].attn_grid.attn.qkv.weight.std().item()
    assert abs(stds['normal'] - 0.02) < 0.002
    assert stds['xavier_normal'] > 0.05 and stds['vit_eff'] > 0.05
    with pytest.raises(ValueError, match='weight_init'):
        zoo.create_model('test_maxvit', weight_init='kaiming', **_size())


def test_invalid_args():
    with pytest.raises(ValueError, match='rel_pos_type'):
        zoo.create_model('test_maxvit', transformer_rel_pos_type='rope', **_size())
    with pytest.raises(ValueError, match='block type'):
        zoo.create_model('test_maxvit', block_type=('M', 'X', 'M', 'M'), **_size())
    with pytest.raises(ValueError, match='stride_mode'):
        zoo.create_model('coatnext_nano_rw_224', conv_stride_mode='1x1', **_size())
    # config fields are overridable by name; anything else is refused by name at construction
    with pytest.raises(TypeError, match='transformer_bogus'):
        zoo.create_model('test_maxvit', transformer_bogus=1, **_size())
    # a 72 px input gives 36 -> 18 -> 9 -> 5 -> 3 maps, which 2x2 partitions cannot tile
    model = zoo.create_model('test_maxvit', **_size())
    model.set_input_size(img_size=72, window_size=2, grid_size=2)
    with pytest.raises(ValueError, match='multiples of the window'):
        model(_x(72, 1))
