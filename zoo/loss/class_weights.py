"""Per-class loss weights from label frequencies, or given explicitly (a number, a list, or a file).

Methods: 'neg_pos' gives BCE / ASL ``pos_weight = (negatives / positives) ** power`` per class; 'inv_freq' a
``class_weight`` proportional to ``(num_samples / positives) ** power``; 'effective_num' the class-balanced weight
``(1 - beta) / (1 - beta ** n)`` of Cui et al., "Class-Balanced Loss Based on Effective Number of Samples"
(CVPR 2019). Class weights are normalised to mean 1. Class stats files are JSON with ``pos_counts`` and
``num_samples``.
"""
import json
import os
from typing import Optional, Sequence, Tuple, Union

import torch

__all__ = [
    'CLASS_WEIGHT_METHODS', 'CLASS_WEIGHT_METHOD_KINDS', 'compute_class_weights', 'load_class_stats',
    'load_class_weights', 'resolve_class_weights',
]

# method -> the loss argument its weights feed
CLASS_WEIGHT_METHOD_KINDS = {'neg_pos': 'pos_weight', 'inv_freq': 'class_weight', 'effective_num': 'class_weight'}
CLASS_WEIGHT_METHODS = tuple(CLASS_WEIGHT_METHOD_KINDS)

WeightSpec = Union[str, float, Sequence[float], torch.Tensor, None]


def compute_class_weights(
        pos_counts: Union[torch.Tensor, Sequence[float]],
        num_samples: int,
        method: str = 'neg_pos',
        power: float = 1.,
        beta: float = 0.999,
        max_weight: Optional[float] = None,
) -> Tuple[str, torch.Tensor]:
    """Weights from positive counts per class (classes without positives count as one).

    Args:
        pos_counts: Positive samples per class.
        num_samples: Samples the counts were taken over.
        method: 'neg_pos', 'inv_freq' or 'effective_num'.
        power: Exponent of 'neg_pos' / 'inv_freq' (0.5 for a softer re-weighting).
        beta: Hyperparameter of 'effective_num', in (0, 1).
        max_weight: Cap of the final weights.

    Returns:
        The loss argument the weights are for ('pos_weight' or 'class_weight') and the float32 weights.
    """
    counts = torch.as_tensor(pos_counts, dtype=torch.float64)
    if counts.ndim != 1 or not counts.numel():
        raise ValueError('pos_counts must be a non-empty 1-d sequence.')
    if num_samples <= 0 or (counts < 0).any() or (counts > num_samples).any():
        raise ValueError('pos_counts must lie in [0, num_samples] with num_samples > 0.')
    if method not in CLASS_WEIGHT_METHOD_KINDS:
        raise ValueError(f"Unknown class weight method {method!r}; expected one of {', '.join(CLASS_WEIGHT_METHODS)}.")
    counts = counts.clamp(min=1.)
    if method == 'neg_pos':
        weights = ((num_samples - counts).clamp(min=0.) / counts) ** power
    elif method == 'inv_freq':
        weights = (num_samples / counts) ** power
        weights = weights / weights.mean()
    else:
        if not 0. < beta < 1.:
            raise ValueError(f'beta must be in (0, 1), got {beta}.')
        weights = (1. - beta) / (1. - beta ** counts)
        weights = weights / weights.mean()
    if max_weight is not None:
        weights = weights.clamp(max=max_weight)
    return CLASS_WEIGHT_METHOD_KINDS[method], weights.to(torch.float32)


def load_class_stats(path: Optional[str]) -> Optional[Tuple[torch.Tensor, int]]:
    """``(float32 pos_counts, num_samples)`` from a class stats JSON file; None for an empty path."""
    if not path:
        return None
    with open(path) as f:
        stats = json.load(f)
    if not isinstance(stats, dict) or 'pos_counts' not in stats or 'num_samples' not in stats:
        raise ValueError(f"Class stats file {path} needs 'pos_counts' and 'num_samples' entries.")
    counts = torch.as_tensor(stats['pos_counts'], dtype=torch.float32)
    num_samples = int(stats['num_samples'])
    if counts.ndim != 1 or not counts.numel() or (counts < 0).any() or (counts > num_samples).any():
        raise ValueError(f'Class stats file {path} has counts outside [0, {num_samples}].')
    return counts, num_samples


def load_class_weights(value: WeightSpec, key: str = 'class_weight') -> Optional[Union[float, torch.Tensor]]:
    """Parse weights given as a number, a list, a comma / whitespace separated string, or a file (JSON list, JSON
    object holding the list under ``key``, or text).

    Returns:
        A float for a single value (broadcast over classes), a 1-d float32 tensor, or None for None / ''.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        if os.path.isfile(value):
            with open(value) as f:
                text = f.read()
            if value.endswith('.json'):
                value = json.loads(text)
                if isinstance(value, dict):
                    if key not in value:
                        raise ValueError(
                            f"Weight file has no {key!r} entry (it has {sorted(value)}); weights computed for the "
                            'other loss argument (pos_weight vs class_weight) go to that option.')
                    value = value[key]
            else:
                value = text
        if isinstance(value, str):
            value = [float(v) for v in value.replace(',', ' ').split()]
    if isinstance(value, bool):
        raise ValueError('Loss weights must be numbers.')
    weights = torch.as_tensor(value, dtype=torch.float32)
    if weights.ndim > 1 or not weights.numel():
        raise ValueError('Loss weights must be one value or a non-empty 1-d list.')
    if not torch.isfinite(weights).all() or (weights < 0).any():
        raise ValueError('Loss weights must be finite and non-negative.')
    return float(weights.reshape(-1)[0]) if weights.numel() == 1 else weights


def resolve_class_weights(
        value: WeightSpec,
        kind: str = 'class_weight',
        class_stats: Optional[Tuple[torch.Tensor, int]] = None,
        power: float = 1.,
        beta: float = 0.999,
        max_weight: Optional[float] = None,
) -> Optional[Union[float, torch.Tensor]]:
    """Weights named by a method (computed from ``class_stats``) or given explicitly (see :func:`load_class_weights`).

    Args:
        value: A method in ``CLASS_WEIGHT_METHODS`` or explicit weights.
        kind: The loss argument being resolved, 'pos_weight' or 'class_weight'.
        class_stats: ``(counts, num_samples)`` from :func:`load_class_stats`, needed for methods.
        power: See :func:`compute_class_weights`.
        beta: See :func:`compute_class_weights`.
        max_weight: See :func:`compute_class_weights`.
    """
    if isinstance(value, str) and value.strip() in CLASS_WEIGHT_METHOD_KINDS:
        method = value.strip()
        if CLASS_WEIGHT_METHOD_KINDS[method] != kind:
            valid = [m for m, k in CLASS_WEIGHT_METHOD_KINDS.items() if k == kind]
            raise ValueError(f'Method {method!r} computes {CLASS_WEIGHT_METHOD_KINDS[method]} values; '
                             f'{kind} methods are {valid}.')
        if class_stats is None:
            raise ValueError(f'Class weight method {method!r} needs class stats (pos_counts / num_samples).')
        return compute_class_weights(class_stats[0], class_stats[1], method, power, beta, max_weight)[1]
    return load_class_weights(value, key=kind)
