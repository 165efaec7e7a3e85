"""Checks of the two-classifier (class + distillation) heads against timm, shared by the distilled mobile families."""
import torch
import torch.nn as nn

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
