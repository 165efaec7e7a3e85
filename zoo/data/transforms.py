"""Image transforms used by :func:`zoo.data.create_transform`: interpolation names, resize/crop variants and the
PIL -> uint8 tensor conversion that feeds the device-side normalising loader.
"""
import math
import random
from typing import List, Sequence, Tuple, Union

import numpy as np
import torch
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode

__all__ = [
    'str_to_interp_mode', 'str_to_pil_interp', 'interp_mode_to_str', 'ResizeKeepRatio', 'CenterCropOrPad',
    'RandomResizeKeepRatio', 'RandomCropOrPad', 'RandomResizedCropAndInterpolation', 'MaybeToTensor',
    'MaybePILToTensor', 'ToNumpy',
]

SizeLike = Union[int, Sequence[int]]

_INTERP_MODES = {
    'nearest': InterpolationMode.NEAREST,
    'bilinear': InterpolationMode.BILINEAR,
    'bicubic': InterpolationMode.BICUBIC,
    'box': InterpolationMode.BOX,
    'hamming': InterpolationMode.HAMMING,
    'lanczos': InterpolationMode.LANCZOS,
}
_PIL_INTERP = {
    'nearest': Image.Resampling.NEAREST,
    'bilinear': Image.Resampling.BILINEAR,
    'bicubic': Image.Resampling.BICUBIC,
    'box': Image.Resampling.BOX,
    'hamming': Image.Resampling.HAMMING,
    'lanczos': Image.Resampling.LANCZOS,
}
# 'random' picks one of these per call, as in timm's training transforms
_RANDOM_INTERPOLATION = (InterpolationMode.BILINEAR, InterpolationMode.BICUBIC)


def _check_interp(name: str) -> str:
    if name not in _INTERP_MODES:
        raise ValueError(f'Unknown interpolation {name!r}; use one of {sorted(_INTERP_MODES)}.')
    return name


def str_to_interp_mode(name: str) -> InterpolationMode:
    """torchvision ``InterpolationMode`` for a name such as ``'bicubic'``."""
    return _INTERP_MODES[_check_interp(name)]


def str_to_pil_interp(name: str) -> Image.Resampling:
    """PIL resampling filter for a name such as ``'bicubic'``."""
    return _PIL_INTERP[_check_interp(name)]


def interp_mode_to_str(mode: InterpolationMode) -> str:
    """Name of a torchvision ``InterpolationMode``."""
    return mode.value


def _pair(size: SizeLike) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f'Expected an int or (H, W) size, got {size!r}.')
    return size


def _image_hw(img: Union[Image.Image, torch.Tensor]) -> Tuple[int, int]:
    if isinstance(img, Image.Image):
        return img.height, img.width
    return int(img.shape[-2]), int(img.shape[-1])


class ResizeKeepRatio:
    """Resize so the image fits a target size while keeping its aspect ratio.

    The scale is ``target / current`` per edge, combined as ``longest * max + (1 - longest) * min``: with
    ``longest=0`` the shorter edge matches its target (the image covers the target, ready for a centre crop),
    with ``longest=1`` the longer edge matches (the image fits inside, ready for padding).

    Args:
        size: Target (H, W) or a single edge length.
        longest: Blend between fitting the shortest (0) and the longest (1) edge.
        interpolation: Interpolation name.
    """

    def __init__(self, size: SizeLike, longest: float = 0., interpolation: str = 'bilinear') -> None:
        self.size = _pair(size)
        self.longest = float(longest)
        self.interpolation = str_to_interp_mode(interpolation)

    def fit_ratio(self, img_hw: Tuple[int, int]) -> float:
        """Image size over target size, blended between the shorter (0) and longer (1) edge by ``longest``."""
        ratios = [img_hw[0] / self.size[0], img_hw[1] / self.size[1]]
        return max(ratios) * self.longest + min(ratios) * (1. - self.longest)

    def target_size(self, img_hw: Tuple[int, int]) -> Tuple[int, int]:
        ratio = self.fit_ratio(img_hw)
        return round(img_hw[0] / ratio), round(img_hw[1] / ratio)

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> Union[Image.Image, torch.Tensor]:
        return F.resize(img, list(self.target_size(_image_hw(img))), self.interpolation)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, longest={self.longest}, '
                f'interpolation={self.interpolation.value})')


