"""Feature levels computed step by step, for models whose levels are not a plain chain of modules.

`ZooModel` runs a level as its declared modules, each called with one tensor. Some architectures carry more than a
tensor between levels (a token grid size, a pixel-level stream beside the patch tokens), add parameters between
modules (a position embedding before a stage), or spread one level over several containers (patch embedding,
blocks and position encoding in separate lists). They mix in `LevelStepsMixin` and describe a level as code:

- `_start(x)`: the state before level 0 (what the stem produces),
- `_step(i, state)`: run level i,
- `_level_output(i, state, norm, output_fmt, input_hw)`: the feature map of level i from its state,
- `_finish(state)`: what `forward_features` returns after the last level (final norm, class tokens, ...),
- `_truncate(num_levels)`: keep only the first `num_levels` levels, and `_prune_tail(max_index, truncated,
  prune_norm, prune_head)`: drop what the kept levels no longer need (final norm, head).

`forward_intermediates` and `prune_intermediate_layers` then behave as the shared ones do.
"""
from typing import Any, List, Tuple, Union

import torch

from zoo.models._base import IndicesT
from zoo.models._features import feature_take_indices

__all__ = ['LevelStepsMixin']


class LevelStepsMixin:
    """Intermediates and pruning for models that define their levels with `_start` / `_step` (see module doc)."""

    def _start(self, x: torch.Tensor) -> Any:
        raise NotImplementedError

    def _step(self, index: int, state: Any) -> Any:
        raise NotImplementedError

    def _level_output(self, index: int, state: Any, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        raise NotImplementedError

    def _finish(self, state: Any) -> Any:
        raise NotImplementedError

    def _num_levels(self) -> int:
        """Levels currently present (fewer than `feature_info` lists once pruned)."""
        raise NotImplementedError

    def _truncate(self, num_levels: int) -> None:
        raise NotImplementedError

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        raise NotImplementedError

    def _run_steps(self, x: torch.Tensor) -> Any:
        state = self._start(x)
        for i in range(self._num_levels()):
            state = self._step(i, state)
        return state

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[Any, List[torch.Tensor]]]:
        """The outputs of the levels in `indices`, and the final features unless only intermediates are asked.

        Args as for `ZooModel.forward_intermediates`.
        """
        self._check_output_fmt(output_fmt)
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        last = self._num_levels() - 1
        if max_index > last:
            raise ValueError(f'Level {max_index} was pruned; this model keeps levels 0..{last}.')
        stop = max_index if (stop_early or intermediates_only) else last
        input_hw = (x.shape[-2], x.shape[-1])
        intermediates = []
        state = self._start(x)
        for i in range(stop + 1):
            state = self._step(i, state)
            if i in take:
                intermediates.append(self._level_output(i, state, norm, output_fmt, input_hw))
        if intermediates_only:
            return intermediates
        if stop == last:
            return self._finish(state), intermediates
        # stopped early: the final features are the (unnormalised) map of the last level run
        return self._level_output(stop, state, False, 'NCHW', input_hw), intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: IndicesT = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """Remove the levels after the last one in `indices` and what they fed (final norm, head)."""
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        truncated = max_index < self._num_levels() - 1
        if truncated:
            self._truncate(max_index + 1)
            self.num_features = self.head_hidden_size = self.feature_info[max_index]['num_chs']
        self._prune_tail(max_index, truncated, prune_norm, prune_head)
        if prune_head or truncated:
            self.num_classes = 0
        return take
