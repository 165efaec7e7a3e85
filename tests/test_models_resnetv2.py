"""ResNet-V2 (pre-activation ResNets, BiT) checked against timm (the reference oracle), plus the model API.

Layout of every name: tests/test_layout_all.py; cfgs: tests/test_registry.py. Default run: output parity at 64 px
for one model per block / stem / norm kind (BiT at full depth, the others with one block per stage: blocks of a
stage repeat, so depth adds cost, not coverage), dilation (output_stride 16 / 8), intermediates, features, API and
the layers. `-m slow`: every name at full depth.
"""
import re

import pytest
import torch
import torch.nn as nn

from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity_meta_built, build_pair_meta, timm

import zoo

MODULE = 'resnetv2'
NAMES = zoo.list_models(module=MODULE)
# one model per block / stem / norm kind; the BiT factories fix `layers`, so they run at full depth
SAMPLE = {
    'resnetv2_50x1_bit': {},  # BiT: GroupNorm + weight-standardised convs, pad + valid max-pool stem
    'resnetv2_18': dict(layers=(1, 1, 1, 1)),  # pre-activation basic blocks, BatchNorm
    'resnetv2_34d': dict(layers=(1, 1, 1, 1)),  # deep stem, average-pool shortcut, basic blocks
    'resnetv2_50t': dict(layers=(1, 1, 1, 1)),  # tiered deep stem, bottlenecks
    'resnetv2_50d_evos': dict(layers=(1, 1, 1, 1)),  # EvoNorm-S0
    'resnetv2_50d_frn': dict(layers=(1, 1, 1, 1)),  # Filter Response Norm + TLU
    'resnetv2_50d_gn': dict(layers=(1, 1, 1, 1)),  # GroupNorm with plain convs
}


def test_registered_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert set(SAMPLE) <= set(NAMES)


@pytest.mark.parametrize('name', list(SAMPLE))
def test_parity_sample(name: str):
    assert_parity_meta_built(name, 64, **SAMPLE[name])


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_full_depth(name: str):
    assert_parity_meta_built(name, 64, batch_size=1)


@pytest.mark.parametrize('name, output_stride', [('resnetv2_50d', 8),
                                                  pytest.param('resnetv2_50', 16, marks=pytest.mark.slow)])
def test_output_stride_matches_timm(name: str, output_stride: int):
    """Dilated last stages (strided first conv keeps the previous dilation, SAME-padded avg-pool shortcut)."""
    kwargs = dict(output_stride=output_stride, layers=(1, 1, 2, 2))
    assert_parity_meta_built(name, 64, batch_size=1, **kwargs)
    assert_feature_info_parity(name, **kwargs)
    model = zoo.create_model(name, num_classes=0, global_pool='', **kwargs)
    assert model.feature_info[-1]['reduction'] == output_stride
    with torch.inference_mode():
        assert model(torch.randn(1, 3, 64, 64)).shape[-1] == 64 // output_stride


def test_features_and_intermediates_match_timm():
    assert_feature_info_parity('resnetv2_18')
    assert_feature_info_parity('resnetv2_50x1_bit', out_indices=(0, 2, 4))
    ref, ours = build_pair_meta('resnetv2_34d', layers=(1, 1, 1, 1))
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0, 4], norm=True), dict(indices=2, stop_early=True)):
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            final, inter = ours.forward_intermediates(x, **kwargs)
            assert_outputs_close(final, final_ref)
            assert [t.shape for t in inter] == [t.shape for t in inter_ref]
            for o, r in zip(inter, inter_ref):
                assert_outputs_close(o, r)
    # features_only: timm's wrapper and zoo's return the same maps for the same weights
    ref = timm.create_model('resnetv2_18d', features_only=True, out_indices=(0, 1, 3), layers=(1, 1, 1, 1)).eval()
    ours = zoo.create_model('resnetv2_18d', features_only=True, feature_cls='getter', out_indices=(0, 1, 3),
                            layers=(1, 1, 1, 1)).eval()
    full = zoo.create_model('resnetv2_18d', layers=(1, 1, 1, 1))
    state = {k.replace('stages_', 'stages.').replace('stem_', 'stem.'): v for k, v in ref.state_dict().items()}
    ours.model.load_state_dict(state, strict=True)
    assert ours.feature_info.channels() == ref.feature_info.channels() == [64, 64, 256]
    with torch.inference_mode():
        for o, r in zip(ours(x), ref(x)):
            assert_outputs_close(o, r)
    assert len(full.stages) == 4 and len(ours.model.stages) == 3  # the unused last stage was pruned


