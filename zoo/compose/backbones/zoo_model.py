"""Any registered zoo model as a backbone, through its features API (``create_model(..., features_only=True)``)."""
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from zoo.compose.registry import register_backbone

__all__ = ['ZooBackbone']


@register_backbone()
class ZooBackbone(nn.Module):
    """Wrap ``zoo.create_model(model_name, features_only=True)``; returns a tuple of feature maps.

    Args:
        model_name: A registered zoo model, e.g. 'resnet50' (see ``zoo.list_models()``).
        pretrained: Load the model's pretrained weights.
        out_indices: Feature levels to return, as understood by the model's features API.
        in_channels: Input image channels (passed as ``in_chans``).
        **model_kwargs: Further arguments for ``create_model`` (e.g. ``drop_path_rate``).
    """

    def __init__(
            self,
            model_name: str,
            pretrained: bool = False,
            out_indices: Sequence[int] = (-1,),
            in_channels: int = 3,
            **model_kwargs: Any,
    ) -> None:
        super().__init__()
        # Imported here: zoo.models imports the model families, which composing a ResNet does not need.
        from zoo.models import create_model
        self.model_name = model_name
        # the getter form keeps the whole model under `.model`, so feature_info's module names resolve below; a
        # list / dict net re-parents (and for some families flattens) the modules
        model_kwargs.setdefault('feature_cls', 'getter')
        self.model = create_model(model_name, pretrained=pretrained, features_only=True,
                                  out_indices=tuple(out_indices), in_chans=in_channels, **model_kwargs)
        info = self.model.feature_info
        self.out_channels = tuple(info.channels())
        # The features wrapper keeps the original model under `.model`, so its module names sit one level deeper.
        prefix = 'model.model.' if isinstance(getattr(self.model, 'model', None), nn.Module) else 'model.'
        self.level_info = [dict(num_chs=c, reduction=r, module=prefix + m)
                           for c, r, m in zip(info.channels(), info.reduction(), info.module_name())]

    @property
    def feature_info(self) -> list[dict[str, Any]]:
        """num_chs / reduction / module of each returned level."""
        return [dict(info) for info in self.level_info]

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Forward to the wrapped model when it supports checkpointing."""
        if not hasattr(self.model, 'set_grad_checkpointing'):
            raise NotImplementedError(f'{self.model_name} features do not support gradient checkpointing')
        self.model.set_grad_checkpointing(enable)

    def forward_levels(self, x: torch.Tensor, stop: int | None = None) -> list[torch.Tensor]:
        """The returned levels 0..stop (all by default), so a composed classifier serves ``forward_intermediates``."""
        levels = list(self.model(x))
        return levels if stop is None else levels[:stop + 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The feature maps of the requested levels."""
        return tuple(self.model(x))
