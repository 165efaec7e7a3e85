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


def nchw_to(x: torch.Tensor, fmt: Format) -> torch.Tensor:
    if fmt == Format.NHWC:
        x = x.permute(0, 2, 3, 1)
    elif fmt == Format.NLC:
        x = x.flatten(2).transpose(1, 2)
    elif fmt == Format.NCL:
        x = x.flatten(2)
    return x


def nhwc_to(x: torch.Tensor, fmt: Format) -> torch.Tensor:
    if fmt == Format.NCHW:
        x = x.permute(0, 3, 1, 2)
    elif fmt == Format.NLC:
        x = x.flatten(1, 2)
    elif fmt == Format.NCL:
        x = x.flatten(1, 2).transpose(1, 2)
    return x
