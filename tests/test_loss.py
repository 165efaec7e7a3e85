"""Losses against closed-form values and timm's implementations."""
import pytest
import torch
import torch.nn.functional as F

from zoo.loss import BinaryCrossEntropy, JsdCrossEntropy, LabelSmoothingCrossEntropy, SoftTargetCrossEntropy


def _data(n: int = 6, c: int = 5):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)


def test_label_smoothing_equals_soft_target_ce_on_smoothed_one_hot() -> None:
    logits, target = _data()
    smoothed = F.one_hot(target, 5).float() * 0.8 + 0.2 / 5
    expect = torch.sum(-smoothed * F.log_softmax(logits, -1), -1).mean()
    torch.testing.assert_close(LabelSmoothingCrossEntropy(0.2)(logits, target), expect)
    torch.testing.assert_close(SoftTargetCrossEntropy()(logits, smoothed), expect)
    # torch's own label smoothing is the same definition
    torch.testing.assert_close(expect, F.cross_entropy(logits, target, label_smoothing=0.2))


def test_soft_target_shape_error() -> None:
    logits, target = _data()
    with pytest.raises(ValueError, match='soft targets must have the logits shape'):
        SoftTargetCrossEntropy()(logits, target)


def test_bce_closed_form_smoothing_and_threshold() -> None:
    logits, target = _data()
    off, on = 0.1 / 5, 0.9 + 0.1 / 5
    dense = torch.full((6, 5), off).scatter_(1, target.view(-1, 1), on)
    torch.testing.assert_close(BinaryCrossEntropy(0.1)(logits, target),
                               F.binary_cross_entropy_with_logits(logits, dense))
    soft = torch.softmax(torch.randn(6, 5), -1)
    torch.testing.assert_close(BinaryCrossEntropy(0.0, target_threshold=0.2)(logits, soft),
                               F.binary_cross_entropy_with_logits(logits, (soft > 0.2).float()))
    summed = BinaryCrossEntropy(0.1, sum_classes=True)(logits, target)
    expect = F.binary_cross_entropy_with_logits(logits, dense, reduction='none').sum(-1).mean()
    torch.testing.assert_close(summed, expect)


def test_jsd_identical_splits_reduce_to_cross_entropy() -> None:
    logits, target = _data()
    tripled = torch.cat([logits] * 3)
    loss = JsdCrossEntropy(num_splits=3, alpha=12., smoothing=0.0)(tripled, torch.cat([target] * 3))
    torch.testing.assert_close(loss, F.cross_entropy(logits, target), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize('smoothing', [0.0, 0.1])
def test_against_timm(smoothing: float) -> None:
    timm_loss = pytest.importorskip('timm.loss')
    logits, target = _data(12, 7)
    torch.testing.assert_close(JsdCrossEntropy(3, 12., smoothing)(logits, target),
                               timm_loss.JsdCrossEntropy(3, 12., smoothing)(logits, target))
    torch.testing.assert_close(BinaryCrossEntropy(smoothing)(logits, target),
                               timm_loss.BinaryCrossEntropy(smoothing)(logits, target))
    if smoothing:
        torch.testing.assert_close(LabelSmoothingCrossEntropy(smoothing)(logits, target),
                                   timm_loss.LabelSmoothingCrossEntropy(smoothing)(logits, target))
    soft = torch.softmax(torch.randn(12, 7), -1)
    torch.testing.assert_close(SoftTargetCrossEntropy()(logits, soft), timm_loss.SoftTargetCrossEntropy()(logits, soft))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match='smoothing'):
        LabelSmoothingCrossEntropy(1.5)
    with pytest.raises(ValueError, match='--aug-splits'):
        JsdCrossEntropy(num_splits=1)
    with pytest.raises(ValueError, match='not divisible'):
        JsdCrossEntropy(num_splits=3)(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))
