"""RDNet family: parity with timm, the reference oracle, plus the model API on grouped dense stages.

Default run: output parity at 64x64 for rdnet_tiny (plain and eSE dense blocks, strided and 1x1 transitions), with the
unpooled head, the norm-first head and the overlapping stem on a one-block-per-stage tiny; feature levels and
intermediates (levels span several dense stages); official checkpoint filter. `-m slow`: every name.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, build_pair_meta

import timm  # noqa: E402
import zoo  # noqa: E402

from zoo.models.rdnet import checkpoint_filter_fn

MODULE = 'rdnet'
NAMES = zoo.list_models(module=MODULE)
SHALLOW = dict(num_blocks_list=(1,) * 7)


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref, ours = build_pair_meta(name, **kwargs)
    x = image(size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 4


@pytest.mark.parametrize('name', [n if n == 'rdnet_tiny' else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    _parity(name)


@pytest.mark.parametrize('kwargs', [dict(num_classes=0, global_pool=''), dict(head_norm_first=True),
                                    dict(stem_type='overlap_tiered', ls_init_value=None)])
def test_parity_options(kwargs):
    _parity('rdnet_tiny', size=32, **SHALLOW, **kwargs)


@pytest.mark.parametrize('name', [n if n == 'rdnet_tiny' else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_feature_info_matches_timm(name):
    """One level per resolution, ending at the dense stage before the next strided transition."""
    with torch.device('meta'):
        ours, ref = zoo.create_model(name), timm.create_model(name)
    assert ours.feature_info == ref.feature_info


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('rdnet_tiny', **SHALLOW)


@pytest.mark.parametrize('indices', [None, [1, 2]])
def test_forward_intermediates_parity(pair, indices):
    ref, ours = pair
    assert_intermediates_match(ours, ref, image(), indices)


def test_head_api(pair):
    ref, ours = pair
    assert_head_api_matches(ours, ref, image())
    assert_reset_and_prune_match('rdnet_tiny')
    assert_reset_and_prune_match('rdnet_tiny', prune_to=[0, 1])


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('rdnet_tiny', num_classes=3, **SHALLOW)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def test_official_checkpoint_filter_matches_timm():
    from timm.models.rdnet import checkpoint_filter_fn as timm_filter
    assert_filter_matches_timm('rdnet_tiny', checkpoint_filter_fn, timm_filter,
                               lambda sd: {k.replace('stem.', 'stem.stem.'): v for k, v in sd.items()})


def test_invalid_args():
    with pytest.raises(ValueError, match='one entry per'):
        zoo.create_model('rdnet_tiny', growth_rates=(64, 64))
    with pytest.raises(ValueError, match='stem_type'):
        zoo.create_model('rdnet_tiny', stem_type='bogus')
