"""Multi-scale feature extraction (`features_only=True`) built on each model's `forward_intermediates`.

Every family describes its feature levels in `model.feature_info` (a list of dicts with `num_chs`, `reduction`,
`module`), and index i of that list is index i of `forward_intermediates(indices=...)`. `FeatureGetterNet` prunes
what the requested levels do not need (head, final norm, trailing stages) and returns the maps as a list.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

__all__ = ['FeatureInfo', 'FeatureGetterNet', 'feature_take_indices']

IndicesT = Union[int, Sequence[int], None]


def feature_take_indices(num_features: int, indices: IndicesT = None) -> Tuple[List[int], int]:
    """Normalise `indices` against `num_features` levels.

    None takes every level, an int n the last n levels, a sequence the listed levels (negative ones count from the
    end). Returns the sorted non-negative indices and the largest of them.
    """
    if indices is None:
        indices = num_features
    if isinstance(indices, int):
        if not 0 < indices <= num_features:
            raise ValueError(f'Cannot take the last {indices} of {num_features} feature levels.')
        take = list(range(num_features - indices, num_features))
    else:
        take = []
        for i in indices:
            j = num_features + i if i < 0 else i
            if not 0 <= j < num_features:
                raise ValueError(f'Feature index {i} is out of range for a model with {num_features} levels '
                                 f'(valid: {-num_features}..{num_features - 1}).')
            take.append(j)
        if len(set(take)) != len(take):
            raise ValueError(f'Feature indices {list(indices)} name the same level twice.')
        take = sorted(take)
    return take, max(take)


class FeatureInfo:
    """The selected feature levels of a model: channels, reduction (stride) and module name of each."""

    def __init__(self, feature_info: List[Dict[str, Any]], out_indices: Sequence[int]):
        for i, fi in enumerate(feature_info):
            if 'num_chs' not in fi or 'reduction' not in fi:
                raise ValueError(f'feature_info[{i}] needs num_chs and reduction, got {fi}.')
        self.info = [dict(fi) for fi in feature_info]
        self.out_indices = tuple(out_indices)

    def get(self, key: str, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        if idx is None:
            return [self.info[i][key] for i in self.out_indices]
        if isinstance(idx, (tuple, list)):
            return [self.info[self.out_indices[i]][key] for i in idx]
        return self.info[self.out_indices[idx]][key]

    def get_dicts(self, keys: Optional[Sequence[str]] = None, idx: Optional[int] = None) -> Any:
        sel = self.out_indices if idx is None else [self.out_indices[idx]]
        dicts = [self.info[i] if keys is None else {k: self.info[i][k] for k in keys} for i in sel]
        return dicts if idx is None else dicts[0]

    def channels(self, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        return self.get('num_chs', idx)

    def reduction(self, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        return self.get('reduction', idx)

    def module_name(self, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        return self.get('module', idx)

    def __getitem__(self, item: int) -> Dict[str, Any]:
        return self.info[self.out_indices[item]]

    def __len__(self) -> int:
        return len(self.out_indices)

    def __repr__(self) -> str:
        return f'FeatureInfo(channels={self.channels()}, reduction={self.reduction()})'


class FeatureGetterNet(nn.Module):
    """Wrap a model so `forward` returns the list of feature maps at `out_indices`.

    The wrapped model keeps its own parameter names under `model.`; levels past the last requested one, the final
    norm (unless `norm=True`) and the head are pruned so they cost nothing.
    """

    def __init__(
            self,
            model: nn.Module,
            out_indices: IndicesT = None,
            output_fmt: str = 'NCHW',
            norm: bool = False,
            prune: bool = True,
    ):
        super().__init__()
        if not hasattr(model, 'forward_intermediates'):
            raise RuntimeError(f'{type(model).__name__} has no forward_intermediates(); features_only needs it.')
        num_levels = len(model.feature_info)
        try:
            take, _ = feature_take_indices(num_levels, out_indices)
        except ValueError as e:
            raise ValueError(f'out_indices={out_indices!r} does not fit {type(model).__name__}: {e}') from None
        if prune and hasattr(model, 'prune_intermediate_layers'):
            model.prune_intermediate_layers(take, prune_norm=not norm, prune_head=True)
        self.model = model
        self.out_indices = take
        self.output_fmt = output_fmt
        self.norm = norm
        self.feature_info = FeatureInfo(model.feature_info, take)

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.model.set_grad_checkpointing(enable)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        return self.model.forward_intermediates(
            x, indices=self.out_indices, norm=self.norm, output_fmt=self.output_fmt, intermediates_only=True)
