"""Classification loss factory: one place that maps a loss type and its options to a criterion."""
from typing import Optional, Sequence, Union

import torch
from torch import nn

from zoo.loss.asymmetric import AsymmetricLossMultiLabel, AsymmetricLossSingleLabel
from zoo.loss.binary_cross_entropy import BinaryCrossEntropy
from zoo.loss.cross_entropy import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
from zoo.loss.distribution_balanced import DistributionBalancedLoss
from zoo.loss.jsd import JsdCrossEntropy
from zoo.loss.poly import PolyBinaryCrossEntropy, PolyCrossEntropy
from zoo.loss.ranking import TwoWayLoss, ZlprLoss

__all__ = ['LOSS_TYPES', 'MULTI_LABEL_LOSS_TYPES', 'create_classification_loss']

LOSS_TYPES = ('ce', 'bce', 'asl', 'poly', 'jsd', 'twoway', 'zlpr', 'db')
MULTI_LABEL_LOSS_TYPES = ('bce', 'asl', 'poly', 'twoway', 'zlpr', 'db')

Weight = Optional[Union[torch.Tensor, float, Sequence[float]]]


def _as_weight(weight: Weight) -> Optional[Union[torch.Tensor, float]]:
    if weight is None or isinstance(weight, (float, int)):
        return weight
    return torch.as_tensor(weight, dtype=torch.float32)


