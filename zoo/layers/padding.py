"""Padding arithmetic, including TensorFlow's dynamic 'SAME' padding."""
import math
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from zoo.layers.config import is_exportable, is_scriptable


def get_padding(kernel_size: int, stride: int = 1, dilation: int = 1, **_) -> int:
    """Symmetric padding that keeps the output at ceil(input / stride) for odd kernels."""
    return ((stride - 1) + dilation * (kernel_size - 1)) // 2


def get_same_padding(x: int, kernel_size: int, stride: int, dilation: int) -> int:
    """Total padding TF 'SAME' applies along one dimension of size `x`."""
    return max((math.ceil(x / stride) - 1) * stride + (kernel_size - 1) * dilation + 1 - x, 0)


def is_static_pad(kernel_size: int, stride: int = 1, dilation: int = 1, **_) -> bool:
    """'SAME' padding is input-size independent (so a plain symmetric pad works) only for stride 1."""
    return stride == 1 and (dilation * (kernel_size - 1)) % 2 == 0


def pad_same(
        x: torch.Tensor,
        kernel_size: Sequence[int],
        stride: Sequence[int],
        dilation: Sequence[int] = (1, 1),
        value: float = 0.,
) -> torch.Tensor:
    """Pad an NCHW tensor the way TF 'SAME' does: the extra pixel of an odd total goes right / bottom."""
    pads = []  # F.pad lists the last dim first: (left, right, top, bottom)
    for size, k, s, d in reversed(list(zip(x.shape[-2:], kernel_size, stride, dilation))):
        total = get_same_padding(size, k, s, d)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value) if any(pads) else x


def pad_same_traceable(
        x: torch.Tensor,
        kernel_size: Tuple[int, int],
        stride: Tuple[int, int],
        dilation: Tuple[int, int] = (1, 1),
        value: float = 0.,
) -> torch.Tensor:
    """`pad_same` as integer shape arithmetic with no branch on the input size, for export and TorchScript.

    Layers built under `zoo.layers.config.set_layer_config(exportable=True)` (or `scriptable=True`) use it.

    `pad_same` skips a zero pad (saving a copy in eager mode), a Python branch on the input size that `torch.export`
    turns into a guard, so a graph with a dynamic height / width fails to export. Here the total is
    `(ceil(n / s) - 1) * s + reach + 1 - n`, which equals `reach - (n - 1) % s`: one modulo, no ceil, no max, and
    F.pad always runs (a zero pad is a copy), so one graph serves every size.
    """
    pads: List[int] = []
    for dim in (1, 0):  # F.pad lists width first
        size = x.shape[dim - 2]
        reach = (kernel_size[dim] - 1) * dilation[dim]
        if reach >= stride[dim] - 1:
            total = reach - (size - 1) % stride[dim]
        else:  # a kernel with gaps between windows (k < s); the total depends on the size, may be zero
            total = get_same_padding(size, kernel_size[dim], stride[dim], dilation[dim])
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def use_traceable_pad() -> bool:
    """Whether a 'SAME' padding layer built now pads with `pad_same_traceable` (set while exportable / scriptable)."""
    return is_exportable() or is_scriptable()


def get_padding_value(padding: Union[str, int, Tuple], kernel_size: int, **kwargs) -> Tuple[Union[int, Tuple], bool]:
    """Resolve a padding spec to `(padding for nn.Conv2d, whether TF 'SAME' must be computed per input)`.

    Specs: a number or tuple (used as is), '' (symmetric, `get_padding`), 'valid' (none) or 'same'. 'same' is only
    input-size dependent when it cannot be expressed as a fixed symmetric pad (stride > 1 or an even receptive
    field); then the conv pads dynamically and gets no static padding.
    """
    if not isinstance(padding, str):
        return padding, False
    spec = padding.lower()
    if spec == 'valid':
        return 0, False
    if spec == 'same' and not is_static_pad(kernel_size, **kwargs):
        return 0, True
    # '' and a static 'same' are the same symmetric padding
    return get_padding(kernel_size, **kwargs), False


def pad_amounts(size: List[int], kernel_size: int, stride: int, dilation: int = 1) -> List[int]:
    """F.pad argument for TF 'SAME' on an (H, W) input of `size`."""
    pad_h = get_same_padding(size[0], kernel_size, stride, dilation)
    pad_w = get_same_padding(size[1], kernel_size, stride, dilation)
    return [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2]
