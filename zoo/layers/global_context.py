"""Global context attention: one attention-pooled context vector per image, transformed and fused back into every
position.

Paper: "GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond", Cao et al., 2019
(arXiv:1904.11492), section 4: the query-independent simplification of a non-local block. The context is a softmax
weighting of all positions (a 1x1 conv gives the weights), the transform is a bottleneck 1x1 conv -> LayerNorm ->
ReLU -> 1x1 conv, and the result is fused by addition (the paper's choice) and/or by a sigmoid gate (SE-style).
"""
from collections import OrderedDict
from typing import Optional

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, create_act_layer, get_act_layer
from zoo.layers.helpers import make_divisible
from zoo.layers.norm import LayerNorm2d

__all__ = ['GlobalContext']


def _context_transform(channels: int, rd_channels: int, act_layer: LayerType) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ('fc1', nn.Conv2d(channels, rd_channels, 1)),
        ('norm', LayerNorm2d(rd_channels)),
        ('act', create_act_layer(act_layer, inplace=True)),
        ('fc2', nn.Conv2d(rd_channels, channels, 1)),
    ]))


class GlobalContext(nn.Module):
    """Global context block.

    Args:
        channels: input (and output) channels.
        use_attn: pool the context with learned attention weights; plain global average otherwise.
        fuse_add: add the transformed context to every position (GCNet's fusion).
        fuse_scale: multiply every position by a sigmoid gate of the transformed context.
        rd_ratio: bottleneck width of the transforms relative to `channels`.
        rd_channels: explicit bottleneck width.
        rd_divisor: rounding of the bottleneck width.
        act_layer: activation inside the transforms.
        gate_layer: gate of the scale fusion.
    """

    def __init__(
            self,
            channels: int,
            use_attn: bool = True,
            fuse_add: bool = False,
            fuse_scale: bool = True,
            rd_ratio: float = 1. / 8,
            rd_channels: Optional[int] = None,
            rd_divisor: int = 1,
            act_layer: LayerType = nn.ReLU,
            gate_layer: LayerType = 'sigmoid',
    ):
        super().__init__()
        if not (fuse_add or fuse_scale):
            raise ValueError('GlobalContext needs fuse_add and/or fuse_scale, otherwise it does nothing.')
        act_layer = get_act_layer(act_layer)
        rd_channels = rd_channels or make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.)
        self.conv_attn = nn.Conv2d(channels, 1, 1) if use_attn else None
        self.mlp_add = _context_transform(channels, rd_channels, act_layer) if fuse_add else None
        self.mlp_scale = _context_transform(channels, rd_channels, act_layer) if fuse_scale else None
        self.gate = create_act_layer(gate_layer)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.conv_attn is not None:
            nn.init.kaiming_normal_(self.conv_attn.weight, mode='fan_in', nonlinearity='relu')
        if self.mlp_add is not None:
            # the additive branch starts as a no-op, so inserting the block leaves a pretrained path unchanged
            nn.init.zeros_(self.mlp_add.fc2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        if self.conv_attn is not None:
            weights = self.conv_attn(x).reshape(b, 1, -1).softmax(dim=-1)  # B, 1, HW
            context = torch.bmm(x.reshape(b, c, -1), weights.transpose(1, 2)).reshape(b, c, 1, 1)
        else:
            context = x.mean(dim=(2, 3), keepdim=True)
        if self.mlp_scale is not None:
            x = x * self.gate(self.mlp_scale(context))
        if self.mlp_add is not None:
            x = x + self.mlp_add(context)
        return x
