"""Tests for zoo.layers building blocks against timm (test-only oracle)."""
import pytest
import torch

from zoo.layers.drop import drop_path
from zoo.layers.helpers import to_2tuple, to_ntuple


@pytest.mark.parametrize('shape', [(16, 3, 5, 5), (16, 7), (9, 4, 6)])
@pytest.mark.parametrize('drop_prob,scale_by_keep', [(0.3, True), (0.5, False), (1.0, True), (0., True)])
def test_drop_path_same_draws_and_values_as_timm(shape, drop_prob, scale_by_keep):
    timm_drop = pytest.importorskip('timm.layers.drop')
    x = torch.randn(shape, requires_grad=True)
    results = []
    for fn in (drop_path, timm_drop.drop_path):
        torch.manual_seed(0)
        out = fn(x, drop_prob, True, scale_by_keep)
        (grad,) = torch.autograd.grad(out.sum(), x)
        results.append((out, grad, torch.rand(1)))  # the generator must be left in the same state
    (out, grad, after), (ref, ref_grad, ref_after) = results
    assert torch.equal(out, ref) and torch.equal(grad, ref_grad) and torch.equal(after, ref_after)
    assert drop_path(x, drop_prob, training=False) is x


def test_drop_path_drops_whole_samples():
    torch.manual_seed(1)
    out = drop_path(torch.ones(64, 2, 3), 0.5, training=True)
    per_sample = out.flatten(1)
    assert set(per_sample.unique().tolist()) == {0., 2.}  # survivors scaled by 1 / keep
    assert (per_sample == per_sample[:, :1]).all()  # one decision per sample


@pytest.mark.parametrize('value', [3, 'same', (1, 2), [4, 5, 6], range(2), None])
def test_ntuple_matches_timm(value):
    timm_helpers = pytest.importorskip('timm.layers.helpers')
    assert to_2tuple(value) == timm_helpers.to_2tuple(value)
    assert to_ntuple(3)(value) == timm_helpers.to_ntuple(3)(value)
