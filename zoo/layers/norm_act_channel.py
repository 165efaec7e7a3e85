"""Channel-wise norms of NCHW maps fused with an activation: LayerNorm and RMSNorm over C at every pixel.

They take the same constructor arguments as `BatchNormAct2d`, so the EfficientNet / MobileNet block builders can swap
them in as `norm_layer`, and keep the parameter names of the plain norm (`weight`, `bias`):

- num_channels: channels normalised.
- eps: added to the variance (LayerNorm) or mean square (RMSNorm).
- affine: learn a per-channel scale (and shift, LayerNorm).
- apply_act: apply `act_layer` (with `act_kwargs`, in place when `inplace`) after the norm.
- drop_layer: constructor of a layer applied between norm and activation.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.activations import LayerType, create_act_layer
from zoo.layers.rms_norm import RmsNorm2d

__all__ = ['LayerNormAct2d', 'RmsNormAct2d']


def _act_and_drop(module: nn.Module, act_layer: Optional[LayerType], apply_act: bool, inplace: bool,
                  drop_layer: Optional[type], act_kwargs: Optional[dict]) -> None:
    module.drop = drop_layer() if drop_layer is not None else nn.Identity()
    module.act = create_act_layer(act_layer, inplace=inplace, **(act_kwargs or {})) if apply_act else nn.Identity()


class LayerNormAct2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW map, then dropout / activation (arguments: module docstring)."""

    def __init__(
            self,
            num_channels: int,
            eps: float = 1e-5,
            affine: bool = True,
            apply_act: bool = True,
            act_layer: Optional[LayerType] = nn.ReLU,
            act_kwargs: Optional[dict] = None,
            inplace: bool = True,
            drop_layer: Optional[type] = None,
    ):
        super().__init__(num_channels, eps=eps, elementwise_affine=affine)
        _act_and_drop(self, act_layer, apply_act, inplace, drop_layer, act_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return self.act(self.drop(x.permute(0, 3, 1, 2)))


class RmsNormAct2d(RmsNorm2d):
    """RMSNorm over the channels of an NCHW map (no centring, scale only), then dropout / activation (arguments:
    module docstring)."""

    def __init__(
            self,
            num_channels: int,
            eps: float = 1e-6,
            affine: bool = True,
            apply_act: bool = True,
            act_layer: Optional[LayerType] = nn.ReLU,
            act_kwargs: Optional[dict] = None,
            inplace: bool = True,
            drop_layer: Optional[type] = None,
    ):
        super().__init__(num_channels, eps=eps, affine=affine)
        _act_and_drop(self, act_layer, apply_act, inplace, drop_layer, act_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.drop(super().forward(x)))
