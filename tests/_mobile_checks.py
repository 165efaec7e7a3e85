"""Checks against timm shared by the mobile families with distilled heads and a final norm (RepViT, EfficientFormer,
EfficientFormerV2, SwiftFormer)."""
import torch
import torch.nn as nn

from _api_checks import assert_head_api_matches
from _parity import assert_outputs_close


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
