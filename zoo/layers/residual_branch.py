"""The parts of a pre-norm residual branch, `x + drop_path(layer_scale(layer(norm(x))))`.

Most transformer blocks are two such branches. Their checkpoints name the parts per block (`norm1`, `attn`, `ls1`,
`drop_path1`, ...), so the parts are returned as a tuple the block assigns to its own attribute names, in
registration order.
"""
from typing import Callable, Optional, Tuple

import torch
import torch.nn as nn

from zoo.layers.drop import DropPath
from zoo.layers.layer_scale import LayerScale

__all__ = ['Residual', 'prenorm_branch']


def prenorm_branch(dim: int, layer: nn.Module, norm_layer: Callable[[int], nn.Module],
                   init_values: Optional[float] = None,
                   drop_path: float = 0.) -> Tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    """(norm, layer, scale, drop) of one residual branch over `dim`-wide channels-last tokens.

    Args:
        dim: token width.
        layer: the branch's transform (attention, MLP, ...).
        norm_layer: norm factory applied before `layer`.
        init_values: LayerScale init (CaiT); None or 0 gives an identity scale.
        drop_path: stochastic depth rate; 0 gives an identity.
    """
    scale = LayerScale(dim, init_values) if init_values else nn.Identity()
    drop = DropPath(drop_path) if drop_path > 0. else nn.Identity()
    return norm_layer(dim), layer, scale, drop


class Residual(nn.Module):
    """`x + drop_path(main(x))`; with `shortcut=False` (a block that changes the shape) just `main(x)`.

    The wrapped branch sits under the key `main` (the layout of the MIT EfficientViT descendants: CPUBone,
    LowFormer).
    """

    def __init__(self, main: nn.Module, shortcut: bool = True, drop_path: float = 0.):
        super().__init__()
        self.main = main
        # stochastic depth drops a residual branch; a block without a shortcut has nothing to fall back on
        rate = drop_path if shortcut else 0.
        self.drop_path = nn.Identity() if rate <= 0. else DropPath(rate)
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.main(x)
        if not self.shortcut:
            return branch
        # branch first: the sum takes the branch's memory layout, so a channels-last branch (e.g. attention output
        # folded back to a map) keeps the following convs in channels-last, which oneDNN runs faster on CPU
        return self.drop_path(branch) + x
