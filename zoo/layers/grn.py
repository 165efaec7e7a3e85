"""Global Response Normalisation (GRN) and the GRN MLP of ConvNeXt V2.

"ConvNeXt V2: Co-designing and Scaling ConvNets with Masked Autoencoders", Woo et al., 2023 (arXiv:2301.00808).
GRN aggregates each channel's spatial L2 norm, divides it by the mean over channels (a form of lateral
inhibition that encourages feature diversity) and recalibrates the input with it:
`x + weight * (x * n) + bias` with `n = ||x||_hw / (mean_c ||x||_hw + eps)`. `weight` and `bias` start at zero, so
a freshly initialised GRN is the identity.
"""
from typing import Optional, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers.helpers import to_2tuple
from zoo.layers.mlp import _linear_factory

__all__ = ['GlobalResponseNorm', 'GlobalResponseNormMlp']


class GlobalResponseNorm(nn.Module):
    """GRN over the spatial dims of NHWC (`channels_last=True`) or NCHW maps.

    Args:
        dim: channels.
        eps: added to the channel-mean of the norms.
        channels_last: input layout is NHWC (otherwise NCHW).
    """

    def __init__(self, dim: int, eps: float = 1e-6, channels_last: bool = True):
        super().__init__()
        self.eps = eps
        self.channels_last = channels_last
        self.weight = nn.Parameter(torch.zeros(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            spatial, channel, shape = (1, 2), -1, (1, 1, 1, -1)
        else:
            spatial, channel, shape = (2, 3), 1, (1, -1, 1, 1)
        # aggregate (spatial L2 norm per channel), then normalise by the channel mean (divisive normalisation)
        gx = torch.linalg.vector_norm(x, dim=spatial, keepdim=True)
        nx = gx / (gx.mean(dim=channel, keepdim=True) + self.eps)
        return x + self.weight.view(shape) * (x * nx) + self.bias.view(shape)


class GlobalResponseNormMlp(nn.Module):
    """fc1 -> activation -> dropout -> GRN -> fc2 -> dropout, the MLP of a ConvNeXt V2 block.

    Args:
        in_features: input width.
        hidden_features: hidden width (defaults to `in_features`).
        out_features: output width (defaults to `in_features`).
        act_layer: activation class, instantiated without arguments.
        bias: bias of fc1 / fc2, one value for both or a pair.
        drop: dropout after the activation / after fc2.
        use_conv: 1x1 convs on NCHW maps instead of linear layers on NHWC tensors.
    """

    def __init__(
            self,
            in_features: int,
            hidden_features: Optional[int] = None,
            out_features: Optional[int] = None,
            act_layer: Type[nn.Module] = nn.GELU,
            bias: Union[bool, Tuple[bool, bool]] = True,
            drop: Union[float, Tuple[float, float]] = 0.,
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
        self.grn = GlobalResponseNorm(hidden_features, channels_last=not use_conv)
        self.fc2 = linear(hidden_features, out_features, bias=bias2)
        self.drop2 = nn.Dropout(drop2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act(self.fc1(x)))
        return self.drop2(self.fc2(self.grn(x)))
