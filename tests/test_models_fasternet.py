"""FasterNet family: parity with timm, the reference oracle, plus the conv head's API.

Default run: output parity at 64x64 for t0 (GELU) and t2 (ReLU), the unpooled head, layer scale + stem without norm +
the slicing PConv forward; intermediates; head reset / pruning (the head conv goes with the head). `-m slow`: every
name.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, build_pair_meta

import timm  # noqa: E402
import zoo  # noqa: E402

MODULE = 'fasternet'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['fasternet_t0', 'fasternet_t2']


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref, ours = build_pair_meta(name, **kwargs)
    x = image(size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 6


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    _parity(name)


@pytest.mark.parametrize('kwargs', [
    dict(num_classes=0, global_pool=''),
    dict(layer_scale_init_value=0.1, patch_norm=False, pconv_fw_type='slicing'),
])
def test_parity_options(kwargs):
    _parity('fasternet_t0', size=32, **kwargs)


def test_slicing_equals_split_cat():
    """The in-place slicing PConv (inference) computes what split-and-concatenate computes."""
    from zoo.models.fasternet import PartialConv3
    split, sliced = PartialConv3(8, 4, 'split_cat'), PartialConv3(8, 4, 'slicing')
    sliced.load_state_dict(split.state_dict())
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(sliced(x), split(x))
    assert torch.equal(split(x)[:, 2:], x[:, 2:])  # 3/4 of the channels pass through


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('fasternet_t0')


def test_intermediates_and_head_api(pair):
    ref, ours = pair
    assert_intermediates_match(ours, ref, image(), [0, 2])
    assert_head_api_matches(ours, ref, image())
    assert ours.get_classifier() is ours.classifier
    assert_reset_and_prune_match('fasternet_t0')
    model = zoo.create_model('fasternet_t0')
    model.prune_intermediate_layers([1])  # levels 0-1 kept: the head conv and classifier go
    assert isinstance(model.conv_head, torch.nn.Identity) and model.head_hidden_size == 80


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('fasternet_t0', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def test_invalid_args():
    with pytest.raises(ValueError, match='width'):
        zoo.create_model('fasternet_t0', global_pool='catavgmax')
    with pytest.raises(ValueError, match='forward'):
        zoo.create_model('fasternet_t0', pconv_fw_type='bogus')
