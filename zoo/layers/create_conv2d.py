"""One entry point for the conv variants model builders need (padding spec, depthwise)."""
import torch.nn as nn

from zoo.layers.conv2d_same import create_conv2d_pad


def create_conv2d(in_channels: int, out_channels: int, kernel_size: int, **kwargs) -> nn.Module:
    """Conv2d with '', 'same' or numeric padding; `depthwise=True` sets groups to the channel count."""
    depthwise = kwargs.pop('depthwise', False)
    groups = in_channels if depthwise else kwargs.pop('groups', 1)
    return create_conv2d_pad(in_channels, out_channels, kernel_size, groups=groups, **kwargs)
