"""Mixup (Zhang et al., 2017, https://arxiv.org/abs/1710.09412) and CutMix (Yun et al., 2019,
https://arxiv.org/abs/1905.04899) on batches, with soft (optionally label-smoothed) targets.

Each sample is mixed with its mirror in the batch (sample ``i`` with ``B - 1 - i``), so no extra data is drawn.
Modes: 'batch' (one lambda for the batch), 'pair' (one per mirrored pair), 'elem' (one per sample). For CutMix the
lambda is corrected to the pasted area when ``correct_lam`` (always when ``cutmix_minmax`` is set), so the target
weights equal the pixel fractions. Randomness comes from NumPy's global generator.
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

__all__ = ['Mixup', 'FastCollateMixup', 'mixup_target', 'one_hot', 'rand_bbox']

_MODES = ('batch', 'pair', 'elem')
Box = Tuple[int, int, int, int]


def one_hot(target: torch.Tensor, num_classes: int, on_value: float = 1., off_value: float = 0.) -> torch.Tensor:
    """(B,) integer labels -> (B, num_classes) float targets."""
    out = torch.full((target.shape[0], num_classes), off_value, device=target.device, dtype=torch.float32)
    return out.scatter_(1, target.long().view(-1, 1), on_value)


def mixup_target(
        target: torch.Tensor,
        num_classes: int,
        lam: Union[float, torch.Tensor] = 1.,
        smoothing: float = 0.,
) -> torch.Tensor:
    """Soft targets ``lam * y_i + (1 - lam) * y_mirror`` with label smoothing; every row sums to 1.

    Args:
        target: (B,) integer labels.
        num_classes: Number of classes.
        lam: Weight of each sample's own label: a float or a (B,) tensor.
        smoothing: Label-smoothing mass spread uniformly over all classes.
    """
    off = smoothing / num_classes
    on = 1. - smoothing + off
    y1 = one_hot(target, num_classes, on, off)
    y2 = one_hot(target.flip(0), num_classes, on, off)
    if isinstance(lam, torch.Tensor):
        lam = lam.to(y1.device, torch.float32).view(-1, 1)
    return y1 * lam + y2 * (1. - lam)


def rand_bbox(
        img_hw: Tuple[int, int],
        lam: float,
        minmax: Optional[Sequence[float]] = None,
) -> Box:
    """Random CutMix box (y0, y1, x0, x1).

    Without ``minmax`` the box has edges ``sqrt(1 - lam)`` times the image edges around a uniform centre, clipped
    to the image (so the real area can be smaller). With ``minmax`` each edge is uniform in
    [min, max] * edge and the box lies fully inside the image.
    """
    img_h, img_w = img_hw
    if minmax is not None:
        if len(minmax) != 2 or not 0 < minmax[0] <= minmax[1] <= 1:
            raise ValueError(f'cutmix_minmax must be (min, max) fractions in (0, 1], got {minmax!r}.')
        cut_h = np.random.randint(int(img_h * minmax[0]), int(img_h * minmax[1]) + 1)
        cut_w = np.random.randint(int(img_w * minmax[0]), int(img_w * minmax[1]) + 1)
        y0 = np.random.randint(0, img_h - cut_h + 1)
        x0 = np.random.randint(0, img_w - cut_w + 1)
        return int(y0), int(y0 + cut_h), int(x0), int(x0 + cut_w)
    cut_rat = np.sqrt(1. - lam)
    cut_h, cut_w = int(img_h * cut_rat), int(img_w * cut_rat)
    cy, cx = np.random.randint(img_h), np.random.randint(img_w)
    y0, y1 = np.clip(cy - cut_h // 2, 0, img_h), np.clip(cy + cut_h // 2, 0, img_h)
    x0, x1 = np.clip(cx - cut_w // 2, 0, img_w), np.clip(cx + cut_w // 2, 0, img_w)
    return int(y0), int(y1), int(x0), int(x1)


class Mixup:
    """Mixup / CutMix for a (B, C, H, W) float batch and (B,) integer targets.

    Args:
        mixup_alpha: Beta(alpha, alpha) parameter for Mixup; 0 disables Mixup.
        cutmix_alpha: Beta parameter for CutMix; 0 disables CutMix (unless ``cutmix_minmax`` is set).
        cutmix_minmax: (min, max) box edge fractions; replaces the Beta-sampled box size.
        prob: Probability of mixing a batch / pair / element at all.
        switch_prob: Probability of CutMix instead of Mixup when both are enabled.
        mode: 'batch', 'pair' or 'elem'.
        correct_lam: Recompute lambda from the clipped CutMix box area.
        label_smoothing: Label smoothing applied to the soft targets.
        num_classes: Number of classes of the soft targets.
    """

    def __init__(
            self,
            mixup_alpha: float = 1.,
            cutmix_alpha: float = 0.,
            cutmix_minmax: Optional[Sequence[float]] = None,
            prob: float = 1.0,
            switch_prob: float = 0.5,
            mode: str = 'batch',
            correct_lam: bool = True,
            label_smoothing: float = 0.1,
            num_classes: int = 1000,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f'Mixup mode must be one of {_MODES}, got {mode!r}.')
        if num_classes < 1:
            raise ValueError(f'Mixup needs num_classes >= 1 to build soft targets, got {num_classes}.')
        self.mixup_alpha = float(mixup_alpha)
        self.cutmix_alpha = float(cutmix_alpha)
        self.cutmix_minmax = tuple(cutmix_minmax) if cutmix_minmax is not None else None
        if self.cutmix_minmax is not None:
            # a min/max box fixes its own size, so Beta sampling only decides whether cutmix fires
            self.cutmix_alpha = 1.0
        self.mix_prob = float(prob)
        self.switch_prob = float(switch_prob)
        self.mode = mode
        self.correct_lam = correct_lam or self.cutmix_minmax is not None
        self.label_smoothing = float(label_smoothing)
        self.num_classes = int(num_classes)
        self.mixup_enabled = True  # training scripts switch this off for the last epochs

    # ---- sampling -------------------------------------------------------------------------------------------------
    def _sample(self, n: int) -> Tuple[np.ndarray, np.ndarray]:
        """Per-draw lambdas and cutmix flags for ``n`` draws."""
        lam = np.ones(n, dtype=np.float64)
        use_cutmix = np.zeros(n, dtype=bool)
        if not self.mixup_enabled or (self.mixup_alpha <= 0 and self.cutmix_alpha <= 0):
            return lam, use_cutmix
        if self.mixup_alpha > 0 and self.cutmix_alpha > 0:
            use_cutmix = np.random.rand(n) < self.switch_prob
            lam_mix = np.where(use_cutmix, np.random.beta(self.cutmix_alpha, self.cutmix_alpha, size=n),
                               np.random.beta(self.mixup_alpha, self.mixup_alpha, size=n))
        elif self.mixup_alpha > 0:
            lam_mix = np.random.beta(self.mixup_alpha, self.mixup_alpha, size=n)
        else:
            use_cutmix = np.ones(n, dtype=bool)
            lam_mix = np.random.beta(self.cutmix_alpha, self.cutmix_alpha, size=n)
        apply = np.random.rand(n) < self.mix_prob
        lam = np.where(apply, lam_mix, 1.)
        use_cutmix &= apply
        return lam, use_cutmix

    def _box(self, img_hw: Tuple[int, int], lam: float) -> Tuple[Box, float]:
        box = rand_bbox(img_hw, lam, self.cutmix_minmax)
        if self.correct_lam:
            y0, y1, x0, x1 = box
            lam = 1. - (y1 - y0) * (x1 - x0) / float(img_hw[0] * img_hw[1])
        return box, lam

    # ---- mixing ---------------------------------------------------------------------------------------------------
    def _mix_(self, x: torch.Tensor) -> torch.Tensor:
        """Mix the float batch ``x`` in place; returns the (B,) lambda of each sample's own image."""
        batch_size = x.shape[0]
        if batch_size % 2 != 0:
            raise ValueError(f'Mixup/CutMix needs an even batch size (got {batch_size}); use drop_last=True on '
                             f'the training loader.')
        img_hw = (x.shape[-2], x.shape[-1])
        if self.mode == 'batch':
            lam_arr, cut_arr = self._sample(1)
            lam, use_cutmix = float(lam_arr[0]), bool(cut_arr[0])
            if lam < 1.:
                if use_cutmix:
                    (y0, y1, x0, x1), lam = self._box(img_hw, lam)
                    x[:, :, y0:y1, x0:x1] = x.flip(0)[:, :, y0:y1, x0:x1]
                else:
                    mirrored = x.flip(0).mul_(1. - lam)  # flip copies, so take it before x changes in place
                    x.mul_(lam).add_(mirrored)
            return torch.full((batch_size,), lam, dtype=torch.float32)

        n_draws = batch_size if self.mode == 'elem' else batch_size // 2
        lam_arr, cut_arr = self._sample(n_draws)
        lams = np.ones(batch_size, dtype=np.float64)
        x_orig = x.clone()
        boxes: List[Optional[Box]] = [None] * batch_size
        for i in range(batch_size):
            j = batch_size - 1 - i
            d = i if self.mode == 'elem' else min(i, j)
            lam = float(lam_arr[d])
            if lam >= 1.:
                continue
            if cut_arr[d]:
                # in pair mode both members of a pair swap the same box
                if self.mode == 'pair' and i > j:
                    box, lam = boxes[j], lams[j]
                else:
                    box, lam = self._box(img_hw, lam)
                boxes[i] = box
                y0, y1, x0, x1 = box
                x[i, :, y0:y1, x0:x1] = x_orig[j, :, y0:y1, x0:x1]
            else:
                x[i] = x_orig[i] * lam + x_orig[j] * (1. - lam)
            lams[i] = lam
        return torch.from_numpy(lams.astype(np.float32))

    def __call__(self, x: torch.Tensor, target: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mix ``x`` in place and return it with (B, num_classes) soft targets."""
        if not x.is_floating_point():
            raise TypeError(f'Mixup expects a float batch, got {x.dtype}; use FastCollateMixup for uint8 batches.')
        lam = self._mix_(x)
        return x, mixup_target(target, self.num_classes, lam.to(x.device), self.label_smoothing)


class FastCollateMixup(Mixup):
    """Collate function that stacks uint8 samples and applies Mixup/CutMix on the uint8 batch.

    Mixed pixels are rounded back to uint8; CutMix regions are copied exactly. Use as ``collate_fn`` with the
    prefetching loader, which normalises on the device afterwards.
    """

    def __call__(self, batch: Sequence[Tuple[Union[torch.Tensor, np.ndarray], int]],
                 _: Optional[object] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        if isinstance(batch[0][0], (tuple, list)):
            raise NotImplementedError('FastCollateMixup does not support AugMix split samples; disable mixup or '
                                      'num_aug_splits.')
        imgs = torch.stack([torch.as_tensor(b[0]) for b in batch])
        targets = torch.tensor([int(b[1]) for b in batch], dtype=torch.int64)
        x = imgs.float()
        lam = self._mix_(x)
        out = x.round_().clamp_(0, 255).to(imgs.dtype)
        return out, mixup_target(targets, self.num_classes, lam, self.label_smoothing)
