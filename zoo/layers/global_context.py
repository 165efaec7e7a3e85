"""Global Context block: attention-pooled context, transformed by a small bottleneck MLP, that gates the input.

Cao et al., "GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond", 2019 (arXiv:1904.11492).
Compared with squeeze-excitation the global average is replaced by a softmax-weighted sum over positions (one
attention map shared by all channels), and the bottleneck has a LayerNorm. The context can scale the input
(`fuse_scale`, sigmoid-gated like SE) and / or be added to it (`fuse_add`, the paper's default).
"""
import math
from typing import Optional

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, create_act_layer, get_act_layer
from zoo.layers.helpers import make_divisible
from zoo.layers.norm import LayerNorm2d

__all__ = ['GlobalContext']


class _ContextMlp(nn.Module):
    """1x1 conv -> LayerNorm over channels -> act -> 1x1 conv, on the (N, C, 1, 1) context."""

    def __init__(self, channels: int, hidden: int, act_layer: LayerType):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.norm = LayerNorm2d(hidden)
        self.act = get_act_layer(act_layer)()
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.norm(self.fc1(x))))


class GlobalContext(nn.Module):
    """Global Context attention (drop-in for squeeze-excitation: `GlobalContext(channels, rd_ratio=...)`).

    Args:
        channels: input (and output) channels.
        use_attn: pool the context with a learned softmax attention map; otherwise a plain global average.
        fuse_add: add the transformed context to the input.
        fuse_scale: multiply the input by the gated transformed context.
        init_last_zero: start the additive branch at zero (the block is then an identity at init).
        rd_ratio: bottleneck width relative to `channels`.
        rd_channels: explicit bottleneck width (overrides `rd_ratio`).
        rd_divisor: the bottleneck width is rounded to a multiple of this.
        act_layer: activation inside the bottleneck.
        gate_layer: gate of the scaling branch.
    """

    def __init__(
            self,
            channels: int,
            use_attn: bool = True,
            fuse_add: bool = False,
            fuse_scale: bool = True,
            init_last_zero: bool = False,
            rd_ratio: float = 1. / 8,
            rd_channels: Optional[int] = None,
            rd_divisor: int = 1,
            act_layer: LayerType = nn.ReLU,
            gate_layer: LayerType = 'sigmoid',
    ):
        super().__init__()
        if not (fuse_add or fuse_scale):
            raise ValueError('GlobalContext needs fuse_add or fuse_scale (or both), otherwise it does nothing.')
        if rd_channels is None:
            rd_channels = make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.)
        self.conv_attn = nn.Conv2d(channels, 1, 1) if use_attn else None
        self.mlp_add = _ContextMlp(channels, rd_channels, act_layer) if fuse_add else None
        self.mlp_scale = _ContextMlp(channels, rd_channels, act_layer) if fuse_scale else None
        self.gate = create_act_layer(gate_layer)
        self.init_last_zero = init_last_zero
        self.reset_parameters()

    def reset_parameters(self) -> None:
        attn_conv = self.conv_attn
        if attn_conv is not None:
            # He-normal over the fan-in (C inputs of the 1x1 conv producing the attention logits)
            nn.init.normal_(attn_conv.weight, std=math.sqrt(2. / attn_conv.weight[0].numel()))
        fuse_out = self.mlp_add.fc2 if self.mlp_add is not None else None
        if fuse_out is not None and self.init_last_zero:
            # a zero last layer makes the additive fusion start as the identity (GCNet, zero-init of the transform)
            nn.init.zeros_(fuse_out.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        if self.conv_attn is not None:
            weights = self.conv_attn(x).reshape(b, h * w, 1).softmax(dim=1)
            context = torch.bmm(x.reshape(b, c, h * w), weights).reshape(b, c, 1, 1)
        else:
            context = x.mean(dim=(2, 3), keepdim=True)
        if self.mlp_scale is not None:
            x = x * self.gate(self.mlp_scale(context))
        if self.mlp_add is not None:
            x = x + self.mlp_add(context)
        return x