def create_classification_loss(
        loss_type: Optional[str] = None,
        multi_label: bool = False,
        smoothing: float = 0.,
        soft_targets: bool = False,
        class_weight: Weight = None,
        pos_weight: Weight = None,
        bce_target_thresh: Optional[float] = None,
        bce_sum: bool = False,
        asl_gamma_pos: float = 1.,
        asl_gamma_neg: float = 4.,
        asl_clip: Optional[float] = 0.05,
        asl_reduction: str = 'batchmean',
        poly_epsilon: float = 2.,
        poly_gamma: float = 0.,
        poly_alpha: Optional[float] = None,
        jsd_splits: int = 0,
        twoway_tp: float = 4.,
        twoway_tn: float = 1.,
        class_counts: Optional[Union[torch.Tensor, Sequence[float]]] = None,
        num_samples: Optional[int] = None,
        db_neg_scale: float = 2.,
        db_init_bias: float = 0.05,
        db_focal_gamma: float = 2.,
) -> nn.Module:
    """The training criterion for a classification task.

    Args:
        loss_type: One of ``LOSS_TYPES``; None picks 'bce' for multi-label and 'ce' otherwise. 'asl' and 'poly' use
            their sigmoid form for multi-label targets and their softmax form otherwise; 'twoway', 'zlpr' and 'db'
            are multi-label only, 'jsd' single-label only.
        multi_label: Targets are dense independent binary labels ``(B, C)``.
        smoothing: Label smoothing; ignored with ``soft_targets`` (mixup / cutmix already smoothed them).
        soft_targets: Targets arrive as dense soft distributions (mixup / cutmix).
        class_weight: Per-class weight, a number or one per class ('bce', multi-label 'asl').
        pos_weight: Weight of the positive term, a number or one per class ('bce', multi-label 'asl').
        bce_target_thresh: Binarise soft targets above this value ('bce').
        bce_sum: Sum over classes before averaging over the batch ('bce').
        asl_gamma_pos: Positive focusing exponent ('asl').
        asl_gamma_neg: Negative focusing exponent ('asl').
        asl_clip: Negative probability margin, None or 0 disables it (multi-label 'asl').
        asl_reduction: 'batchmean', 'sum' or 'mean' (multi-label 'asl'; single-label supports 'batchmean' only).
        poly_epsilon: Poly-1 coefficient ('poly').
        poly_gamma: Focusing exponent (multi-label 'poly').
        poly_alpha: Positive / negative balance (multi-label 'poly').
        jsd_splits: Augmentation splits, > 1 ('jsd').
        twoway_tp: Positive temperature ('twoway').
        twoway_tn: Negative temperature ('twoway').
        class_counts: Positive training samples per class ('db').
        num_samples: Samples the counts were taken over ('db').
        db_neg_scale: Negative logit scale ('db').
        db_init_bias: Class-prior shift ('db').
        db_focal_gamma: Focusing exponent ('db').

    Raises:
        ValueError: Unknown type, or an option the chosen type does not take (the message says which).
    """
    loss_type = loss_type or ('bce' if multi_label else 'ce')
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"Unknown loss type {loss_type!r}; expected one of {', '.join(LOSS_TYPES)}.")
    if multi_label and loss_type not in MULTI_LABEL_LOSS_TYPES:
        raise ValueError(f"Loss type {loss_type!r} takes no multi-label targets; use one of "
                         f"{', '.join(MULTI_LABEL_LOSS_TYPES)}.")
    if not multi_label and loss_type in ('twoway', 'zlpr', 'db'):
        raise ValueError(f'Loss type {loss_type!r} needs multi-label targets (multi_label=True).')
    class_weight, pos_weight = _as_weight(class_weight), _as_weight(pos_weight)
    if (class_weight is not None or pos_weight is not None) and not (
            loss_type == 'bce' or (loss_type == 'asl' and multi_label)):
        raise ValueError('class_weight / pos_weight apply only to the bce and multi-label asl losses.')
    if loss_type != 'bce' and (bce_target_thresh is not None or bce_sum):
        raise ValueError('bce_target_thresh / bce_sum apply only to the bce loss.')
    if loss_type != 'db' and (class_counts is not None or num_samples is not None):
        raise ValueError('class_counts / num_samples apply only to the db loss.')
    smoothing = 0. if soft_targets else smoothing
    weight = None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32)
    if loss_type == 'ce':
        if soft_targets:
            return SoftTargetCrossEntropy()
        return LabelSmoothingCrossEntropy(smoothing) if smoothing else nn.CrossEntropyLoss()
    if loss_type == 'bce':
        return BinaryCrossEntropy(smoothing=smoothing, smooth_dense=multi_label, target_threshold=bce_target_thresh,
                                  weight=weight, sum_classes=bce_sum, pos_weight=pos_weight)
    if loss_type == 'asl':
        if multi_label:
            return AsymmetricLossMultiLabel(gamma_neg=asl_gamma_neg, gamma_pos=asl_gamma_pos, clip=asl_clip,
                                            smoothing=smoothing, reduction=asl_reduction, weight=weight,
                                            pos_weight=pos_weight)
        if soft_targets:
            raise ValueError('Single-label ASL needs class-index targets; it does not work with mixup / cutmix.')
        if asl_reduction != 'batchmean':
            raise ValueError("Single-label ASL supports only asl_reduction='batchmean'.")
        return AsymmetricLossSingleLabel(gamma_pos=asl_gamma_pos, gamma_neg=asl_gamma_neg, eps=smoothing)
    if loss_type == 'poly':
        if multi_label:
            return PolyBinaryCrossEntropy(epsilon=poly_epsilon, gamma=poly_gamma, alpha=poly_alpha,
                                          smoothing=smoothing)
        if poly_gamma or poly_alpha is not None:
            raise ValueError('poly_gamma / poly_alpha apply only to the multi-label (sigmoid) poly loss.')
        return PolyCrossEntropy(epsilon=poly_epsilon, smoothing=smoothing)
    if loss_type == 'jsd':
        if jsd_splits < 2:
            raise ValueError('The jsd loss needs jsd_splits > 1 (clean + augmented splits, --aug-splits).')
        return JsdCrossEntropy(num_splits=jsd_splits, smoothing=smoothing)
    if loss_type in ('twoway', 'zlpr'):
        if soft_targets or smoothing:
            raise ValueError(f'Loss type {loss_type!r} needs binary targets: no mixup / cutmix or smoothing.')
        return TwoWayLoss(tp=twoway_tp, tn=twoway_tn) if loss_type == 'twoway' else ZlprLoss()
    if class_counts is None or num_samples is None:
        raise ValueError('The db loss needs class_counts and num_samples (see zoo.loss.load_class_stats).')
    return DistributionBalancedLoss(class_counts, num_samples, neg_scale=db_neg_scale, init_bias=db_init_bias,
                                    focal_gamma=db_focal_gamma, smoothing=smoothing)
