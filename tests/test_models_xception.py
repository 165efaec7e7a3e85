"""Aligned Xception (xception_aligned) and the original Xception (xception): parity with timm, features, API.

Default run: one plain and one pre-activation aligned net and legacy_xception at 64 px (no TF 'same' padding in
these nets, so a reduced size keeps the graph), logits and every intermediate level (the strided blocks' levels are
taken inside the block). `-m slow`: every name at its native 299 px, dilated aligned nets, timm's feature forms.
"""
from typing import Any, Sequence

import pytest
import torch

import zoo
from _levels_parity import assert_levels_parity
from _parity import assert_outputs_close, build_pair_meta, fill_random_, timm

MODULES = ('xception_aligned', 'xception')
DEFAULT = ('xception41p', 'legacy_xception')


def _pair(name: str, **kwargs: Any):
    # built on the meta device and materialised (no computed buffers here), so no init cost
    return build_pair_meta(name, **kwargs)


def _check(name: str, size: int, batch_size: int = 2, **kwargs: Any) -> None:
    ref, ours = _pair(name, **kwargs)
    x = torch.randn(batch_size, 3, size, size, generator=torch.Generator().manual_seed(0))
    assert_levels_parity(ref, ours, x, name)


def test_names_match_timm():
    for module in MODULES:
        assert set(zoo.list_models(module=module)) == set(timm.list_models(module=module)), module


@pytest.mark.parametrize('name', DEFAULT)
def test_parity_reduced(name):
    _check(name, 64)


@pytest.mark.slow
@pytest.mark.parametrize('name', [n for m in MODULES for n in timm.list_models(module=m)])
def test_parity_native(name):
    _check(name, 299, batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', ['xception41', 'xception41p'])
@pytest.mark.parametrize('output_stride', [8, 16])
def test_output_stride_parity(name, output_stride):
    ref, ours = _pair(name, output_stride=output_stride)
    assert ours.feature_info == ref.feature_info
    _check(name, 64, batch_size=1, output_stride=output_stride)


def _stop_early_and_prune(name: str, indices: Sequence[int]) -> None:
    ref, ours = _pair(name)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(x, indices=indices, stop_early=True)
        final_ref, feats_ref = ref.forward_intermediates(x, indices=indices, stop_early=True)
        # zoo's convention: stopping early returns the last requested level as the final features; timm's aligned
        # nets return the output of the block holding that level instead (its legacy net agrees with zoo)
        assert_outputs_close(final, feats[-1], name=f'{name} stop_early final')
        if name == 'legacy_xception':
            assert_outputs_close(final, final_ref, name=f'{name} stop_early final')
        for a, b in zip(feats, feats_ref):
            assert_outputs_close(a, b, name=f'{name} stop_early level')
        ours.prune_intermediate_layers(indices)
        ref.prune_intermediate_layers(indices)
        assert sorted(ours.state_dict()) == sorted(ref.state_dict())
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x), name=f'{name} pruned features')
        for a, b in zip(ours.forward_intermediates(x, indices=indices, intermediates_only=True), feats_ref):
            assert_outputs_close(a, b, name=f'{name} pruned level')


@pytest.mark.parametrize('name', ['xception41', pytest.param('legacy_xception', marks=pytest.mark.slow)])
def test_stop_early_and_prune_match_timm(name):
    # level 2 ends inside a strided block (aligned) / at the ReLU the next block starts with (legacy)
    _stop_early_and_prune(name, (0, 2))


@pytest.mark.slow
@pytest.mark.parametrize('name', ['xception41p', 'xception71'])
def test_stop_early_and_prune_slow(name):
    _stop_early_and_prune(name, (1, 3))


@pytest.mark.parametrize('feature_cls', [None, pytest.param('getter', marks=pytest.mark.slow)])
def test_features_only_match_timm(feature_cls, tmp_path):
    """The default (hook, on the modules inside the blocks) and the getter form give timm's levels."""
    name = 'xception41'
    ref_full = fill_random_(timm.create_model(name))
    path = str(tmp_path / f'{name}.pth')
    torch.save(ref_full.state_dict(), path)
    kwargs = dict(features_only=True, pretrained=True, pretrained_cfg_overlay=dict(file=path), out_indices=(1, 3, 4))
    if feature_cls:
        kwargs['feature_cls'] = feature_cls
    ref = timm.create_model(name, **kwargs).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    assert type(ours).__name__ == type(ref).__name__
    assert ours.feature_info.channels() == ref.feature_info.channels() == [256, 1024, 2048]
    assert ours.feature_info.reduction() == ref.feature_info.reduction() == [4, 16, 32]
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        outs, outs_ref = ours(x), ref(x)
    assert len(outs) == len(outs_ref) == 3
    for a, b in zip(outs, outs_ref):
        assert_outputs_close(a, b, name=f'{name} features {feature_cls}')


def test_api_and_grad_checkpointing():
    model = zoo.create_model('xception41p', num_classes=5).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        assert ref.shape == (2, 5)
        assert model.forward_head(model.forward_features(x), pre_logits=True).shape == (2, 2048)
        model.set_grad_checkpointing(True)
        torch.testing.assert_close(model(x), ref)
    model.reset_classifier(3)
    assert model.get_classifier().out_features == 3
    matcher = model.group_matcher()
    assert matcher['stem'] == r'^stem' and matcher['blocks'] == r'^blocks\.(\d+)'
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('xception41', output_stride=4)


def test_deprecated_name_warns():
    with pytest.warns(DeprecationWarning, match='legacy_xception'):
        model = zoo.create_model('xception', pretrained=False)
    assert type(model).__name__ == 'Xception'
