"""Two-layer perceptrons used as the channel-mixing half of transformer and MLP-only blocks.

Attribute names (`fc1`, `act`, `drop1`, `norm`, `fc2`, `drop2`, and `gate` for gMLP) follow the layout the
published ViT / Mixer / ConvNeXt checkpoints use, so those state_dicts load unchanged.
"""
from functools import partial
from typing import Callable, Optional, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers.helpers import to_2tuple

__all__ = ['Mlp', 'GluMlp', 'SwiGLUPacked', 'GatedMlp']

PairOrOne = Union[float, Tuple[float, float]]


def _linear_factory(use_conv: bool) -> Callable[..., nn.Module]:
    # a 1x1 conv is a per-pixel linear layer on NCHW maps; ConvNeXt-style blocks use it to avoid permutes
    return partial(nn.Conv2d, kernel_size=1) if use_conv else nn.Linear


class Mlp(nn.Module):
    """Linear -> activation -> dropout -> (norm) -> linear -> dropout.

    Args:
        in_features: input width.
        hidden_features: width of the hidden layer (defaults to `in_features`).
        out_features: output width (defaults to `in_features`).
        act_layer: activation class, instantiated without arguments.
        norm_layer: optional norm applied to the hidden activations (NormFormer-style).
        bias: bias of fc1 / fc2, one value for both or a pair.
        drop: dropout after the activation / after fc2, one value for both or a pair.
        use_conv: use 1x1 convs so the module works on NCHW maps.
    """

    def __init__(
            self,
            in_features: int,
            hidden_features: Optional[int] = None,
            out_features: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Optional[Type[nn.Module]] = None,
            bias: Union[bool, Tuple[bool, bool]] = True,
            drop: PairOrOne = 0.,
            use_conv: bool = False,
    ):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        bias1, bias2 = to_2tuple(bias)
        drop1, drop2 = to_2tuple(drop)
        linear = _linear_factory(use_conv)

        self.fc1 = linear(in_features, hidden_features, bias=bias1)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop1)
        self.norm = norm_layer(hidden_features) if norm_layer is not None else nn.Identity()
        self.fc2 = linear(hidden_features, out_features, bias=bias2)
        self.drop2 = nn.Dropout(drop2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act(self.fc1(x)))
        return self.drop2(self.fc2(self.norm(x)))


class GluMlp(nn.Module):
    """Gated linear unit MLP: fc1 produces value and gate halves, `value * act(gate)` feeds fc2.

    "Language Modeling with Gated Convolutional Networks", Dauphin et al., 2016 (arXiv:1612.08083);
    "GLU Variants Improve Transformer", Shazeer, 2020 (arXiv:2002.05202).

    Args:
        in_features: input width.
        hidden_features: width of fc1's output (both halves; must be even).
        out_features: output width (defaults to `in_features`).
        act_layer: gate activation, instantiated without arguments (sigmoid gives the original GLU).
        norm_layer: optional norm on the gated hidden activations.
        bias: bias of fc1 / fc2.
        drop: dropout after gating / after fc2.
        use_conv: use 1x1 convs so the module works on NCHW maps.
        gate_last: the gate is the second half of fc1's output (False: the first half).
    """

    def __init__(
            self,
            in_features: int,
            hidden_features: Optional[int] = None,
            out_features: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.Sigmoid,
            norm_layer: Optional[Type[nn.Module]] = None,
            bias: Union[bool, Tuple[bool, bool]] = True,
            drop: PairOrOne = 0.,
            use_conv: bool = False,
            gate_last: bool = True,
    ):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        if hidden_features % 2:
            raise ValueError(f'GluMlp needs an even hidden width to split into value and gate, got {hidden_features}.')
        bias1, bias2 = to_2tuple(bias)
        drop1, drop2 = to_2tuple(drop)
        linear = _linear_factory(use_conv)
        self.chunk_dim = 1 if use_conv else -1
        self.gate_last = gate_last

        self.fc1 = linear(in_features, hidden_features, bias=bias1)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop1)
        self.norm = norm_layer(hidden_features // 2) if norm_layer is not None else nn.Identity()
        self.fc2 = linear(hidden_features // 2, out_features, bias=bias2)
        self.drop2 = nn.Dropout(drop2)

    def init_weights(self) -> None:
        # start with the gate nearly constant (bias 1, tiny weights) so early training sees a plain MLP
        half = self.fc1.weight.shape[0] // 2
        gate = slice(half, None) if self.gate_last else slice(0, half)
        if self.fc1.bias is not None:
            nn.init.ones_(self.fc1.bias[gate])
        nn.init.normal_(self.fc1.weight[gate], std=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.fc1(x).chunk(2, dim=self.chunk_dim)
        x = x1 * self.act(x2) if self.gate_last else self.act(x1) * x2
        x = self.norm(self.drop1(x))
        return self.drop2(self.fc2(x))


# GluMlp with a SiLU gate in the first half of fc1: the packed-weight layout of the DINOv2 giant checkpoints
SwiGLUPacked = partial(GluMlp, act_layer=nn.SiLU, gate_last=False)


class GatedMlp(nn.Module):
    """MLP with a gating unit between the two linears, as in gMLP's spatial gating block.

    "Pay Attention to MLPs", Liu et al., 2021 (arXiv:2105.08050). `gate_layer(hidden_features)` must return a
    module mapping width `hidden_features` to `hidden_features // 2` (e.g. a spatial gating unit).

    Args:
        in_features: input width.
        hidden_features: width of fc1's output.
        out_features: output width (defaults to `in_features`).
        act_layer: activation class, instantiated without arguments.
        norm_layer: optional norm on the gated activations.
        gate_layer: gating unit factory; None means no gating (a plain MLP).
        bias: bias of fc1 / fc2.
        drop: dropout after the activation / after fc2.
    """

    def __init__(
            self,
            in_features: int,
            hidden_features: Optional[int] = None,
            out_features: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.GELU,
            norm_layer: Optional[Type[nn.Module]] = None,
            gate_layer: Optional[Callable[[int], nn.Module]] = None,
            bias: Union[bool, Tuple[bool, bool]] = True,
            drop: PairOrOne = 0.,
    ):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        bias1, bias2 = to_2tuple(bias)
        drop1, drop2 = to_2tuple(drop)

        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias1)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop1)
        if gate_layer is not None:
            if hidden_features % 2:
                raise ValueError(f'A gated MLP needs an even hidden width, got {hidden_features}.')
            self.gate = gate_layer(hidden_features)
            hidden_features //= 2
        else:
            self.gate = nn.Identity()
        self.norm = norm_layer(hidden_features) if norm_layer is not None else nn.Identity()
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias2)
        self.drop2 = nn.Dropout(drop2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act(self.fc1(x)))
        x = self.norm(self.gate(x))
        return self.drop2(self.fc2(x))
