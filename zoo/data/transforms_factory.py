"""``create_transform``: the train / eval image pipelines, from a data config.

Eval: resize to ``size / crop_pct``, then crop to ``size``:

* ``center``: resize the shorter edge (aspect kept), centre crop; the border is lost.
* ``squash``: resize both edges independently (aspect not kept), centre crop.
* ``border``: resize the longer edge (aspect kept), centre crop / pad with the mean colour; nothing is lost
  when ``crop_pct`` is 1.

Train: a crop (``train_crop_mode``: 'rrc' random-resized crop, the default; 'rkrc' / 'rkrr' resize keeping the aspect
ratio with a random zoom and aspect change, then a centre / random crop padded by reflection), flips, then either an
auto-augment policy (RandAugment / AutoAugment / AugMix) or colour jitter (jitter is skipped when a policy is set, as
the policies already cover colour; ``color_jitter_prob`` applies it to only that fraction of images), random
grayscale (``grayscale_prob``) and Gaussian blur (``gaussian_blur_prob``), then to tensor, normalise and random
erasing. With ``use_prefetcher=True`` the pipeline stops at a uint8 tensor and the loader normalises and
erases on the device.
"""
import math
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import torch
from torchvision import transforms

from zoo.constants import DEFAULT_CROP_MODE, DEFAULT_CROP_PCT, IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.data.auto_augment import augment_and_mix_transform, auto_augment_transform, rand_augment_transform
from zoo.data.random_erasing import RandomErasing
from zoo.data.transforms import (
    CenterCropOrPad, MaybePILToTensor, MaybeToTensor, RandomCropOrPad, RandomResizedCropAndInterpolation,
    RandomResizeKeepRatio, ResizeKeepRatio, fill_from_mean, str_to_interp_mode, str_to_pil_interp,
)

__all__ = [
    'TRAIN_CROP_MODES', 'create_transform', 'transforms_imagenet_train', 'transforms_imagenet_eval',
    'transforms_noaug_train',
]

TRAIN_CROP_MODES = ('rrc', 'rkrc', 'rkrr')

SizeLike = Union[int, Sequence[int]]
Transform = Callable[[Any], Any]


def _img_size(input_size: SizeLike) -> Tuple[int, int]:
    if isinstance(input_size, int):
        return input_size, input_size
    size = tuple(int(v) for v in input_size)
    if len(size) == 3:
        return size[1], size[2]
    if len(size) == 2:
        return size
    if len(size) == 1:
        return size[0], size[0]
    raise ValueError(f'input_size must be an int, (H, W) or (C, H, W), got {input_size!r}.')


def _to_tensor_tfl(use_prefetcher: bool, normalize: bool, mean: Sequence[float], std: Sequence[float]) -> list:
    if use_prefetcher or not normalize:
        return [MaybePILToTensor()]
    return [MaybeToTensor(), transforms.Normalize(mean=torch.tensor(mean), std=torch.tensor(std))]


def transforms_noaug_train(
        img_size: Tuple[int, int],
        interpolation: str = 'bilinear',
        mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        std: Sequence[float] = IMAGENET_DEFAULT_STD,
        use_prefetcher: bool = False,
        normalize: bool = True,
) -> transforms.Compose:
    """Training without augmentation: shorter-edge resize to the crop size and a centre crop."""
    interp = 'bilinear' if interpolation == 'random' else interpolation
    tfl = [ResizeKeepRatio(img_size, interpolation=interp), transforms.CenterCrop(img_size)]
    return transforms.Compose(tfl + _to_tensor_tfl(use_prefetcher, normalize, mean, std))


def _auto_augment(auto_augment: str, img_size: Tuple[int, int], interpolation: str,
                  mean: Sequence[float]) -> Transform:
    hparams: Dict[str, Any] = dict(translate_const=int(min(img_size) * 0.45), img_mean=tuple(fill_from_mean(mean)))
    if interpolation and interpolation != 'random':
        hparams['interpolation'] = str_to_pil_interp(interpolation)
    if auto_augment.startswith('rand'):
        return rand_augment_transform(auto_augment, hparams)
    if auto_augment.startswith('augmix'):
        hparams['translate_pct'] = 0.3
        return augment_and_mix_transform(auto_augment, hparams)
    return auto_augment_transform(auto_augment, hparams)


def _train_crop(img_size: Tuple[int, int], mode: str, scale: Optional[Tuple[float, float]],
                ratio: Optional[Tuple[float, float]], interpolation: str) -> list:
    if mode == 'rrc':
        return [RandomResizedCropAndInterpolation(img_size, scale=tuple(scale or (0.08, 1.0)),
                                                  ratio=tuple(ratio or (3. / 4., 4. / 3.)),
                                                  interpolation=interpolation)]
    if mode not in TRAIN_CROP_MODES:
        raise ValueError(f'train_crop_mode must be one of {", ".join(TRAIN_CROP_MODES)}, got {mode!r}.')
    # milder defaults than the random-resized crop: the resize keeps the whole picture in view
    resize = RandomResizeKeepRatio(img_size, scale=tuple(scale or (0.8, 1.0)), ratio=tuple(ratio or (0.9, 1 / 0.9)),
                                   interpolation=interpolation)
    crop = (CenterCropOrPad if mode == 'rkrc' else RandomCropOrPad)(img_size, padding_mode='reflect')
    return [resize, crop]


