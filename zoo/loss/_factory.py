"""Classification loss factory: one place that maps a loss type and its options to a criterion.

Each loss type is one row of `_LOSSES` (which targets it takes and how it is built); options that only some types
read are declared once in `_OPTION_OWNERS`, so a misplaced option is refused by name instead of silently ignored.
"""
import inspect
from types import SimpleNamespace
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

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

Weight = Optional[Union[torch.Tensor, float, Sequence[float]]]


def _class_weight(o: SimpleNamespace) -> Optional[torch.Tensor]:
    return None if o.class_weight is None else torch.as_tensor(o.class_weight, dtype=torch.float32)


def _build_ce(o: SimpleNamespace) -> nn.Module:
    if o.soft_targets:
        return SoftTargetCrossEntropy()
    return LabelSmoothingCrossEntropy(o.smoothing) if o.smoothing else nn.CrossEntropyLoss()


def _build_bce(o: SimpleNamespace) -> nn.Module:
    return BinaryCrossEntropy(smoothing=o.smoothing, smooth_dense=o.multi_label, target_threshold=o.bce_target_thresh,
                              weight=_class_weight(o), sum_classes=o.bce_sum, pos_weight=o.pos_weight)


def _build_asl(o: SimpleNamespace) -> nn.Module:
    if o.multi_label:
        return AsymmetricLossMultiLabel(gamma_neg=o.asl_gamma_neg, gamma_pos=o.asl_gamma_pos, clip=o.asl_clip,
                                        smoothing=o.smoothing, reduction=o.asl_reduction, weight=_class_weight(o),
                                        pos_weight=o.pos_weight)
    if o.soft_targets:
        raise ValueError('Single-label ASL needs class-index targets; it does not work with mixup / cutmix.')
    if o.asl_reduction != 'batchmean':
        raise ValueError("Single-label ASL supports only asl_reduction='batchmean'.")
    return AsymmetricLossSingleLabel(gamma_pos=o.asl_gamma_pos, gamma_neg=o.asl_gamma_neg, eps=o.smoothing)


def _build_poly(o: SimpleNamespace) -> nn.Module:
    if o.multi_label:
        return PolyBinaryCrossEntropy(epsilon=o.poly_epsilon, gamma=o.poly_gamma, alpha=o.poly_alpha,
                                      smoothing=o.smoothing)
    return PolyCrossEntropy(epsilon=o.poly_epsilon, smoothing=o.smoothing)


def _build_jsd(o: SimpleNamespace) -> nn.Module:
    if o.jsd_splits < 2:
        raise ValueError('The jsd loss needs jsd_splits > 1 (clean + augmented splits, --aug-splits).')
    return JsdCrossEntropy(num_splits=o.jsd_splits, smoothing=o.smoothing)


def _binary_targets_only(build: Callable[[SimpleNamespace], nn.Module], name: str
                         ) -> Callable[[SimpleNamespace], nn.Module]:
    def checked(o: SimpleNamespace) -> nn.Module:
        if o.soft_targets or o.smoothing:
            raise ValueError(f'Loss type {name!r} needs binary targets: no mixup / cutmix or smoothing.')
        return build(o)
    return checked


def _build_db(o: SimpleNamespace) -> nn.Module:
    if o.class_counts is None or o.num_samples is None:
        raise ValueError('The db loss needs class_counts and num_samples (see zoo.loss.load_class_stats).')
    return DistributionBalancedLoss(o.class_counts, o.num_samples, neg_scale=o.db_neg_scale,
                                    init_bias=o.db_init_bias, focal_gamma=o.db_focal_gamma, smoothing=o.smoothing)


# loss type -> (targets it takes: 'single', 'multi' or 'both', builder); the order is LOSS_TYPES'
_LOSSES: Dict[str, Tuple[str, Callable[[SimpleNamespace], nn.Module]]] = {
    'ce': ('single', _build_ce),
    'bce': ('both', _build_bce),
    'asl': ('both', _build_asl),
    'poly': ('both', _build_poly),
    'jsd': ('single', _build_jsd),
    'twoway': ('multi', _binary_targets_only(lambda o: TwoWayLoss(tp=o.twoway_tp, tn=o.twoway_tn), 'twoway')),
    'zlpr': ('multi', _binary_targets_only(lambda o: ZlprLoss(), 'zlpr')),
    'db': ('multi', _build_db),
}
LOSS_TYPES = tuple(_LOSSES)
MULTI_LABEL_LOSS_TYPES = tuple(t for t, (labels, _) in _LOSSES.items() if labels != 'single')

_WEIGHTED = ('bce and multi-label asl', lambda t, multi: t == 'bce' or (t == 'asl' and multi))
# option -> (who reads it, in words; predicate on (loss type, multi_label)); setting it for anyone else is an error
_OPTION_OWNERS: Dict[str, Tuple[str, Callable[[str, bool], bool]]] = {
    'class_weight': _WEIGHTED,
    'pos_weight': _WEIGHTED,
    'bce_target_thresh': ('bce', lambda t, multi: t == 'bce'),
    'bce_sum': ('bce', lambda t, multi: t == 'bce'),
    'poly_gamma': ('multi-label (sigmoid) poly', lambda t, multi: t == 'poly' and multi),
    'poly_alpha': ('multi-label (sigmoid) poly', lambda t, multi: t == 'poly' and multi),
    'class_counts': ('db', lambda t, multi: t == 'db'),
    'num_samples': ('db', lambda t, multi: t == 'db'),
}


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
        smoothing: Label smoothing; taken as 0 with ``soft_targets`` (mixup / cutmix already smoothed them).
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
        ValueError: Unknown type, targets the type does not take, or an option the chosen type does not read
            (the message names it).
    """
    loss_type = loss_type or ('bce' if multi_label else 'ce')
    if loss_type not in _LOSSES:
        raise ValueError(f"Unknown loss type {loss_type!r}; expected one of {', '.join(LOSS_TYPES)}.")
    labels, build = _LOSSES[loss_type]
    if labels == 'single' and multi_label:
        raise ValueError(f"Loss type {loss_type!r} takes no multi-label targets; use one of "
                         f"{', '.join(MULTI_LABEL_LOSS_TYPES)}.")
    if labels == 'multi' and not multi_label:
        raise ValueError(f'Loss type {loss_type!r} needs multi-label targets (multi_label=True).')

    options = {name: value for name, value in locals().items() if name in _SIGNATURE_DEFAULTS}
    misplaced = [name for name, (owner, reads) in _OPTION_OWNERS.items()
                 if _is_set(options[name], _SIGNATURE_DEFAULTS[name]) and not reads(loss_type, multi_label)]
    if misplaced:
        owners = {_OPTION_OWNERS[name][0] for name in misplaced}
        raise ValueError(f"Option(s) {', '.join(misplaced)} apply only to the {' / '.join(sorted(owners))} loss, "
                         f'not to {loss_type!r}{" (multi-label)" if multi_label else ""}.')
    for name in ('class_weight', 'pos_weight'):
        value = options[name]
        if value is not None and not isinstance(value, (float, int)):
            options[name] = torch.as_tensor(value, dtype=torch.float32)
    if soft_targets:  # mixup / cutmix already smoothed the targets
        options['smoothing'] = 0.
    return build(SimpleNamespace(**options))


def _is_set(value: object, default: object) -> bool:
    """An option counts as given when it differs from its default (None / False / 0 mean 'off')."""
    if default is None:
        return value is not None
    return bool(value != default)


_SIGNATURE_DEFAULTS = {name: p.default for name, p in inspect.signature(create_classification_loss).parameters.items()
                       if name != 'loss_type'}
