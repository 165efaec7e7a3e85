"""Per-stage strides and dilations for a pyramid backbone limited to an output stride (dense-prediction trunks).

Past `output_stride`, a stage keeps its resolution and dilates instead of striding (atrous convolution, "DeepLab",
Chen et al., 2017, arXiv:1606.00915), so later kernels keep the receptive field they were trained with.
"""
from dataclasses import dataclass
from typing import List, Sequence

__all__ = ['StageStride', 'stage_strides']


@dataclass(frozen=True)
class StageStride:
    """How one stage resamples.

    Attributes:
        stride: stride of the stage's downsampling layer (1 once the output stride is reached).
        first_dilation: dilation of the downsampling layer, which still sees the previous stage's dilation.
        dilation: dilation of the stage's blocks.
        reduction: the network's total stride after this stage.
    """
    stride: int
    first_dilation: int
    dilation: int
    reduction: int


def stage_strides(strides: Sequence[int], stem_stride: int, output_stride: int = 32) -> List[StageStride]:
    """Resolve nominal per-stage `strides` after a stem of `stem_stride` against `output_stride`."""
    out = []
    net_stride, dilation = stem_stride, 1
    for stride in strides:
        if net_stride >= output_stride and stride > 1:
            dilation *= stride
            stride = 1
        net_stride *= stride
        # the first dilated stage's downsampling layer still runs at the undilated resolution
        first_dilation = 1 if dilation in (1, 2) else 2
        out.append(StageStride(stride, first_dilation, dilation, net_stride))
    return out
