"""StarNet family: parity with timm, the reference oracle, plus the model API (top-level pool + linear head).

Default run: output parity at 64x64 for s050 (mlp ratio 3) and s2 (ratio 4), the unpooled trunk, intermediates with
and without the final BatchNorm, head reset / pruning. `-m slow`: every name.
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

MODULE = 'starnet'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['starnet_s050', 'starnet_s2']


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref, ours = build_pair_meta(name, **kwargs)
    x = image(size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 7


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    _parity(name)


def test_parity_unpooled():
    _parity('starnet_s050', size=32, num_classes=0, global_pool='')


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('starnet_s050')


@pytest.mark.parametrize('norm', [False, True])
def test_forward_intermediates_parity(pair, norm):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [1, 3])
    with torch.inference_mode():
        got = ours.forward_intermediates(x, norm=norm, intermediates_only=True)
        want = ref.forward_intermediates(x, norm=norm, intermediates_only=True)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_head_api(pair):
    ref, ours = pair
    assert_head_api_matches(ours, ref, image())
    assert ours.get_classifier() is ours.head
    assert_reset_and_prune_match('starnet_s050')
    model = zoo.create_model('starnet_s050')
    model.reset_classifier(4, 'max')
    with torch.inference_mode():
        assert model(image(size=32)).shape == (2, 4)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('starnet_s050', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))
    assert all(s.grad_checkpointing for s in model.stages)


def test_official_checkpoint_filter():
    """The official checkpoints nest timm-layout keys under `state_dict`."""
    from zoo.models.starnet import checkpoint_filter_fn
    ref, ours = build_pair_meta('starnet_s050')
    ours.load_state_dict(checkpoint_filter_fn({'state_dict': ref.state_dict()}, ours))
    with torch.inference_mode():
        assert_outputs_close(ours(image()), ref(image()))
