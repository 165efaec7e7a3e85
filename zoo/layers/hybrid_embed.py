"""Patch tokens from a CNN feature map: a convolutional backbone, then a patch projection of its output.

"An Image is Worth 16x16 Words", Dosovitskiy et al., 2020 (arXiv:2010.11929), section 3.1 "Hybrid Architecture":
the input patches of the transformer are taken from a CNN feature map instead of raw pixels (the special case of
1x1 patches flattens the map). Keys are `backbone.*` and `proj.*`, the layout of the published hybrid weights.
"""
import math
from itertools import chain
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers.helpers import to_2tuple
from zoo.layers.patch_embed import (
    check_input_size,
    pad_to_patches,
    resample_patch_projection,
    resolve_output_layout,
    to_output_layout,
)

__all__ = ['HybridEmbed']

SizeT = Union[int, Tuple[int, int]]


class HybridEmbed(nn.Module):
    """Run `backbone` on the image, then embed (patch_size x patch_size) patches of its last feature map.

    Args:
        backbone: CNN returning a feature map (or a list / tuple of maps, of which the last is used).
        img_size: input size the token grid is computed for.
        patch_size: patch side on the backbone's feature map.
        feature_size: the backbone's output size at `img_size`; found by a shape-only (meta device) forward when
            None.
        feature_ratio: input size / feature size when `feature_size` is given (16 when None).
        in_chans: input image channels.
        embed_dim: token width.
        bias: bias of the patch projection.
        proj: project the feature map to `embed_dim`; without it the backbone must already output `embed_dim`
            channels.
        flatten: return NLC tokens (ignored when `output_fmt` is given).
        output_fmt: explicit output layout ('NCHW', 'NHWC', 'NLC', 'NCL').
        strict_img_size: reject inputs whose size differs from `img_size`.
        dynamic_img_pad: zero-pad the feature map so it divides into whole patches.
    """

    def __init__(
            self,
            backbone: nn.Module,
            img_size: SizeT = 224,
            patch_size: SizeT = 1,
            feature_size: Optional[SizeT] = None,
            feature_ratio: Optional[SizeT] = None,
            in_chans: int = 3,
            embed_dim: int = 768,
            bias: bool = True,
            proj: bool = True,
            flatten: bool = True,
            output_fmt: Optional[str] = None,
            strict_img_size: bool = True,
            dynamic_img_pad: bool = False,
    ):
        super().__init__()
        if not isinstance(backbone, nn.Module):
            raise TypeError(f'HybridEmbed needs an nn.Module backbone, got {type(backbone).__name__}.')
        self.backbone = backbone
        self.in_chans = in_chans
        self.patch_size = to_2tuple(patch_size)
        self._feat_cache: Dict[Tuple[int, int], Tuple[int, int, int]] = {}
        self._set_sizes(img_size, feature_size, feature_ratio)
        self.flatten, self.output_fmt = resolve_output_layout(flatten, output_fmt)
        self.strict_img_size = strict_img_size
        self.dynamic_img_pad = dynamic_img_pad
        if not dynamic_img_pad and any(f % p for f, p in zip(self.feature_size, self.patch_size)):
            raise ValueError(f'The backbone feature map {self.feature_size} does not divide into patches of '
                             f'{self.patch_size}; change img_size or patch_size, or use dynamic_img_pad=True.')
        if proj:
            self.proj = nn.Conv2d(self.feature_dim, embed_dim, kernel_size=self.patch_size, stride=self.patch_size,
                                  bias=bias)
        else:
            if self.feature_dim != embed_dim:
                raise ValueError(f'Without a projection the backbone width ({self.feature_dim}) must equal '
                                 f'embed_dim ({embed_dim}).')
            self.proj = nn.Identity()

    def _backbone_shape(self, img_size: Tuple[int, int]) -> Tuple[int, int, int]:
        """(channels, height, width) of the backbone's output for an input of `img_size`, without computing it."""
        if img_size not in self._feat_cache:
            # the backbone runs on meta tensors standing in for its weights: shapes propagate, nothing is computed
            state = {name: torch.empty_like(t, device='meta') for name, t in
                     chain(self.backbone.named_parameters(), self.backbone.named_buffers())}
            x = torch.empty(1, self.in_chans, *img_size, device='meta')
            modes = [(m, m.training) for m in self.backbone.modules()]
            self.backbone.eval()  # batch statistics of a 1-sample batch are refused in training mode
            try:
                with torch.no_grad():
                    out = torch.func.functional_call(self.backbone, state, (x,))
            finally:
                for module, mode in modes:
                    module.training = mode
            if isinstance(out, (list, tuple)):
                out = out[-1]
            self._feat_cache[img_size] = (out.shape[1], out.shape[-2], out.shape[-1])
        return self._feat_cache[img_size]

    def _set_sizes(self, img_size: SizeT, feature_size: Optional[SizeT], feature_ratio: Optional[SizeT]) -> None:
        self.img_size = to_2tuple(img_size)
        if feature_size is None:
            self.feature_dim, *size = self._backbone_shape(self.img_size)
            self.feature_size = tuple(size)
            self.feature_ratio = tuple(s // f for s, f in zip(self.img_size, self.feature_size))
        else:
            self.feature_size = to_2tuple(feature_size)
            self.feature_ratio = to_2tuple(feature_ratio or 16)
            info = getattr(self.backbone, 'feature_info', None)
            if info is not None:
                self.feature_dim = info.channels()[-1] if hasattr(info, 'channels') else info[-1]['num_chs']
            else:
                self.feature_dim = self.backbone.num_features
        self.grid_size = tuple(f // p for f, p in zip(self.feature_size, self.patch_size))
        self.num_patches = self.grid_size[0] * self.grid_size[1]

    def set_input_size(self, img_size: Optional[SizeT] = None, patch_size: Optional[SizeT] = None) -> None:
        """Change the expected input size and/or the patch size (the projection kernels are resampled)."""
        if patch_size is not None and to_2tuple(patch_size) != self.patch_size:
            if not isinstance(self.proj, nn.Conv2d):
                raise ValueError('A HybridEmbed without a projection has no patch size to change.')
            self.patch_size = to_2tuple(patch_size)
            self.proj = resample_patch_projection(self.proj, self.patch_size)
        self._set_sizes(self.img_size if img_size is None else img_size, None, None)

    def feat_ratio(self, as_scalar: bool = True) -> Union[int, Tuple[int, int]]:
        total = (self.feature_ratio[0] * self.patch_size[0], self.feature_ratio[1] * self.patch_size[1])
        return max(total) if as_scalar else total

    def dynamic_feat_size(self, img_size: Tuple[int, int]) -> Tuple[int, int]:
        """Token grid produced for an input of `img_size` (the backbone's own padding rules included)."""
        _, h, w = self._backbone_shape(tuple(img_size))
        if self.dynamic_img_pad:
            return math.ceil(h / self.patch_size[0]), math.ceil(w / self.patch_size[1])
        return h // self.patch_size[0], w // self.patch_size[1]

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        if hasattr(self.backbone, 'set_grad_checkpointing'):
            self.backbone.set_grad_checkpointing(enable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if self.strict_img_size and not torch.compiler.is_compiling():
            check_input_size(h, w, self.img_size)
        x = self.backbone(x)
        if isinstance(x, (list, tuple)):
            x = x[-1]
        if self.dynamic_img_pad:
            x = pad_to_patches(x, self.patch_size)
        return to_output_layout(self.proj(x), self.flatten, self.output_fmt)
