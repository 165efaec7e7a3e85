"""Scale-only normalisations: RMSNorm and SimpleNorm, channels-last and NCHW forms.

- RMSNorm: "Root Mean Square Layer Normalization", Zhang & Sennrich, 2019 (arXiv:1910.07467): x / rms(x), no centring.
- SimpleNorm: x / std(x) without centring either; the published ConvNeXt-zepto weights were trained with the
  unbiased (n - 1) variance, so that is what is used here.

All four compute in float32 and cast back, so low-precision inputs do not lose the reduction's accuracy.
"""
import torch
import torch.nn as nn

__all__ = ['RmsNorm', 'RmsNorm2d', 'SimpleNorm', 'SimpleNorm2d']


def _rms_scale(x: torch.Tensor, dim: int, eps: float) -> torch.Tensor:
    return torch.rsqrt(x.pow(2).mean(dim=dim, keepdim=True) + eps)


def _std_scale(x: torch.Tensor, dim: int, eps: float) -> torch.Tensor:
    return torch.rsqrt(x.var(dim=dim, keepdim=True, unbiased=True) + eps)


class _ScaleNorm(nn.Module):
    """Shared parameter handling: an optional per-channel gain named `weight` (the published key)."""
    channel_dim = -1

    def __init__(self, num_channels: int, eps: float = 1e-6, affine: bool = True):
        super().__init__()
        self.num_channels = num_channels
        self.eps = eps
        if affine:
            self.weight = nn.Parameter(torch.empty(num_channels))
            nn.init.ones_(self.weight)
        else:
            self.register_parameter('weight', None)

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        out = xf * self._scale(xf)
        if self.weight is not None:
            shape = (-1, 1, 1) if self.channel_dim == 1 else (-1,)
            out = out * self.weight.float().reshape(shape)
        return out.to(x.dtype)

    def extra_repr(self) -> str:
        return f'{self.num_channels}, eps={self.eps}, affine={self.weight is not None}'


class RmsNorm(_ScaleNorm):
    """RMSNorm over the last dim."""

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return _rms_scale(x, -1, self.eps)


class RmsNorm2d(_ScaleNorm):
    """RMSNorm over the channel dim of an NCHW tensor."""
    channel_dim = 1

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return _rms_scale(x, 1, self.eps)


class SimpleNorm(_ScaleNorm):
    """x / std(x) over the last dim."""

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return _std_scale(x, -1, self.eps)


class SimpleNorm2d(_ScaleNorm):
    """x / std(x) over the channel dim of an NCHW tensor."""
    channel_dim = 1

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return _std_scale(x, 1, self.eps)
