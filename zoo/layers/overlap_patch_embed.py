"""Overlapping patch embedding: a strided conv whose kernel is larger than its stride, then a LayerNorm.

"PVT v2: Improved Baselines with Pyramid Vision Transformer", Wang et al., 2021 (arXiv:2106.13797), section 3.2:
overlapping patches keep the local continuity that non-overlapping ViT patches cut, and zero padding gives the
tokens a sense of position. The same stem is used by SegFormer-style encoders.
"""
from typing import Optional, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers.helpers import to_2tuple

__all__ = ['OverlapPatchEmbed']


class OverlapPatchEmbed(nn.Module):
    """(B, C, H, W) -> (B, H / stride, W / stride, embed_dim) normalised channels-last tokens.

    Args:
        patch_size: conv kernel (must exceed the stride, or the patches would not overlap).
        stride: conv stride.
        in_chans: input channels.
        embed_dim: output width.
        norm_layer: norm over the output channels (None for none).
    """

    def __init__(self, patch_size: Union[int, Tuple[int, int]] = 7, stride: int = 4, in_chans: int = 3,
                 embed_dim: int = 768, norm_layer: Optional[Type[nn.Module]] = nn.LayerNorm):
        super().__init__()
        patch_size = to_2tuple(patch_size)
        if max(patch_size) <= stride:
            raise ValueError(f'OverlapPatchEmbed needs patch_size {patch_size} larger than stride {stride}.')
        self.patch_size = patch_size
        self.stride = stride
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride=stride,
                              padding=(patch_size[0] // 2, patch_size[1] // 2))
        self.norm = norm_layer(embed_dim) if norm_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x).permute(0, 2, 3, 1))
