"""Selective Kernel convolution: parallel conv paths of different receptive fields, mixed by a learned softmax.

Paper: "Selective Kernel Networks", Li et al., 2019 (arXiv:1903.06586).

Two deviations, both matching timm's published SKNet weights:
- Larger kernels are replaced by 3x3 convs with dilation (a 5x5 path becomes 3x3 with dilation 2), as the paper
  itself suggests for efficiency (section 3.1).
- With `split_input`, the input channels are divided between the paths (a grouping by path) while each path still
  produces all output channels; this keeps the parameter count near that of a single conv.
"""
from typing import Callable, Optional, Sequence, Type, Union

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.helpers import make_divisible
from zoo.layers.squeeze_excite import _pointwise

__all__ = ['SelectiveKernel', 'SelectiveKernelAttn']


class SelectiveKernelAttn(nn.Module):
    """Fuse (sum) the paths, squeeze spatially, and emit per-path channel weights that sum to one across paths.

    Args:
        channels: channels of each path.
        num_paths: number of paths.
        attn_channels: width of the squeezed descriptor (d in the paper).
        act_layer: activation class.
        norm_layer: norm class for the descriptor.
    """

    def __init__(
            self,
            channels: int,
            num_paths: int = 2,
            attn_channels: int = 32,
            act_layer: Type[nn.Module] = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
    ):
        super().__init__()
        self.num_paths = num_paths
        # the paper's fully connected layers, as 1x1 convs on the pooled map; the norm between them supplies the
        # shift, so neither has a bias
        self.fc_reduce = _pointwise(channels, attn_channels, bias=False)
        self.bn = norm_layer(attn_channels)
        self.act = act_layer(inplace=True)
        self.fc_select = _pointwise(attn_channels, num_paths * channels, bias=False)  # one set of logits per path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, num_paths, C, H, W) -> weights (B, num_paths, C, 1, 1)."""
        if x.shape[1] != self.num_paths:
            raise ValueError(f'expected {self.num_paths} paths in dim 1, got shape {tuple(x.shape)}')
        s = x.sum(1).mean((2, 3), keepdim=True)
        s = self.fc_select(self.act(self.bn(self.fc_reduce(s))))
        s = s.view(s.shape[0], self.num_paths, -1, 1, 1)
        return torch.softmax(s, dim=1)


class SelectiveKernel(nn.Module):
    """Selective Kernel conv: conv-norm-act paths of different (dilated) kernels, combined by attention weights.

    Args:
        in_channels: input channels.
        out_channels: output channels (defaults to `in_channels`).
        kernel_size: kernel of each path (default one 3 and one 5).
        stride: stride of every path.
        dilation: base dilation of the module.
        groups: conv groups of every path.
        rd_ratio: attention width as a fraction of `out_channels`.
        rd_channels: explicit attention width (overrides `rd_ratio`).
        rd_divisor: round the attention width to a multiple of this.
        keep_3x3: realise kernels larger than 3 as dilated 3x3 convs.
        split_input: divide the input channels evenly between the paths.
        act_layer: activation class.
        norm_layer: norm class.
        drop_layer: constructor of a layer applied after each path's norm (e.g. DropBlock).
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: Optional[int] = None,
            kernel_size: Optional[Union[int, Sequence[int]]] = None,
            stride: int = 1,
            dilation: int = 1,
            groups: int = 1,
            rd_ratio: float = 1. / 16,
            rd_channels: Optional[int] = None,
            rd_divisor: int = 8,
            keep_3x3: bool = True,
            split_input: bool = True,
            act_layer: LayerType = nn.ReLU,
            norm_layer: Type[nn.Module] = nn.BatchNorm2d,
            drop_layer: Optional[Callable[[], nn.Module]] = None,
    ):
        super().__init__()
        out_channels = out_channels or in_channels
        kernel_size = kernel_size or (3, 5)
        kernels = list(kernel_size) if isinstance(kernel_size, (list, tuple)) else [kernel_size] * 2
        if any(k < 3 or k % 2 == 0 for k in kernels):
            raise ValueError(f'SelectiveKernel kernels must be odd and >= 3, got {kernels}.')
        if keep_3x3:
            # same receptive field as a k x k kernel: 3x3 with dilation (k - 1) / 2
            dilations = [dilation * (k - 1) // 2 for k in kernels]
            kernels = [3] * len(kernels)
        else:
            dilations = [dilation] * len(kernels)
        self.num_paths = len(kernels)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.split_input = split_input
        path_in = in_channels
        if split_input:
            if in_channels % self.num_paths:
                raise ValueError(f'split_input needs in_channels ({in_channels}) divisible by {self.num_paths}.')
            path_in = in_channels // self.num_paths
        groups = min(out_channels, groups)
        self.paths = nn.ModuleList([
            ConvNormAct(path_in, out_channels, kernel_size=k, stride=stride, dilation=d, groups=groups,
                        norm_layer=norm_layer, act_layer=act_layer, drop_layer=drop_layer)
            for k, d in zip(kernels, dilations)])
        attn_channels = rd_channels or make_divisible(out_channels * rd_ratio, divisor=rd_divisor)
        self.attn = SelectiveKernelAttn(out_channels, self.num_paths, attn_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.split_input:
            inputs = torch.split(x, self.in_channels // self.num_paths, 1)
        else:
            inputs = [x] * self.num_paths
        x = torch.stack([path(inp) for path, inp in zip(self.paths, inputs)], dim=1)
        return torch.sum(x * self.attn(x), dim=1)
