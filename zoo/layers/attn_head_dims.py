"""Per-head widths of the spatial self-attention layers (bottleneck, halo, lambda attention).

Their queries / keys may be narrower or wider than the values: values take `dim_out / num_heads` channels per head
(they form the output), queries / keys `dim_head` channels, or by default `dim_out * qk_ratio / num_heads` rounded to
a multiple of 8 in total.
"""
from typing import Optional, Tuple

from zoo.layers.helpers import make_divisible

__all__ = ['attn_head_dims']


def attn_head_dims(layer: str, dim_out: int, num_heads: int, stride: int, dim_head: Optional[int] = None,
                   qk_ratio: float = 1.0) -> Tuple[int, int]:
    """(query / key channels per head, value channels per head), after checking the layer's arguments.

    Args:
        layer: the layer's name, for error messages.
        dim_out: output channels; must divide into `num_heads`.
        num_heads: attention heads.
        stride: the layer's stride; these layers downsample by at most 2.
        dim_head: explicit query / key channels per head.
        qk_ratio: query / key width relative to `dim_out` when `dim_head` is unset.
    """
    if dim_out % num_heads:
        raise ValueError(f'{layer}: dim_out={dim_out} is not divisible by num_heads={num_heads}.')
    if stride not in (1, 2):
        raise ValueError(f'{layer} supports stride 1 or 2, got {stride}.')
    return dim_head or make_divisible(dim_out * qk_ratio, divisor=8) // num_heads, dim_out // num_heads