class CenterCropOrPad:
    """Centre crop to ``size``, padding with ``fill`` where the image is smaller (used by crop_mode='border').

    Args:
        size: Output (H, W) or a single edge length.
        fill: Pad value (int or per-channel tuple).
        padding_mode: torchvision pad mode ('constant', 'edge', 'reflect', 'symmetric').
    """

    def __init__(self, size: SizeLike, fill: Union[int, Sequence[int]] = 0, padding_mode: str = 'constant') -> None:
        self.size = _pair(size)
        self.fill = tuple(fill) if isinstance(fill, (list, tuple)) else fill
        self.padding_mode = padding_mode

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> Union[Image.Image, torch.Tensor]:
        h, w = _image_hw(img)
        th, tw = self.size
        pad_h, pad_w = max(th - h, 0), max(tw - w, 0)
        if pad_h or pad_w:
            # left, top, right, bottom; the odd pixel goes right/bottom like torchvision's CenterCrop padding
            padding = [pad_w // 2, pad_h // 2, pad_w - pad_w // 2, pad_h - pad_h // 2]
            img = F.pad(img, padding, fill=self.fill, padding_mode=self.padding_mode)
        return F.center_crop(img, list(self.size))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size}, fill={self.fill}, padding_mode={self.padding_mode})'


class RandomResizeKeepRatio(ResizeKeepRatio):
    """:class:`ResizeKeepRatio` (shorter edge to the target) with a random zoom and a random aspect change.

    The training resize of ``train_crop_mode`` 'rkrc' / 'rkrr': unlike a random-resized crop it never cuts away
    more than the zoom asks for, so most of the picture stays in view.

    Args:
        size: Target (H, W) or a single edge length.
        scale: Area fraction range, as in a random-resized crop: a value ``a`` zooms both edges by ``1 / sqrt(a)``
            (``a < 1`` zooms in; the following crop then keeps about ``a`` of the area).
        ratio: Range of the aspect change (w / h), sampled log-uniformly.
        scale_prob: Probability of applying a random zoom.
        ratio_prob: Probability of applying a random aspect change.
        interpolation: Interpolation name, or ``'random'`` to pick bilinear or bicubic per image.
    """

    def __init__(
            self,
            size: SizeLike,
            scale: Tuple[float, float] = (0.8, 1.0),
            ratio: Tuple[float, float] = (0.9, 1 / 0.9),
            scale_prob: float = 0.5,
            ratio_prob: float = 0.5,
            interpolation: str = 'bilinear',
    ) -> None:
        super().__init__(size, interpolation='bilinear' if interpolation == 'random' else interpolation)
        if not 0 < scale[0] <= scale[1] or not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f'scale and ratio must be positive (min, max) ranges, got scale={scale}, ratio={ratio}.')
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.scale_prob = scale_prob
        self.ratio_prob = ratio_prob
        self.random_interpolation = interpolation == 'random'

    def random_size(self, img_hw: Tuple[int, int]) -> Tuple[int, int]:
        """Draw the resized (H, W) for an image of size ``img_hw``."""
        ratio = self.fit_ratio(img_hw)
        zoom_h = zoom_w = 1.
        if random.random() < self.scale_prob:
            zoom_h = zoom_w = random.uniform(*self.scale) ** -0.5
        if random.random() < self.ratio_prob:
            stretch = math.exp(random.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]))) ** 0.5
            zoom_h, zoom_w = zoom_h / stretch, zoom_w * stretch
        # rounded once from the original size, so a draw of 1 reproduces the plain resize exactly
        return max(1, round(img_hw[0] * zoom_h / ratio)), max(1, round(img_hw[1] * zoom_w / ratio))

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> Union[Image.Image, torch.Tensor]:
        interp = random.choice(_RANDOM_INTERPOLATION) if self.random_interpolation else self.interpolation
        return F.resize(img, list(self.random_size(_image_hw(img))), interp)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, scale={self.scale}, ratio={self.ratio}, '
                f'scale_prob={self.scale_prob}, ratio_prob={self.ratio_prob})')


