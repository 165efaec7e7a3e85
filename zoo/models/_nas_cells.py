"""Building blocks and level bookkeeping shared by the TF-ported NAS networks (NASNet-A, PNASNet-5).

Both stack cells that each read the outputs of two earlier layers; the blocks below are their common operations
(ReLU -> separable conv -> BN pairs, ReLU -> 1x1 conv -> BN projections, TF 'SAME' max-pools), and `CellPairLevels`
runs such a stack level by level with the state (older input, newest output).
"""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.pool2d_same import MaxPool2dSame
from zoo.models._steps import LevelStepsMixin

__all__ = ['ActConvBn', 'BranchSeparables', 'CellPairLevels', 'SeparableConv2d', 'tf_max_pool']

BN_EPS = 1e-3  # the TF models' BatchNorm epsilon


def tf_max_pool(stride: int, pad_type: str) -> nn.Module:
    """3x3 max-pool; TF 'SAME' at stride 2 pads per input (with -inf), otherwise a fixed symmetric pad of 1."""
    if pad_type == 'same' and stride > 1:
        return MaxPool2dSame(3, stride=stride)
    return nn.MaxPool2d(3, stride=stride, padding=1)


class SeparableConv2d(nn.Module):
    """Depthwise kxk conv -> pointwise 1x1 conv."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, stride: int, padding: str = ''):
        super().__init__()
        self.depthwise_conv2d = create_conv2d(in_chs, in_chs, kernel_size, stride=stride, padding=padding,
                                              depthwise=True)
        self.pointwise_conv2d = create_conv2d(in_chs, out_chs, 1, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise_conv2d(self.depthwise_conv2d(x))


class BranchSeparables(nn.Module):
    """Two ReLU -> separable conv -> BN units, the first strided (stem cells widen in the first unit)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, stem_cell: bool = False,
                 padding: str = ''):
        super().__init__()
        mid_chs = out_chs if stem_cell else in_chs
        self.act_1 = nn.ReLU()
        self.separable_1 = SeparableConv2d(in_chs, mid_chs, kernel_size, stride=stride, padding=padding)
        self.bn_sep_1 = nn.BatchNorm2d(mid_chs, eps=BN_EPS)
        self.act_2 = nn.ReLU()
        self.separable_2 = SeparableConv2d(mid_chs, out_chs, kernel_size, stride=1, padding=padding)
        self.bn_sep_2 = nn.BatchNorm2d(out_chs, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn_sep_1(self.separable_1(self.act_1(x)))
        return self.bn_sep_2(self.separable_2(self.act_2(x)))


class ActConvBn(nn.Module):
    """ReLU -> conv -> BN (the cells' input projection)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, padding: str = ''):
        super().__init__()
        self.act = nn.ReLU()
        self.conv = create_conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=padding)
        self.bn = nn.BatchNorm2d(out_chs, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(self.act(x)))


class CellPairLevels(LevelStepsMixin):
    """Levels of a NAS cell stack for `ZooModel` (see `zoo.models._steps`).

    The model declares `trunk.levels` (the layer names of each level), `single_input` (layers called with one tensor:
    the stem conv and the first stem cell), keeps `_kept_levels`, a final `act`, and a `global_pool` / `head_drop` /
    `last_linear` head. Layers named `reduction*` keep the older input for the next cell (NASNet's wiring). Levels
    other than the first and last are read through the ReLU the next cell starts with.
    """
    single_input: Tuple[str, ...] = ()

    def _num_levels(self) -> int:
        return self._kept_levels

    def _start(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return x, x

    def _step(self, index: int, state: Tuple[torch.Tensor, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        prev, x = state
        for name in self.trunk.levels[index]:
            layer = getattr(self, name)
            if name in self.single_input:
                prev, x = x, layer(x)
            elif name.startswith('reduction'):
                x = layer(x, prev)
            else:
                prev, x = x, layer(x, prev)
        return prev, x

    def _level_output(self, index: int, state: Tuple[torch.Tensor, torch.Tensor], norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        x = state[1]
        if index == len(self.feature_info) - 1:
            x = self.act(x)
        elif index > 0:
            x = F.relu(x)  # the tap is the next cell's input ReLU
        return self._format_level(x, index, False, output_fmt, input_hw)

    def _finish(self, state: Tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return self._level_output(self._kept_levels - 1, state, False, 'NCHW', (0, 0))

    def _truncate(self, num_levels: int) -> None:
        # cells take two inputs, so the dropped ones cannot become Identity: they are removed
        for level in self.trunk.levels[num_levels:self._kept_levels]:
            for name in level:
                delattr(self, name)
        self._kept_levels = num_levels
        if num_levels < len(self.feature_info):
            self.act = nn.Identity()

    def _prune_tail(self, max_index: int, truncated: bool, prune_norm: bool, prune_head: bool) -> None:
        if prune_head or truncated:
            self._replace_head(self.num_features)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._finish(self._run_steps(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.last_linear(x)
