"""Per-class loss weights from label frequencies, or given explicitly (a number, a list, or a file).

Methods: 'neg_pos' gives BCE / ASL ``pos_weight = (negatives / positives) ** power`` per class; 'inv_freq' a
``class_weight`` proportional to ``(num_samples / positives) ** power``; 'effective_num' the class-balanced weight
``(1 - beta) / (1 - beta ** n)`` of Cui et al., "Class-Balanced Loss Based on Effective Number of Samples"
(CVPR 2019). Class weights are normalised to mean 1. Class stats files are JSON with ``pos_counts`` and
``num_samples``.
"""
import json
import re
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch

__all__ = [
    'CLASS_WEIGHT_METHODS', 'CLASS_WEIGHT_METHOD_KINDS', 'compute_class_weights', 'load_class_stats',
    'load_class_weights', 'resolve_class_weights',
]

WeightSpec = Union[str, float, Sequence[float], torch.Tensor, None]
# (counts clamped to >= 1, num_samples, power, beta) -> raw per-class weights
_Rule = Callable[[torch.Tensor, int, float, float], torch.Tensor]


def _neg_pos(counts: torch.Tensor, total: int, power: float, beta: float) -> torch.Tensor:
    # balances each class's positive term against its negative term: weight = (#neg / #pos) ** power
    return torch.pow((total - counts).clamp(min=0.) / counts, power)


def _inv_freq(counts: torch.Tensor, total: int, power: float, beta: float) -> torch.Tensor:
    return torch.pow(total / counts, power)


def _effective_num(counts: torch.Tensor, total: int, power: float, beta: float) -> torch.Tensor:
    if not 0. < beta < 1.:
        raise ValueError(f'beta must be in (0, 1), got {beta}.')
    # Cui et al.: n samples are worth E_n = (1 - beta^n) / (1 - beta) new ones; a class is weighted by 1 / E_n
    return (1. - beta) / (1. - torch.pow(beta, counts))


# method -> (the loss argument its weights feed, rule, whether the weights are rescaled to mean 1)
_METHODS: Dict[str, Tuple[str, _Rule, bool]] = {
    'neg_pos': ('pos_weight', _neg_pos, False),
    'inv_freq': ('class_weight', _inv_freq, True),
    'effective_num': ('class_weight', _effective_num, True),
}
CLASS_WEIGHT_METHOD_KINDS = {method: kind for method, (kind, _, _) in _METHODS.items()}
CLASS_WEIGHT_METHODS = tuple(_METHODS)


def _check_counts(counts: torch.Tensor, num_samples: int, source: str) -> None:
    """Counts must be a non-empty vector of values in [0, num_samples]."""
    if counts.ndim != 1 or counts.numel() == 0:
        raise ValueError(f'{source}: pos_counts must be a non-empty 1-d sequence, got shape {tuple(counts.shape)}.')
    if num_samples <= 0:
        raise ValueError(f'{source}: num_samples must be positive, got {num_samples}.')
    if bool(((counts < 0) | (counts > num_samples)).any()):
        raise ValueError(f'{source}: every count must lie in [0, num_samples={num_samples}].')


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
    if method not in _METHODS:
        raise ValueError(f"Unknown class weight method {method!r}; expected one of {', '.join(CLASS_WEIGHT_METHODS)}.")
    counts = torch.as_tensor(pos_counts, dtype=torch.float64)
    _check_counts(counts, num_samples, 'compute_class_weights')
    kind, rule, to_mean_one = _METHODS[method]
    weights = rule(counts.clamp(min=1.), num_samples, power, beta)
    if to_mean_one:
        weights = weights * (weights.numel() / weights.sum())
    if max_weight is not None:
        weights = weights.clamp(max=max_weight)
    return kind, weights.float()


def load_class_stats(path: Optional[str]) -> Optional[Tuple[torch.Tensor, int]]:
    """``(float32 pos_counts, num_samples)`` from a class stats JSON file; None for an empty path."""
    if not path:
        return None
    stats = json.loads(Path(path).read_text())
    missing = [k for k in ('pos_counts', 'num_samples') if not isinstance(stats, dict) or k not in stats]
    if missing:
        raise ValueError(f'Class stats file {path} lacks {missing}; it needs pos_counts (one per class) and '
                         'num_samples.')
    counts, num_samples = torch.as_tensor(stats['pos_counts'], dtype=torch.float32), int(stats['num_samples'])
    _check_counts(counts, num_samples, f'Class stats file {path}')
    return counts, num_samples


def _read_weight_file(path: Path, key: str) -> Union[str, float, list]:
    """The raw weights a file holds: a JSON list / number / object entry `key`, or the text of any other file."""
    if path.suffix != '.json':
        return path.read_text()
    content = json.loads(path.read_text())
    if not isinstance(content, dict):
        return content
    if key not in content:
        raise ValueError(f"Weight file has no {key!r} entry (it has {sorted(content)}); weights computed for the "
                         'other loss argument (pos_weight vs class_weight) go to that option.')
    return content[key]


def load_class_weights(value: WeightSpec, key: str = 'class_weight') -> Optional[Union[float, torch.Tensor]]:
    """Parse weights given as a number, a list, a comma / whitespace separated string, or a file (JSON list, JSON
    object holding the list under ``key``, or text).

    Returns:
        A float for a single value (broadcast over classes), a 1-d float32 tensor, or None for None / ''.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if Path(text).is_file():
            value = _read_weight_file(Path(text), key)
        if isinstance(value, str):
            try:
                value = [float(tok) for tok in re.split(r'[,\s]+', value.strip()) if tok]
            except ValueError:
                raise ValueError(f'Loss weights {text!r} are neither numbers (comma / space separated) nor a file '
                                 f'that exists.') from None
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError('Loss weights must be numbers.')
    weights = torch.as_tensor(value, dtype=torch.float32)
    if weights.ndim > 1 or weights.numel() == 0:
        raise ValueError('Loss weights must be one value or a non-empty 1-d list.')
    if not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()):
        raise ValueError('Loss weights must be finite and non-negative.')
    return weights.item() if weights.numel() == 1 else weights


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
    method = value.strip() if isinstance(value, str) else None
    if method not in _METHODS:
        return load_class_weights(value, key=kind)
    method_kind = _METHODS[method][0]
    if method_kind != kind:
        same_kind = [m for m, (k, _, _) in _METHODS.items() if k == kind]
        raise ValueError(f'Method {method!r} computes {method_kind} values; {kind} methods are {same_kind}.')
    if class_stats is None:
        raise ValueError(f'Class weight method {method!r} needs class stats (pos_counts / num_samples).')
    return compute_class_weights(*class_stats, method=method, power=power, beta=beta, max_weight=max_weight)[1]
