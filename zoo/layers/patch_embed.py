"""Image to patch-token embedding: a strided convolution whose kernel equals its stride.

"An Image is Worth 16x16 Words", Dosovitskiy et al., 2020 (arXiv:2010.11929), section 3.1. Changing the patch size of
trained weights uses the pseudo-inverse resize of "FlexiViT: One Model for All Patch Sizes", Beyer et al., 2022
(arXiv:2212.08013), section 3.4, which keeps the token of a resized patch equal to the token of the original patch.
"""
import logging
from typing import Callable, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.format import Format, nchw_to
from zoo.layers.helpers import to_2tuple

__all__ = ['PatchEmbed', 'resample_patch_embed', 'resample_patch_projection', 'resolve_output_layout',
           'to_output_layout', 'pad_to_patches', 'check_input_size']

_logger = logging.getLogger(__name__)

SizeT = Union[int, Tuple[int, int]]


def resample_patch_embed(
        patch_embed: torch.Tensor,
        new_size: Sequence[int],
        interpolation: str = 'bicubic',
        antialias: bool = True,
        verbose: bool = False,
) -> torch.Tensor:
    """Resize patch-embedding kernels (O, I, h, w) to (O, I, *new_size) so tokens are preserved.

    Resizing a patch x with the linear map B (x -> Bx, here F.interpolate) should not change its token:
    <x, w> = <Bx, w'> for all x, i.e. B^T w' = w, solved in the least-squares sense by w' = pinv(B^T) w.

    Args:
        patch_embed: conv kernels of the patch projection.
        new_size: new kernel (patch) size (h, w).
        interpolation: F.interpolate mode that defines the patch resize B.
        antialias: antialias the resize (matters when shrinking).
        verbose: log the resize.
    """
    old_size = tuple(patch_embed.shape[-2:])
    new_size = tuple(new_size)
    if old_size == new_size:
        return patch_embed
    if verbose:
        _logger.info('Resampled patch embedding kernels from %s to %s.', old_size, new_size)
    old_numel = old_size[0] * old_size[1]
    # column j of B is the resize of the j-th one-hot patch
    basis = torch.eye(old_numel, dtype=torch.float32).reshape(old_numel, 1, *old_size)
    resize = F.interpolate(basis, size=new_size, mode=interpolation, antialias=antialias).reshape(old_numel, -1).T
    inv = torch.linalg.pinv(resize.T)  # (new_numel, old_numel)
    weight = patch_embed.float().reshape(-1, old_numel) @ inv.T.to(patch_embed.device)
    return weight.reshape(*patch_embed.shape[:2], *new_size).to(patch_embed.dtype)


