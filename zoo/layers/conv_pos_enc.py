"""Conditional position encoding: a depthwise convolution over the token grid, added to the tokens.

"Conditional Positional Encodings for Vision Transformers" (CPVT), Chu et al., 2021 (arXiv:2102.10882): a position
encoding generated from the local neighbourhood of each token works at any input size and needs no resampling. CoaT
("Co-Scale Conv-Attentional Image Transformers", Xu et al., 2021, arXiv:2104.06399) calls it ConvPosEnc and keeps a
class token outside the grid; Twins (Chu et al., 2021, arXiv:2104.13840) calls it PosConv.
"""
from typing import Tuple

import torch
import torch.nn as nn

__all__ = ['ConvPosEnc']


class ConvPosEnc(nn.Module):
    """(B, prefix + H * W, C) tokens -> the same tokens plus a depthwise conv of their grid (prefix tokens unchanged).

    Args:
        dim: token width.
        kernel_size: conv kernel side.
        num_prefix_tokens: leading tokens (class tokens) that are not on the grid.
        sequential_proj: hold the conv as `proj.0` (an nn.Sequential), the layout of the published Twins weights;
            otherwise as `proj` (CoaT).
    """

    def __init__(self, dim: int, kernel_size: int = 3, num_prefix_tokens: int = 0, sequential_proj: bool = False):
        super().__init__()
        conv = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.proj = nn.Sequential(conv) if sequential_proj else conv
        self.num_prefix_tokens = num_prefix_tokens

    def forward(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        b, _, c = x.shape
        prefix, tokens = x[:, :self.num_prefix_tokens], x[:, self.num_prefix_tokens:]
        grid = tokens.transpose(1, 2).reshape(b, c, size[0], size[1])
        tokens = (self.proj(grid) + grid).flatten(2).transpose(1, 2)
        return torch.cat([prefix, tokens], dim=1) if self.num_prefix_tokens else tokens
