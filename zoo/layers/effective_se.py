"""Effective Squeeze-Excitation (eSE): channel attention with a single full-width 1x1 conv and a hard-sigmoid gate.

From "CenterMask: Real-Time Anchor-Free Instance Segmentation", Lee & Park, 2019 (arXiv:1911.06667), section 3.2:
dropping SE's channel reduction avoids the information loss of the bottleneck. Importing this module registers it
with `create_attn` under the name 'ese'.
"""
import torch
import torch.nn as nn

from zoo.layers.activations import LayerType, create_act_layer
from zoo.layers.squeeze_excite import get_attn, register_attn

__all__ = ['EffectiveSEModule']


class EffectiveSEModule(nn.Module):
    """x * gate(fc(mean(x))) with `fc` a biased 1x1 conv keeping the channel count.

    Args:
        channels: input (and output) channels.
        add_maxpool: average the global mean with the global max before the fc.
        gate_layer: gating activation.
    """

    def __init__(self, channels: int, add_maxpool: bool = False, gate_layer: LayerType = 'hard_sigmoid', **_):
        super().__init__()
        self.add_maxpool = add_maxpool
        self.fc = nn.Conv2d(channels, channels, kernel_size=1, bias=True)
        self.gate = create_act_layer(gate_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_se = x.mean((2, 3), keepdim=True)
        if self.add_maxpool:
            x_se = 0.5 * x_se + 0.5 * x.amax((2, 3), keepdim=True)
        return x * self.gate(self.fc(x_se))


# registration is idempotent for the same class, so re-importing (e.g. importlib.reload) stays harmless
try:
    _registered = get_attn('ese')
except ValueError:
    _registered = None
if _registered is None:
    register_attn('ese', EffectiveSEModule)
