"""BatchNorm fused with its activation, keeping nn.BatchNorm2d's state_dict keys (weight, bias, running_*)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.activations import LayerType, create_act_layer


class BatchNormAct2d(nn.BatchNorm2d):
    """nn.BatchNorm2d followed by an activation (and optional dropout) in one module.

    Subclassing BatchNorm2d rather than wrapping it keeps parameter names flat (`bn1.weight`, not
    `bn1.bn.weight`), which is what checkpoints of the EfficientNet / DenseNet family expect.
    """

    def __init__(
            self,
            num_features: int,
            eps: float = 1e-5,
            momentum: float = 0.1,
            affine: bool = True,
            track_running_stats: bool = True,
            apply_act: bool = True,
            act_layer: Optional[LayerType] = nn.ReLU,
            act_kwargs: Optional[dict] = None,
            inplace: bool = True,
            drop_layer: Optional[type] = None,
            device=None,
            dtype=None,
    ):
        super().__init__(num_features, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=track_running_stats, device=device, dtype=dtype)
        self.drop = drop_layer() if drop_layer is not None else nn.Identity()
        self.act = create_act_layer(act_layer, inplace=inplace, **(act_kwargs or {})) if apply_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # nn.BatchNorm2d's semantics written out, since TorchScript cannot compile `super().forward`: batch
        # statistics in training (or without running buffers), running buffers updated only when tracked, and a
        # cumulative average when momentum is None
        momentum = self.momentum
        factor = 0.0 if momentum is None else momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_buffers = not self.training or self.track_running_stats
        x = F.batch_norm(x, self.running_mean if keep_buffers else None, self.running_var if keep_buffers else None,
                         self.weight, self.bias, batch_stats, factor, self.eps)
        return self.act(self.drop(x))


class GroupNormAct(nn.GroupNorm):
    """nn.GroupNorm followed by an activation, keeping GroupNorm's parameter names."""

    def __init__(self, num_channels: int, num_groups: int = 32, eps: float = 1e-5, affine: bool = True,
                 apply_act: bool = True, act_layer: Optional[LayerType] = nn.ReLU, inplace: bool = True,
                 drop_layer: Optional[type] = None, act_kwargs: Optional[dict] = None):
        super().__init__(num_groups, num_channels, eps=eps, affine=affine)
        self.drop = drop_layer() if drop_layer is not None else nn.Identity()
        self.act = create_act_layer(act_layer, inplace=inplace, **(act_kwargs or {})) if apply_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)
        return self.act(self.drop(x))
