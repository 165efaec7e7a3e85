"""Tensor layout names and conversions between channels-first and channels-last token maps."""
from enum import Enum
from typing import Tuple, Union

import torch


class Format(str, Enum):
    NCHW = 'NCHW'
    NHWC = 'NHWC'
    NCL = 'NCL'
    NLC = 'NLC'


FormatT = Union[str, Format]


def get_spatial_dim(fmt: FormatT) -> Tuple[int, ...]:
    fmt = Format(fmt)
    if fmt is Format.NLC:
        return (1,)
    if fmt is Format.NCL:
        return (2,)
    if fmt is Format.NHWC:
        return (1, 2)
    return (2, 3)


def get_channel_dim(fmt: FormatT) -> int:
    fmt = Format(fmt)
    return -1 if fmt in (Format.NHWC, Format.NLC) else 1


# a 4-D map in one layout, rearranged into another; token layouts flatten H and W into one axis L
_FROM_NCHW = {
    Format.NCHW: lambda x: x,
    Format.NHWC: lambda x: x.permute(0, 2, 3, 1),
    Format.NCL: lambda x: x.flatten(2),
    Format.NLC: lambda x: x.flatten(2).transpose(1, 2),
}
_FROM_NHWC = {
    Format.NHWC: lambda x: x,
    Format.NCHW: lambda x: x.permute(0, 3, 1, 2),
    Format.NLC: lambda x: x.flatten(1, 2),
    Format.NCL: lambda x: x.flatten(1, 2).transpose(1, 2),
}


def nchw_to(x: torch.Tensor, fmt: FormatT) -> torch.Tensor:
    """Rearrange an (N, C, H, W) map into `fmt` (a view where possible, no copy)."""
    return _FROM_NCHW[Format(fmt)](x)


def nhwc_to(x: torch.Tensor, fmt: FormatT) -> torch.Tensor:
    """Rearrange an (N, H, W, C) map into `fmt` (a view where possible, no copy)."""
    return _FROM_NHWC[Format(fmt)](x)
