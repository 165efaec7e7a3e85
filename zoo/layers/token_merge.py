"""Fold each k x k block of a token grid into one token (a pixel-unshuffle over patch tokens).

The vision-language projectors of Qwen2-VL / Qwen3-VL ("Qwen2-VL: Enhancing Vision-Language Model's Perception of
the World at Any Resolution", Wang et al., 2024, arXiv:2409.12191) and of the DeepSeek VLMs shorten the image token
sequence k^2 times before an MLP maps the concatenated tokens to the language model's width. The checkpoints differ
in the order the k x k x C values of a block are concatenated, so both orders are available.
"""
import torch
import torch.nn.functional as F

__all__ = ['fold_token_grid']


def fold_token_grid(x: torch.Tensor, k: int, channel_major: bool = False, pad: bool = False) -> torch.Tensor:
    """(B, H, W, C) tokens -> (B, ceil(H / k) * ceil(W / k), k * k * C), blocks in row-major order.

    Args:
        x: channels-last token grid.
        k: side of the folded blocks.
        channel_major: concatenate a block's values as (C, row, col) (DeepSeek); else (row, col, C) (Qwen).
        pad: zero-pad the bottom / right of the grid to a multiple of `k`; without it the grid must divide evenly.
    """
    b, h, w, c = x.shape
    if pad:
        x = F.pad(x, (0, 0, 0, -w % k, 0, -h % k))
        h, w = x.shape[1], x.shape[2]
    elif not torch.jit.is_scripting() and not torch.compiler.is_compiling() and (h % k or w % k):
        raise ValueError(f'A token grid of {h} x {w} does not fold into {k} x {k} blocks; use an input whose patch '
                         f'grid is a multiple of {k} on both sides.')
    x = x.reshape(b, h // k, k, w // k, k, c)
    # (B, rows, k, cols, k, C) -> (B, rows, cols, <block values>)
    x = x.permute(0, 1, 3, 5, 2, 4) if channel_major else x.permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // k) * (w // k), k * k * c)
