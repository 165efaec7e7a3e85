"""SwiGLU feed-forward layer with separate gate and value projections.

"GLU Variants Improve Transformer", Shazeer, 2020 (arXiv:2002.05202): the hidden layer is SiLU(x W_g) * (x W_x).
`zoo.layers.mlp.GluMlp` computes the same with one packed projection; this layout (`fc1_g`, `fc1_x`, `fc2`) is the
one of EVA-02 / DINOv3 / BEiT-style checkpoints whose MLP also normalises the hidden activations or pads the hidden
width to a multiple of `align_to` (a hardware-friendly width used by the larger DINOv3 models).
"""
from typing import Callable, Optional, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers.helpers import to_2tuple

__all__ = ['SwiGLU']


class SwiGLU(nn.Module):
    """fc2(norm(act(fc1_g(x)) * fc1_x(x))).

    Args:
        in_features: input width.
        hidden_features: gated hidden width (before `align_to` rounding; defaults to `in_features`).
        out_features: output width (defaults to `in_features`).
        act_layer: gate activation (SiLU gives SwiGLU).
        norm_layer: optional norm of the gated hidden activations (EVA-02's "sub-LN").
        bias: bias of the first projections / fc2, one value or a pair.
        drop: dropout after gating / after fc2.
        align_to: round the hidden width up to a multiple of this (0: no rounding).
    """

    def __init__(
            self,
            in_features: int,
            hidden_features: Optional[int] = None,
            out_features: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.SiLU,
            norm_layer: Optional[Callable[[int], nn.Module]] = None,
            bias: Union[bool, Tuple[bool, bool]] = True,
            drop: Union[float, Tuple[float, float]] = 0.,
            align_to: int = 0,
    ):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        if align_to:
            hidden_features = -(-hidden_features // align_to) * align_to
        bias1, bias2 = to_2tuple(bias)
        drop1, drop2 = to_2tuple(drop)
        self.fc1_g = nn.Linear(in_features, hidden_features, bias=bias1)
        self.fc1_x = nn.Linear(in_features, hidden_features, bias=bias1)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop1)
        self.norm = norm_layer(hidden_features) if norm_layer is not None else nn.Identity()
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias2)
        self.drop2 = nn.Dropout(drop2)

    def init_weights(self) -> None:
        # the gate starts almost constant (tiny weights, bias 1), so training begins close to a linear layer
        if self.fc1_g.bias is not None:
            nn.init.ones_(self.fc1_g.bias)
        nn.init.normal_(self.fc1_g.weight, std=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act(self.fc1_g(x)) * self.fc1_x(x))
        return self.drop2(self.fc2(self.norm(x)))
