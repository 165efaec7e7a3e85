"""Checks against timm shared by the mobile families with distilled heads and a final norm (RepViT, EfficientFormer,
EfficientFormerV2, SwiftFormer)."""
import pytest
import torch
import torch.nn as nn

from _api_checks import assert_head_api_matches, assert_intermediates_match, assert_reset_and_prune_match
from _parity import assert_outputs_close

import zoo  # noqa: E402


def assert_distilled_heads_match(ours: nn.Module, ref: nn.Module, x: torch.Tensor) -> None:
    """eval: zoo's logits are the mean of its two heads' logits; training: `forward_head_distilled` gives the
    (class, distillation) pair timm's `forward` returns with `set_distilled_training(True)` (batch-statistics norms,
    so both models are compared in training mode). Both models are left in eval mode."""
    with torch.inference_mode():
        x_cls, x_dist = ours.forward_head_distilled(ours.forward_features(x))
        assert_outputs_close(ours(x), (x_cls + x_dist) / 2, name='eval logits')
        assert_outputs_close(ours(x), ref(x), name='eval logits vs timm')
    ref.train()
    ref.set_distilled_training(True)
    ours.train()
    try:
        with torch.no_grad():
            got, want = ours.forward_head_distilled(ours.forward_features(x)), ref(x)
    finally:
        ref.set_distilled_training(False)
        ref.eval()
        ours.eval()
    assert isinstance(want, tuple) and len(want) == len(got) == 2
    for a, b in zip(got, want):
        assert_outputs_close(a, b, name='distilled training logits')


def assert_head_and_norm_api_match(ours: nn.Module, ref: nn.Module, x: torch.Tensor, last: int = 3) -> None:
    """The final norm applied to the last level (`forward_intermediates(norm=True)`), pre-logits / widths,
    group_matcher and no_weight_decay equal timm's."""
    with torch.inference_mode():
        got = ours.forward_intermediates(x, indices=[last], norm=True, intermediates_only=True)
        want = ref.forward_intermediates(x, indices=[last], norm=True, intermediates_only=True)
    torch.testing.assert_close(got[0], want[0], rtol=1e-4, atol=1e-4)
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == ref.no_weight_decay()


def assert_pooled_bn_linear_head_matches(name: str, ours: nn.Module, ref: nn.Module, x: torch.Tensor) -> None:
    """EfficientViT-M / SHViT (pool -> BN-linear head): intermediates, pre-logits, group_matcher, reset / prune and
    a reset to pooled features equal timm's; pooling that leaves maps or widens the vector is refused (timm fails on
    it in forward)."""
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match(name)
    for m in (ref, ours):
        m.reset_classifier(0, global_pool='max')
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='reset to pooled features')
    for bad in ('', 'catavgmax'):
        with pytest.raises(ValueError, match='global_pool'):
            zoo.create_model(name, global_pool=bad)
