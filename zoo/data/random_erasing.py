"""Random Erasing (Zhong et al., 2017, https://arxiv.org/abs/1708.04896) on normalised tensors.

Runs after normalisation, so erased pixels are filled in the normalised space: zeros ('const', i.e. the dataset
mean), one random normal colour per region ('rand') or per-pixel normal noise ('pixel'). It accepts a single image
(C, H, W) or a batch (B, C, H, W); with ``num_splits`` > 1 the first split of the batch (the clean AugMix/JSD split)
is left untouched.
"""
import math
import random
from typing import Optional, Tuple, Union

import torch

__all__ = ['RandomErasing']

_MODES = ('const', 'rand', 'pixel')


class RandomErasing:
    """Erase 1..``max_count`` random rectangles of an image with probability ``probability``.

    Args:
        probability: Chance that an image gets erased at all.
        min_area: Minimum erased area per image, as a fraction of the image area (split across regions).
        max_area: Maximum erased area per image, as a fraction of the image area.
        min_aspect: Minimum region aspect ratio (h / w); sampled log-uniformly up to ``max_aspect``.
        max_aspect: Maximum aspect ratio; ``1 / min_aspect`` when None.
        mode: Fill: 'const' (zeros), 'rand' (per-region normal colour) or 'pixel' (per-pixel normal noise).
        min_count: Minimum regions per erased image.
        max_count: Maximum regions per erased image (defaults to ``min_count``).
        num_splits: Number of batch splits; the first split is not erased.
        device: Device for the generated fill values (the input's device is used when it is a tensor).
    """

    def __init__(
            self,
            probability: float = 0.5,
            min_area: float = 0.02,
            max_area: float = 1 / 3,
            min_aspect: float = 0.3,
            max_aspect: Optional[float] = None,
            mode: str = 'const',
            min_count: int = 1,
            max_count: Optional[int] = None,
            num_splits: int = 0,
            device: Union[str, torch.device] = 'cpu',
    ) -> None:
        if not 0. <= probability <= 1.:
            raise ValueError(f'RandomErasing probability must be in [0, 1], got {probability}.')
        mode = mode.lower()
        if mode not in _MODES:
            raise ValueError(f'RandomErasing mode must be one of {_MODES}, got {mode!r}.')
        if not 0 < min_area <= max_area <= 1:
            raise ValueError(f'Need 0 < min_area <= max_area <= 1, got {min_area}, {max_area}.')
        self.probability = probability
        self.min_area = min_area
        self.max_area = max_area
        max_aspect = max_aspect or 1 / min_aspect
        self.log_aspect_ratio = (math.log(min_aspect), math.log(max_aspect))
        self.min_count = int(min_count)
        self.max_count = int(max_count or min_count)
        if not 1 <= self.min_count <= self.max_count:
            raise ValueError(f'Need 1 <= min_count <= max_count, got {min_count}, {max_count}.')
        self.num_splits = num_splits
        self.mode = mode
        self.device = device

    def _fill(self, shape: tuple, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        if self.mode == 'pixel':
            return torch.empty(shape, dtype=dtype, device=device).normal_()
        if self.mode == 'rand':
            return torch.empty((shape[0], 1, 1), dtype=dtype, device=device).normal_()
        return torch.zeros((shape[0], 1, 1), dtype=dtype, device=device)

    def _draw_box(self, img_h: int, img_w: int, area: int, count: int) -> Optional[Tuple[int, int, int, int]]:
        """One region ``(top, left, h, w)``, or None when 10 (area, aspect) draws give no box inside the image."""
        for _ in range(10):
            target_area = random.uniform(self.min_area, self.max_area) * area / count
            aspect = math.exp(random.uniform(*self.log_aspect_ratio))
            # h * w = target_area and h / w = aspect
            h, w = int(round(math.sqrt(target_area * aspect))), int(round(math.sqrt(target_area / aspect)))
            if 0 < h < img_h and 0 < w < img_w:
                return random.randint(0, img_h - h), random.randint(0, img_w - w), h, w
        return None

    def _erase(self, img: torch.Tensor) -> None:
        if random.random() > self.probability:
            return
        _, img_h, img_w = img.shape
        # randint consumes a draw even for an empty range, so a fixed count must not call it (same draws as timm)
        count = random.randint(self.min_count, self.max_count) if self.max_count > self.min_count else self.min_count
        # python's `random` places the boxes and torch's generator the fill, so all boxes can be drawn first
        boxes = [self._draw_box(img_h, img_w, img_h * img_w, count) for _ in range(count)]
        for top, left, h, w in filter(None, boxes):
            region = img[:, top:top + h, left:left + w]
            region.copy_(self._fill(region.shape, img.dtype, img.device))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Erase in place and return ``x`` (a (C, H, W) image or a (B, C, H, W) batch)."""
        if not x.is_floating_point():
            raise TypeError(f'RandomErasing expects a normalised float tensor, got {x.dtype}; apply it after '
                            f'normalisation (the prefetching loader does this for uint8 batches).')
        if x.ndim == 3:
            self._erase(x)
        elif x.ndim == 4:
            batch_size = x.shape[0]
            start = batch_size // self.num_splits if self.num_splits > 1 else 0
            for i in range(start, batch_size):
                self._erase(x[i])
        else:
            raise ValueError(f'RandomErasing expects (C, H, W) or (B, C, H, W), got shape {tuple(x.shape)}.')
        return x

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(p={self.probability}, mode={self.mode}, count=({self.min_count}, '
                f'{self.max_count}), area=({self.min_area}, {self.max_area:.3f}), num_splits={self.num_splits})')
