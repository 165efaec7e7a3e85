"""Model-API checks against timm shared by the EfficientViM, LowFormer and CSATv2 tests (families whose trunk or
head needs its own forward_intermediates / head code)."""
from typing import Any, Sequence

import torch
import torch.nn as nn

from _api_checks import assert_head_api_matches, assert_intermediates_match, assert_reset_and_prune_match
from _pairs import build_pair
from _parity import assert_features_only_parity


def small_pair(name: str, small: dict, **kwargs: Any):
    """(zoo model, timm model) of `name` built with `small` updated by kwargs, sharing timm's random weights."""
    ref, ours = build_pair(name, **{**small, **kwargs})
    return ours, ref


def assert_api_matches(name: str, ours: nn.Module, ref: nn.Module, x: torch.Tensor, indices: Sequence[int],
                       **kwargs: Any) -> None:
    """Intermediates (every level and `indices`, with the final features and logits), pre-logits and widths,
    group_matcher / no_weight_decay (where timm has them), reset / prune and features_only at `indices` equal timm's.

    kwargs are the model arguments `ours` and `ref` were built with.
    """
    assert_intermediates_match(ours, ref, x)
    assert_intermediates_match(ours, ref, x, list(indices))
    assert_head_api_matches(ours, ref, x)
    if hasattr(ref, 'group_matcher'):
        assert ours.group_matcher() == ref.group_matcher()
        assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    if hasattr(ref, 'no_weight_decay'):
        assert ours.no_weight_decay() == ref.no_weight_decay()
    assert_reset_and_prune_match(name, **kwargs)
    assert_features_only_parity(name, ref, x, out_indices=tuple(indices), **kwargs)