def resample_patch_projection(proj: nn.Conv2d, patch_size: Tuple[int, int]) -> nn.Conv2d:
    """A new patch projection (kernel = stride = `patch_size`) with `proj`'s kernels resampled and bias copied."""
    new = nn.Conv2d(proj.in_channels, proj.out_channels, kernel_size=patch_size, stride=patch_size,
                    bias=proj.bias is not None, device=proj.weight.device, dtype=proj.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(resample_patch_embed(proj.weight, patch_size, verbose=True))
        if proj.bias is not None:
            new.bias.copy_(proj.bias)
    new.weight.requires_grad_(proj.weight.requires_grad)
    if proj.bias is not None:
        new.bias.requires_grad_(proj.bias.requires_grad)
    return new.train(proj.training)


def resolve_output_layout(flatten: bool, output_fmt: Optional[str]) -> Tuple[bool, Format]:
    """(flatten, layout) of a patch embedding's output: an explicit `output_fmt` overrides `flatten`."""
    if output_fmt is not None:
        return False, Format(output_fmt)
    return flatten, Format.NCHW


def to_output_layout(x: torch.Tensor, flatten: bool, output_fmt: Format) -> torch.Tensor:
    """Bring an NCHW patch map into the layout chosen by `resolve_output_layout`."""
    if flatten:
        return x.flatten(2).transpose(1, 2)
    return x if output_fmt == Format.NCHW else nchw_to(x, output_fmt)


def pad_to_patches(x: torch.Tensor, patch_size: Tuple[int, int]) -> torch.Tensor:
    """Zero-pad an NCHW map at the bottom / right so it divides into whole patches."""
    return F.pad(x, (0, -x.shape[-1] % patch_size[1], 0, -x.shape[-2] % patch_size[0]))


def check_input_size(h: int, w: int, img_size: Tuple[int, int]) -> None:
    """Refuse an input whose size differs from the one a fixed-size embedding was built for."""
    if (h, w) != tuple(img_size):
        raise ValueError(f'Input size ({h}, {w}) does not match the model ({img_size}); build the model '
                         f'with img_size=({h}, {w}), call set_input_size, or use dynamic_img_size=True.')


class PatchEmbed(nn.Module):
    """Split an image into non-overlapping patches and project each to `embed_dim`.

    Args:
        img_size: expected input size; None leaves the grid undetermined (fully dynamic input).
        patch_size: patch side (or (h, w)).
        in_chans: input image channels.
        embed_dim: token width.
        norm_layer: optional norm applied to the tokens.
        flatten: return NLC tokens (ignored when `output_fmt` is given).
        output_fmt: explicit output layout ('NCHW', 'NHWC', 'NLC', 'NCL').
        bias: bias of the projection conv.
        strict_img_size: reject inputs whose size differs from `img_size`.
        dynamic_img_pad: zero-pad the bottom/right so any input size divides into whole patches.
    """

    def __init__(
            self,
            img_size: Optional[SizeT] = 224,
            patch_size: SizeT = 16,
            in_chans: int = 3,
            embed_dim: int = 768,
            norm_layer: Optional[Callable[[int], nn.Module]] = None,
            flatten: bool = True,
            output_fmt: Optional[str] = None,
            bias: bool = True,
            strict_img_size: bool = True,
            dynamic_img_pad: bool = False,
    ):
        super().__init__()
        self.patch_size = to_2tuple(patch_size)
        self.img_size, self.grid_size, self.num_patches = self._grid_for(img_size)
        self.flatten, self.output_fmt = resolve_output_layout(flatten, output_fmt)
        self.strict_img_size = strict_img_size
        self.dynamic_img_pad = dynamic_img_pad
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=self.patch_size, stride=self.patch_size, bias=bias)
        self.norm = norm_layer(embed_dim) if norm_layer else nn.Identity()

    def _grid_for(self, img_size: Optional[SizeT]) -> Tuple[Optional[Tuple[int, int]], ...]:
        if img_size is None:
            return None, None, None
        img_size = to_2tuple(img_size)
        grid = (img_size[0] // self.patch_size[0], img_size[1] // self.patch_size[1])
        return img_size, grid, grid[0] * grid[1]

    def set_input_size(self, img_size: Optional[SizeT] = None, patch_size: Optional[SizeT] = None) -> None:
        """Change the expected input size and/or the patch size.

        A new patch size replaces the projection with one whose kernels are resampled (`resample_patch_embed`).
        """
        if patch_size is not None and to_2tuple(patch_size) != self.patch_size:
            self.patch_size = to_2tuple(patch_size)
            self.proj = resample_patch_projection(self.proj, self.patch_size)
        img_size = self.img_size if img_size is None else img_size
        self.img_size, self.grid_size, self.num_patches = self._grid_for(img_size)

    def feat_ratio(self, as_scalar: bool = True) -> Union[int, Tuple[int, int]]:
        return max(self.patch_size) if as_scalar else self.patch_size

    def dynamic_feat_size(self, img_size: Tuple[int, int]) -> Tuple[int, int]:
        """Token grid produced for an input of `img_size`."""
        # with dynamic padding a partial patch at the border still makes a token (ceil division)
        extra = [p - 1 if self.dynamic_img_pad else 0 for p in self.patch_size]
        rows, cols = [(size + e) // p for size, e, p in zip(img_size, extra, self.patch_size)]
        return rows, cols

    def _check_size(self, h: int, w: int) -> None:
        if self.img_size is None or self.dynamic_img_pad:
            return
        if self.strict_img_size:
            check_input_size(h, w, self.img_size)
        elif h % self.patch_size[0] or w % self.patch_size[1]:
            raise ValueError(f'Input size ({h}, {w}) must be divisible by the patch size {self.patch_size}.')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if not torch.jit.is_scripting() and not torch.compiler.is_compiling():
            self._check_size(h, w)
        if self.dynamic_img_pad:
            x = pad_to_patches(x, self.patch_size)
        x = to_output_layout(self.proj(x), self.flatten, self.output_fmt)
        return self.norm(x)