def test_api_matches_timm():
    ref, ours = build_pair_meta('resnetv2_18', layers=(1, 1, 1, 1), drop_path_rate=0.1)
    x = torch.randn(2, 3, 64, 64)
    names = [n for n, _ in ours.named_parameters()]
    for coarse in (False, True):
        for n in names:
            assert _group(ours.group_matcher(coarse), n) == _group(ref.group_matcher(coarse), n), n
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert_outputs_close(ours.forward_head(feats, pre_logits=True), ref.forward_head(feats, pre_logits=True))
    assert ours.get_classifier() is ours.head.fc and isinstance(ours.head.fc, nn.Conv2d)
    ours.reset_classifier(7, 'max')
    ref.reset_classifier(7, 'max')
    ours.head.fc.load_state_dict(ref.head.fc.state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    # gradient checkpointing changes memory, not results
    ours.train()
    torch.manual_seed(0)
    expected = ours(x)
    ours.set_grad_checkpointing(True)
    torch.manual_seed(0)
    out = ours(x)
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert ours.stem.conv.weight.grad is not None
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('resnetv2_18', output_stride=4)
    with pytest.raises(ValueError, match='stem_type'):
        zoo.create_model('resnetv2_18', stem_type='wide')


def _group(matcher, name: str):
    """Index of the group a parameter name falls into (the regexes' own numbering), as timm computes it."""
    specs = matcher['blocks'] if isinstance(matcher['blocks'], list) else [(matcher['blocks'], None)]
    if re.match(matcher['stem'], name):
        return 'stem'
    for pattern, suffix in specs:
        m = re.match(pattern, name)
        if m:
            return tuple(int(g) for g in m.groups()) if suffix is None else suffix
    return None


def test_layers_match_timm():
    from zoo.layers.evo_norm import EvoNorm2dS0
    from zoo.layers.filter_response_norm import FilterResponseNormTlu2d
    from zoo.layers.pool2d_same import MaxPool2dSame
    from zoo.layers.std_conv import StdConv2d, StdConv2dSame
    tl = timm.layers
    x = torch.randn(2, 16, 11, 9)
    cases = [
        (StdConv2d(16, 8, 3, stride=2, eps=1e-8), tl.StdConv2d(16, 8, 3, stride=2, eps=1e-8)),
        (StdConv2dSame(16, 8, 3, stride=2), tl.StdConv2dSame(16, 8, 3, stride=2)),
        (StdConv2dSame(16, 8, 3, stride=1, dilation=2), tl.StdConv2dSame(16, 8, 3, stride=1, dilation=2)),
        (EvoNorm2dS0(16, group_size=4), tl.EvoNorm2dS0(16, group_size=4)),
        (EvoNorm2dS0(16, groups=8, apply_act=False), tl.EvoNorm2dS0(16, groups=8, apply_act=False)),
        (FilterResponseNormTlu2d(16), tl.FilterResponseNormTlu2d(16)),
        (MaxPool2dSame(3, 2), timm.layers.pool2d_same.MaxPool2dSame(3, 2)),
    ]
    gen = torch.Generator().manual_seed(0)
    for ours, ref in cases:
        state = {k: torch.randn(v.shape, generator=gen) * 0.5 + 1 for k, v in ref.state_dict().items()}
        ref.load_state_dict(state)
        ours.load_state_dict(state)
        with torch.no_grad():
            assert_outputs_close(ours(x), ref(x), name=type(ours).__name__)
