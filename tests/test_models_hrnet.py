"""HRNet: parity with timm 1.0.31, the reference oracle, plus HRNet's own features model and the model API.

Default run: output parity of hrnet_w18_small at 64 px; its features model (incre and bare-branch levels, selected
out_indices) and forward_intermediates / pruning / the non-classification heads against timm on shared random
weights; refusal of the module-output feature wrappers; grad checkpointing (which timm refuses). `-m slow`: every
name at 128 px.
"""
import copy

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, build_pair_meta, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'hrnet'
NAMES = zoo.list_models(module=MODULE)
SMALL = 'hrnet_w18_small'


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 11


@pytest.mark.parametrize('name', [n if n == SMALL else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name == SMALL else (128, 128), batch_size=1)


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta(SMALL)


def _close_all(got, want, what):
    assert len(got) == len(want), what
    for i, (a, b) in enumerate(zip(got, want)):
        assert_outputs_close(a, b, name=f'{what} {i}')


@pytest.mark.parametrize('kwargs', [{}, dict(feature_location='', out_indices=(1, 3), num_classes=0)])
def test_features_model_matches_timm(kwargs):
    assert_feature_info_parity(SMALL, **kwargs)
    ref = fill_random_(timm.create_model(SMALL, features_only=True, **kwargs)).eval()
    with zoo.models.no_init():
        ours = zoo.create_model(SMALL, features_only=True, **kwargs).eval()
    assert type(ours).__name__ == type(ref).__name__ == 'HighResolutionNetFeatures'
    ours.load_state_dict(ref.state_dict(), strict=True)
    assert ours.feature_info.module_name() == ref.feature_info.module_name()
    x = image(batch=1)
    with torch.inference_mode():
        _close_all(ours(x), ref(x), f'features {kwargs}')


@pytest.mark.parametrize('feature_cls', ['list', 'dict', 'hook', 'fx'])
def test_module_wrappers_refused_naming_getter(feature_cls):
    with torch.device('meta'), pytest.raises(ValueError, match="'getter'"):
        zoo.create_model(SMALL, features_only=True, feature_cls=feature_cls)
    with torch.device('meta'), pytest.raises(TypeError, match='features_only=True'):
        zoo.create_model(SMALL, feature_location='')


def test_intermediates_match_timm(pair):
    ref, ours = pair
    x = image(batch=1)
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0, 2]), dict(indices=2, stop_early=True),
                       dict(indices=[0], stop_early=True), dict(indices=[1, 3], intermediates_only=True)):
            got, want = ours.forward_intermediates(x, **kwargs), ref.forward_intermediates(x, **kwargs)
            if not kwargs.get('intermediates_only'):
                (final, got), (final_ref, want) = got, want
                _close_all(final if isinstance(final, list) else [final],
                           final_ref if isinstance(final_ref, list) else [final_ref], f'final {kwargs}')
            _close_all(got, want, f'intermediates {kwargs}')
        nhwc = ours.forward_intermediates(x, indices=[1], output_fmt='NHWC', intermediates_only=True)[0]
        nchw = ours.forward_intermediates(x, indices=[1], intermediates_only=True)[0]
    assert torch.equal(nhwc.permute(0, 3, 1, 2), nchw)


@pytest.mark.parametrize('indices,prune_head', [([0], True), ([0, 2], True), (5, False)])
def test_prune_matches_timm(pair, indices, prune_head):
    ref, ours = copy.deepcopy(pair[0]), copy.deepcopy(pair[1])
    assert ours.prune_intermediate_layers(indices, prune_head=prune_head) == \
        ref.prune_intermediate_layers(indices, prune_head=prune_head)
    assert list(ours.state_dict()) == list(ref.state_dict()) and ours.num_features == ref.num_features
    x = image(batch=1)
    with torch.inference_mode():
        _close_all(ours.forward_intermediates(x, indices=indices, intermediates_only=True),
                   ref.forward_intermediates(x, indices=indices, intermediates_only=True), f'pruned {indices}')
        out, out_ref = ours(x), ref(x)
    _close_all(out if isinstance(out, list) else [out], out_ref if isinstance(out_ref, list) else [out_ref], 'forward')


def test_head_api(pair):
    ref, ours = pair
    assert_head_api_matches(ours, ref, image(batch=1))
    assert ours.get_classifier() is ours.classifier
    assert ours.group_matcher() == ref.group_matcher() and ours.group_matcher(True) == ref.group_matcher(True)
    assert_reset_and_prune_match(SMALL)
    with torch.device('meta'):
        model = zoo.create_model(SMALL, num_classes=0, global_pool='')
        assert model(image(size=32).to('meta')).shape == (2, 2048, 1, 1)


@pytest.mark.parametrize('head', [''])  # head='incre' is the features model's default, tested above
def test_backbone_heads_match_timm(head):
    ref, ours = build_pair_meta(SMALL, head=head)
    assert ours.feature_info == ref.feature_info and ours.num_features == ref.num_features
    x = image(batch=1)
    with torch.inference_mode():
        _close_all(ours(x), ref(x), f'head={head!r} branches')
        _close_all(ours.forward_intermediates(x, intermediates_only=True),
                   ref.forward_intermediates(x, intermediates_only=True), f'head={head!r} levels')


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model(SMALL, num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))
