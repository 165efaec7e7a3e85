"""FocalNet family: parity with timm, the reference oracle, plus the model API and the official-checkpoint filter.

Default run: focalnet_tiny_srf / _lrf (2 and 3 context levels) at 64 px, the NormMlp head option, intermediates,
head API, checkpointing, the official layout of a pre-norm and a post-norm (LayerScale) model. `-m slow`: every name
(the large / huge post-norm models at 64 px: building them dominates).
"""
import re
from typing import Dict

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, fill_random_

import timm  # noqa: E402
import zoo  # noqa: E402
from zoo.models import focalnet as focalnet_module  # noqa: E402

MODULE = 'focalnet'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['focalnet_tiny_srf', 'focalnet_tiny_lrf']


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref = fill_random_(timm.create_model(name, **kwargs)).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    x = image(batch=1, size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 12


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    _parity(name)


def test_parity_norm_mlp_head():
    _parity('focalnet_tiny_srf', head_hidden_size=64)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('focalnet_tiny_srf')).eval()
    ours = zoo.create_model('focalnet_tiny_srf').eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image(size=64)
    # compared relative to each level's scale: the un-normalised residual stream reaches |x| ~ 10 with these weights
    for indices in (None, [0, 2]):
        with torch.inference_mode():
            final, levels = ours.forward_intermediates(x, indices=indices)
            final_ref, levels_ref = ref.forward_intermediates(x, indices=indices)
        assert len(levels) == len(levels_ref)
        for a, b in zip([final, *levels], [final_ref, *levels_ref]):
            assert_outputs_close(a, b)
    assert_head_api_matches(ours, ref, x)
    assert ours.feature_info == ref.feature_info
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.get_classifier() is ours.head.fc
    assert_reset_and_prune_match('focalnet_tiny_srf')


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('focalnet_tiny_srf', num_classes=3, depths=(1, 1, 2, 1))
    assert_checkpointing_keeps_gradients(model, image(size=32))


def _to_official(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm layout -> microsoft/FocalNet layout: linear MLP / f projections, stage-end downsamples, gamma_<i>,
    norm<i> post-norms, `patch_embed`, `head`."""
    out = {}
    for key, value in state_dict.items():
        if re.search(r'(mlp\.fc\d|modulation\.f)\.weight$', key):
            value = value.flatten(1)
        key = re.sub(r'ls(\d)\.gamma', r'gamma_\1', key)
        key = re.sub(r'norm(\d)_post', r'norm\1', key)
        key = re.sub(r'^layers\.(\d+)\.downsample', lambda m: f'layers.{int(m.group(1)) - 1}.downsample', key)
        key = key.replace('stem.', 'patch_embed.').replace('head.fc.', 'head.')
        out[key] = value
    return out


@pytest.mark.parametrize('name', ['focalnet_tiny_srf', 'focalnet_large_fl4'])
def test_official_checkpoint_filter_matches_timm(name):
    assert_filter_matches_timm(name, focalnet_module.checkpoint_filter_fn,
                               timm.models.focalnet.checkpoint_filter_fn, _to_official)