def _blur_kernel(img_size: Tuple[int, int]) -> int:
    """Odd Gaussian-blur kernel of about a tenth of the image (23 px at 224 px, 3 px at least)."""
    return max(3, int(0.1 * min(img_size)) // 2 * 2 + 1)


def transforms_imagenet_train(
        img_size: Tuple[int, int],
        scale: Optional[Tuple[float, float]] = None,
        ratio: Optional[Tuple[float, float]] = None,
        train_crop_mode: Optional[str] = None,
        hflip: float = 0.5,
        vflip: float = 0.,
        color_jitter: Union[float, Sequence[float], None] = 0.4,
        color_jitter_prob: Optional[float] = None,
        grayscale_prob: float = 0.,
        gaussian_blur_prob: float = 0.,
        auto_augment: Optional[str] = None,
        interpolation: str = 'random',
        mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        std: Sequence[float] = IMAGENET_DEFAULT_STD,
        re_prob: float = 0.,
        re_mode: str = 'const',
        re_count: int = 1,
        re_num_splits: int = 0,
        use_prefetcher: bool = False,
        normalize: bool = True,
        separate: bool = False,
) -> Union[transforms.Compose, Tuple[transforms.Compose, transforms.Compose, transforms.Compose]]:
    """Training pipeline; see :func:`create_transform` for the arguments."""
    primary = _train_crop(img_size, train_crop_mode or 'rrc', scale, ratio, interpolation)
    if hflip > 0.:
        primary.append(transforms.RandomHorizontalFlip(p=hflip))
    if vflip > 0.:
        primary.append(transforms.RandomVerticalFlip(p=vflip))

    secondary = []
    if auto_augment:
        if not isinstance(auto_augment, str):
            raise TypeError(f'auto_augment must be a config string like "rand-m9-mstd0.5", got {auto_augment!r}.')
        secondary.append(_auto_augment(auto_augment, img_size, interpolation, mean))
    elif color_jitter:
        jitter = (float(color_jitter),) * 3 if isinstance(color_jitter, (int, float)) else tuple(color_jitter)
        if len(jitter) not in (3, 4):
            raise ValueError(f'color_jitter must be a float or 3/4 values (brightness, contrast, saturation[, hue]), '
                             f'got {color_jitter!r}.')
        jitter_tf = transforms.ColorJitter(*jitter)
        secondary.append(jitter_tf if color_jitter_prob is None
                         else transforms.RandomApply([jitter_tf], p=color_jitter_prob))
    if grayscale_prob:
        secondary.append(transforms.RandomGrayscale(p=grayscale_prob))
    if gaussian_blur_prob:
        secondary.append(transforms.RandomApply([transforms.GaussianBlur(_blur_kernel(img_size))],
                                                p=gaussian_blur_prob))

    final = _to_tensor_tfl(use_prefetcher, normalize, mean, std)
    if re_prob > 0. and not use_prefetcher and normalize:
        final.append(RandomErasing(re_prob, mode=re_mode, max_count=re_count, num_splits=re_num_splits))

    if separate:
        return transforms.Compose(primary), transforms.Compose(secondary), transforms.Compose(final)
    return transforms.Compose(primary + secondary + final)


def transforms_imagenet_eval(
        img_size: Tuple[int, int],
        crop_pct: Optional[float] = None,
        crop_mode: Optional[str] = None,
        interpolation: str = 'bilinear',
        mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        std: Sequence[float] = IMAGENET_DEFAULT_STD,
        use_prefetcher: bool = False,
        normalize: bool = True,
) -> transforms.Compose:
    """Eval pipeline: resize to ``img_size / crop_pct`` then crop per ``crop_mode``, to tensor, normalise."""
    crop_pct = crop_pct or DEFAULT_CROP_PCT
    crop_mode = crop_mode or DEFAULT_CROP_MODE
    if interpolation == 'random':
        interpolation = 'bilinear'
    scale_size = tuple(math.floor(s / crop_pct) for s in img_size)
    if crop_mode == 'squash':
        tfl = [transforms.Resize(scale_size, interpolation=str_to_interp_mode(interpolation)),
               transforms.CenterCrop(img_size)]
    elif crop_mode == 'border':
        tfl = [ResizeKeepRatio(scale_size, longest=1.0, interpolation=interpolation),
               CenterCropOrPad(img_size, fill=fill_from_mean(mean))]
    elif crop_mode == 'center':
        if scale_size[0] == scale_size[1]:
            # a scalar size makes torchvision resize the shorter edge with its own (truncating) rounding of the
            # longer edge, which is what pretrained weights were evaluated with
            resize = transforms.Resize(scale_size[0], interpolation=str_to_interp_mode(interpolation))
        else:
            resize = ResizeKeepRatio(scale_size, interpolation=interpolation)
        tfl = [resize, transforms.CenterCrop(img_size)]
    else:
        raise ValueError(f"crop_mode must be 'center', 'squash' or 'border', got {crop_mode!r}.")
    return transforms.Compose(tfl + _to_tensor_tfl(use_prefetcher, normalize, mean, std))


def create_transform(
        input_size: SizeLike,
        is_training: bool = False,
        no_aug: bool = False,
        train_crop_mode: Optional[str] = None,
        scale: Optional[Tuple[float, float]] = None,
        ratio: Optional[Tuple[float, float]] = None,
        hflip: float = 0.5,
        vflip: float = 0.,
        color_jitter: Union[float, Sequence[float], None] = 0.4,
        color_jitter_prob: Optional[float] = None,
        grayscale_prob: float = 0.,
        gaussian_blur_prob: float = 0.,
        auto_augment: Optional[str] = None,
        interpolation: str = 'bilinear',
        mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        std: Sequence[float] = IMAGENET_DEFAULT_STD,
        crop_pct: Optional[float] = None,
        crop_mode: Optional[str] = None,
        re_prob: float = 0.,
        re_mode: str = 'const',
        re_count: int = 1,
        re_num_splits: int = 0,
        separate: bool = False,
        use_prefetcher: bool = False,
        normalize: bool = True,
) -> Union[transforms.Compose, Tuple[transforms.Compose, ...]]:
    """Build the image transform for training or evaluation.

    Args:
        input_size: Output size: int, (H, W) or (C, H, W).
        is_training: Training (augmenting) pipeline instead of eval.
        no_aug: With ``is_training``, resize + centre crop only.
        train_crop_mode: Training crop: 'rrc' (random-resized crop, default), 'rkrc' (aspect-keeping resize with
            random zoom / aspect, centre crop or reflect-pad) or 'rkrr' (the same with a random crop position).
        scale: Crop area range (default (0.08, 1) for 'rrc', (0.8, 1) for 'rkrc' / 'rkrr').
        ratio: Crop aspect range (default (3/4, 4/3) for 'rrc', (0.9, 1/0.9) for 'rkrc' / 'rkrr').
        hflip: Horizontal flip probability.
        vflip: Vertical flip probability.
        color_jitter: Brightness/contrast/saturation[/hue] jitter (float for all three); off with auto_augment.
        color_jitter_prob: Apply the colour jitter to this fraction of images only (None: to all).
        grayscale_prob: Probability of converting an image to grayscale (kept as 3 channels).
        gaussian_blur_prob: Probability of a Gaussian blur (sigma 0.1-2, kernel about a tenth of the image).
        auto_augment: Policy string: 'rand-...', 'augmix-...', or an AutoAugment policy ('original', 'v0', ...).
        interpolation: Resize interpolation name ('random' picks bilinear/bicubic per image in training).
        mean: Normalisation mean (0..1 scale).
        std: Normalisation std (0..1 scale).
        crop_pct: Eval crop fraction (default 0.875).
        crop_mode: Eval crop mode: 'center', 'squash' or 'border'.
        re_prob: Random-erasing probability (training; done by the loader when ``use_prefetcher``).
        re_mode: Random-erasing fill mode.
        re_count: Maximum random-erasing regions.
        re_num_splits: Batch splits for random erasing (AugMix).
        separate: Return (primary, secondary, final) training transforms for :class:`AugMixDataset`.
        use_prefetcher: Stop at a uint8 tensor; the prefetching loader normalises on the device.
        normalize: Normalise (when not using the prefetcher).
    """
    img_size = _img_size(input_size)
    if is_training and no_aug:
        if separate:
            raise ValueError('separate=True needs augmentation; it cannot be combined with no_aug=True.')
        return transforms_noaug_train(img_size, interpolation=interpolation, mean=mean, std=std,
                                      use_prefetcher=use_prefetcher, normalize=normalize)
    if is_training:
        return transforms_imagenet_train(
            img_size, scale=scale, ratio=ratio, train_crop_mode=train_crop_mode, hflip=hflip, vflip=vflip,
            color_jitter=color_jitter, color_jitter_prob=color_jitter_prob, grayscale_prob=grayscale_prob,
            gaussian_blur_prob=gaussian_blur_prob, auto_augment=auto_augment, interpolation=interpolation, mean=mean,
            std=std, re_prob=re_prob,
            re_mode=re_mode, re_count=re_count, re_num_splits=re_num_splits, use_prefetcher=use_prefetcher,
            normalize=normalize, separate=separate)
    if separate:
        raise ValueError('separate=True only applies to training transforms (is_training=True).')
    return transforms_imagenet_eval(img_size, crop_pct=crop_pct, crop_mode=crop_mode, interpolation=interpolation,
                                    mean=mean, std=std, use_prefetcher=use_prefetcher, normalize=normalize)