class RandomCropOrPad(CenterCropOrPad):
    """Crop to ``size`` at a random position, padding (at a random offset) where the image is smaller.

    Args:
        size: Output (H, W) or a single edge length.
        fill: Pad value (int or per-channel tuple) for ``padding_mode='constant'``.
        padding_mode: torchvision pad mode ('constant', 'edge', 'reflect', 'symmetric').
    """

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> Union[Image.Image, torch.Tensor]:
        h, w = _image_hw(img)
        th, tw = self.size
        # one draw per edge: an offset into the image where it is larger, or the padding before it where smaller
        off_h, off_w = random.randint(0, abs(h - th)), random.randint(0, abs(w - tw))
        pad_h, pad_w = max(th - h, 0), max(tw - w, 0)
        if pad_h or pad_w:
            top, left = (off_h if pad_h else 0), (off_w if pad_w else 0)
            # reflect padding cannot exceed the image: fall back to edge replication for tiny images
            mode = self.padding_mode if self.padding_mode != 'reflect' or (pad_h < h and pad_w < w) else 'edge'
            img = F.pad(img, [left, top, pad_w - left, pad_h - top], fill=self.fill, padding_mode=mode)
        return F.crop(img, 0 if pad_h else off_h, 0 if pad_w else off_w, th, tw)


class RandomResizedCropAndInterpolation:
    """Random crop of random area and aspect ratio, resized to ``size`` (Inception-style training crop).

    Args:
        size: Output (H, W) or a single edge length.
        scale: Range of the crop area as a fraction of the image area.
        ratio: Range of the crop aspect ratio (w / h), sampled log-uniformly.
        interpolation: Interpolation name, or ``'random'`` to pick bilinear or bicubic per image.
    """

    def __init__(
            self,
            size: SizeLike,
            scale: Tuple[float, float] = (0.08, 1.0),
            ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
            interpolation: str = 'bilinear',
    ) -> None:
        self.size = _pair(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f'scale and ratio must be (min, max) ranges, got scale={scale}, ratio={ratio}.')
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.interpolation = 'random' if interpolation == 'random' else str_to_interp_mode(interpolation)

    @staticmethod
    def get_params(
            img_hw: Tuple[int, int],
            scale: Tuple[float, float],
            ratio: Tuple[float, float],
    ) -> Tuple[int, int, int, int]:
        """Sample (top, left, height, width) of a crop; falls back to a centre crop after 10 rejected draws."""
        height, width = img_hw
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * random.uniform(*scale)
            aspect = math.exp(random.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return random.randint(0, height - h), random.randint(0, width - w), h, w
        # fallback: the largest centre crop whose aspect ratio lies within the range
        in_ratio = width / height
        if in_ratio < ratio[0]:
            w, h = width, int(round(width / ratio[0]))
        elif in_ratio > ratio[1]:
            h, w = height, int(round(height * ratio[1]))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> Union[Image.Image, torch.Tensor]:
        top, left, h, w = self.get_params(_image_hw(img), self.scale, self.ratio)
        interp = random.choice(_RANDOM_INTERPOLATION) if self.interpolation == 'random' else self.interpolation
        return F.resized_crop(img, top, left, h, w, list(self.size), interp)

    def __repr__(self) -> str:
        interp = self.interpolation if isinstance(self.interpolation, str) else self.interpolation.value
        return (f'{type(self).__name__}(size={self.size}, scale={self.scale}, ratio={self.ratio}, '
                f'interpolation={interp})')


class MaybeToTensor:
    """PIL image / HWC array -> float CHW tensor in [0, 1]; tensors pass through unchanged."""

    def __call__(self, img: Union[Image.Image, np.ndarray, torch.Tensor]) -> torch.Tensor:
        if isinstance(img, torch.Tensor):
            return img
        return F.to_tensor(img)

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


class MaybePILToTensor:
    """PIL image -> uint8 CHW tensor without scaling (normalisation happens later, on the target device)."""

    def __call__(self, img: Union[Image.Image, np.ndarray, torch.Tensor]) -> torch.Tensor:
        if isinstance(img, torch.Tensor):
            return img
        # np.asarray of a PIL image is read-only and torch wants a writable buffer, so take one copy here
        arr = np.array(img, dtype=np.uint8)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return torch.from_numpy(arr).permute(2, 0, 1)

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


class ToNumpy:
    """PIL image -> uint8 CHW numpy array."""

    def __call__(self, img: Image.Image) -> np.ndarray:
        arr = np.asarray(img, dtype=np.uint8)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return np.ascontiguousarray(arr.transpose(2, 0, 1))

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


def fill_from_mean(mean: Sequence[float]) -> List[int]:
    """Pad colour (0..255 per channel) that equals the normalisation mean, i.e. zero after normalising."""
    return [min(255, round(255 * m)) for m in mean]
