"""Channel attention: Squeeze-and-Excitation (Hu et al., 2018) and Efficient Channel Attention (Wang et al., 2020)."""
import math
from typing import Optional, Type

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, create_act_layer, get_act_layer
from zoo.layers.helpers import make_divisible


def _pointwise(in_chs: int, out_chs: int, bias: bool) -> nn.Conv2d:
    # a 1x1 conv on the pooled (B, C, 1, 1) map is the paper's fully connected layer, kept 4-D for the weights
    return nn.Conv2d(in_chs, out_chs, kernel_size=1, bias=bias)


class SEModule(nn.Module):
    """SE block with 1x1 convs (`fc1`, `fc2`), reduction channels rounded to a multiple of `rd_divisor`."""

    def __init__(
            self,
            channels: int,
            rd_ratio: float = 1. / 16,
            rd_channels: Optional[int] = None,
            rd_divisor: int = 8,
            add_maxpool: bool = False,
            bias: bool = True,
            act_layer: LayerType = nn.ReLU,
            norm_layer: Optional[Type[nn.Module]] = None,
            gate_layer: LayerType = 'sigmoid',
    ):
        super().__init__()
        self.add_maxpool = add_maxpool
        # the excitation bottleneck of the paper (eq. 3, reduction r = 1 / rd_ratio), rounded without the usual
        # round-down guard so widths agree with the published SE-ResNet / RegNet weights
        squeezed = rd_channels or make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.)
        self.fc1 = _pointwise(channels, squeezed, bias)
        self.bn = nn.Identity() if norm_layer is None else norm_layer(squeezed)
        self.act = create_act_layer(act_layer, inplace=True)
        self.fc2 = _pointwise(squeezed, channels, bias)
        self.gate = create_act_layer(gate_layer)

    def _squeeze(self, x: torch.Tensor) -> torch.Tensor:
        """Per-channel descriptor: the spatial mean, or the mean of mean and max with `add_maxpool`."""
        descriptor = x.mean((2, 3), keepdim=True)
        if not self.add_maxpool:
            return descriptor
        return 0.5 * descriptor + 0.5 * x.amax((2, 3), keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.gate(self.fc2(self.act(self.bn(self.fc1(self._squeeze(x))))))
        return x * weights


class EcaModule(nn.Module):
    """ECA: a 1-D conv across pooled channels, kernel size adapted to the channel count (paper eq. 12)."""

    def __init__(self, channels: Optional[int] = None, kernel_size: int = 3, gamma: int = 2, beta: int = 1,
                 gate_layer: LayerType = 'sigmoid'):
        super().__init__()
        if channels is not None:
            t = int(abs(math.log(channels, 2) + beta) / gamma)
            kernel_size = max(t if t % 2 else t + 1, 3)
        self.conv = nn.Conv1d(1, 1, kernel_size=kernel_size, padding=(kernel_size - 1) // 2, bias=False)
        self.gate = create_act_layer(gate_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.mean((2, 3)).unsqueeze(1)  # B, 1, C
        y = self.conv(y)
        return x * self.gate(y).transpose(1, 2).unsqueeze(-1)


_ATTN_LAYERS = dict(se=SEModule, eca=EcaModule)


def get_attn(attn_type: Optional[LayerType]) -> Optional[type]:
    """Resolve a channel-attention module by name ('se', 'eca') or pass a class through."""
    if attn_type is None or attn_type == '':
        return None
    if isinstance(attn_type, str):
        key = attn_type.lower()
        if key not in _ATTN_LAYERS:
            raise ValueError(f'Unknown attention {attn_type!r}; choose one of {sorted(_ATTN_LAYERS)} or pass a class.')
        return _ATTN_LAYERS[key]
    return attn_type


def create_attn(attn_type: Optional[LayerType], channels: int, **kwargs) -> Optional[nn.Module]:
    module_cls = get_attn(attn_type)
    return module_cls(channels, **kwargs) if module_cls is not None else None


def register_attn(name: str, module_cls: type) -> None:
    """Make an attention module available to `create_attn` by name (used by families defining their own)."""
    if name in _ATTN_LAYERS and _ATTN_LAYERS[name] is not module_cls:
        raise ValueError(f'Attention layer {name!r} is already registered.')
    _ATTN_LAYERS[name] = module_cls


__all__ = ['SEModule', 'EcaModule', 'get_attn', 'create_attn', 'register_attn', 'get_act_layer']
