"""Patch-sequence batches of variable-resolution images, for evaluating and running NaFlex ViTs.

Following NaViT ("Patch n' Pack", Dehghani et al., 2023, arXiv:2307.06304) and SigLIP 2's NaFlex variant
(arXiv:2502.14786): each image keeps its aspect ratio and is resized to the largest size whose patch grid fits a
token budget (`max_seq_len`); its patches are flattened in row-major order with their (row, col) coordinates; a
batch pads every sequence to the budget and marks real patches in `patch_valid`.

Only the evaluation side is built here (resize to the budget, normalise, patchify, collate); the training
augmentations and variable patch-size schedules of timm's NaFlex loader are not.
"""
import math
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.utils.data as data
from PIL import Image
from torchvision import transforms
from torchvision.transforms import functional as TF

from zoo.data.loader import SkipUnreadableCollate
from zoo.data.transforms import MaybeToTensor, str_to_interp_mode
from zoo.layers.patchify import batch_patchify

__all__ = ['get_image_size_for_seq', 'ResizeToSequence', 'Patchify', 'PatchBatch', 'NaFlexCollator',
           'transforms_naflex_eval', 'create_naflex_loader', 'naflex_patch_size', 'patchify_images']

SizeT = Union[int, Tuple[int, int]]


def _hw(size: SizeT) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def get_image_size_for_seq(
        image_hw: Tuple[int, int],
        patch_size: SizeT = 16,
        max_seq_len: int = 1024,
        divisible_by_patch: bool = True,
        max_ratio: Optional[float] = None,
        eps: float = 1e-5,
) -> Tuple[float, Tuple[int, int]]:
    """The largest scale of `image_hw` (found by bisection to `eps`) whose patch grid holds at most `max_seq_len`
    patches, and the scaled (h, w) (rounded up to patch multiples when `divisible_by_patch`, at least one patch).

    Args:
        image_hw: image (height, width).
        patch_size: patch side or (h, w).
        max_seq_len: token budget.
        divisible_by_patch: round the size up to whole patches.
        max_ratio: cap on the scale (e.g. 1.0: never upsample).
        eps: bisection tolerance on the scale.
    """
    ph, pw = _hw(patch_size)
    if ph <= 0 or pw <= 0:
        raise ValueError(f'patch_size must be positive, got {patch_size}.')

    def scaled(ratio: float) -> Tuple[int, int]:
        h, w = image_hw[0] * ratio, image_hw[1] * ratio
        if divisible_by_patch:
            h, w = ph * math.ceil(h / ph), pw * math.ceil(w / pw)
        return int(max(h, ph)), int(max(w, pw))

    def fits(ratio: float) -> bool:
        h, w = scaled(ratio)
        return (h // ph) * (w // pw) <= max_seq_len

    # feasibility only shrinks as the scale grows, so bisect on it between (almost) 0 and 100x
    low, high = eps / 10., 100.
    while high - low >= eps:
        mid = (low + high) / 2.
        if fits(mid):
            low = mid
        else:
            high = mid
    ratio = low if max_ratio is None else min(low, max_ratio)
    if ratio <= eps or ratio >= 100.:
        raise ValueError(f'No scale of a {image_hw} image fits {max_seq_len} patches of {ph}x{pw}.')
    return ratio, scaled(ratio)


class ResizeToSequence:
    """Resize an image (PIL or tensor), keeping its aspect ratio, to the largest size within a patch budget.

    Args:
        patch_size: patch side or (h, w).
        max_seq_len: token budget.
        divisible_by_patch: round the size up to whole patches.
        max_ratio: cap on the scale.
        interpolation: resize interpolation name.
    """

    def __init__(self, patch_size: SizeT, max_seq_len: int = 1024, divisible_by_patch: bool = True,
                 max_ratio: Optional[float] = None, interpolation: str = 'bicubic'):
        self.patch_size = patch_size
        self.max_seq_len = max_seq_len
        self.divisible_by_patch = divisible_by_patch
        self.max_ratio = max_ratio
        self.interpolation = str_to_interp_mode(interpolation)

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> Union[Image.Image, torch.Tensor]:
        _, h, w = TF.get_dimensions(img)
        _, size = get_image_size_for_seq((h, w), self.patch_size, self.max_seq_len,
                                         divisible_by_patch=self.divisible_by_patch, max_ratio=self.max_ratio)
        return TF.resize(img, list(size), interpolation=self.interpolation, antialias=True)


class Patchify:
    """An image tensor (C, H, W) -> dict(patches (N, P*P*C), patch_coord (N, 2) (row, col), patch_valid (N,)).

    Args:
        patch_size: patch side or (h, w).
        channels_last: flatten each patch as (ph, pw, C) (the NaFlex models' default) or (C, ph, pw).
    """

    def __init__(self, patch_size: SizeT, channels_last: bool = True):
        self.patch_size = _hw(patch_size)
        self.channels_last = channels_last

    def __call__(self, img: Union[Image.Image, torch.Tensor]) -> dict:
        if isinstance(img, Image.Image):
            img = TF.to_tensor(img)
        patches, (gh, gw) = batch_patchify(img[None], self.patch_size, channels_last=self.channels_last)
        rows, cols = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing='ij')
        coord = torch.stack([rows.flatten(), cols.flatten()], dim=1)
        return {'patches': patches[0], 'patch_coord': coord, 'patch_valid': torch.ones(gh * gw, dtype=torch.bool)}


class PatchBatch(dict):
    """A padded patch batch (`patches`, `patch_coord`, `patch_valid`, `seq_len`) that moves like an image batch.

    Training / evaluation loops written for image tensors call `.to(device)`, `.to(dtype)`, `.contiguous(...)`,
    `.is_floating_point()` and `.shape[0]` on their input; this dict answers them (a dtype reaches only the
    pixels, the coordinates and mask keep theirs), so NaFlex models run under the same loops unchanged.
    """

    @property
    def shape(self) -> torch.Size:
        return self['patches'].shape

    def is_floating_point(self) -> bool:
        return True

    def contiguous(self, memory_format: Any = None) -> 'PatchBatch':
        return self  # patch sequences have no channels-last layout

    def to(self, *args: Any, **kwargs: Any) -> 'PatchBatch':
        dtype = kwargs.pop('dtype', None)
        rest = []
        for arg in args:
            if isinstance(arg, torch.dtype):
                dtype = arg
            else:
                rest.append(arg)
        out = PatchBatch(self)
        for key, value in self.items():
            if isinstance(value, torch.Tensor):
                value = value.to(*rest, **kwargs) if rest or kwargs else value
                if dtype is not None and value.is_floating_point():
                    value = value.to(dtype)
                out[key] = value
        return out


class NaFlexCollator:
    """(patch dict, target) samples -> (PatchBatch padded to `max_seq_len`, targets).

    Args:
        max_seq_len: padded sequence length; longer sequences are cut to it.
    """

    def __init__(self, max_seq_len: int = 576):
        self.max_seq_len = max_seq_len

    def __call__(self, batch: Sequence[Tuple[dict, Any]]) -> Tuple[PatchBatch, torch.Tensor]:
        targets = [t for _, t in batch]
        targets = torch.stack(targets) if isinstance(targets[0], torch.Tensor) else torch.tensor(targets)
        samples = [s for s, _ in batch]
        n, seq = len(samples), self.max_seq_len
        patches = torch.zeros(n, seq, *samples[0]['patches'].shape[1:], dtype=torch.float32)
        coord = torch.zeros(n, seq, 2, dtype=torch.int64)
        valid = torch.zeros(n, seq, dtype=torch.bool)
        for i, sample in enumerate(samples):
            k = min(sample['patches'].shape[0], seq)
            patches[i, :k] = sample['patches'][:k]
            coord[i, :k] = sample['patch_coord'][:k]
            valid[i, :k] = sample['patch_valid'][:k]
        return PatchBatch(patches=patches, patch_coord=coord, patch_valid=valid, seq_len=seq), targets


def transforms_naflex_eval(
        patch_size: SizeT = 16,
        max_seq_len: int = 576,
        interpolation: str = 'bicubic',
        mean: Sequence[float] = (0.5, 0.5, 0.5),
        std: Sequence[float] = (0.5, 0.5, 0.5),
        channels_last: bool = True,
) -> Callable[[Any], dict]:
    """Evaluation transform: resize to the patch budget (no crop), to tensor, normalise, patchify."""
    return transforms.Compose([
        ResizeToSequence(patch_size, max_seq_len, interpolation=interpolation),
        MaybeToTensor(),
        transforms.Normalize(mean=torch.tensor(mean), std=torch.tensor(std)),
        Patchify(patch_size, channels_last=channels_last),
    ])


def naflex_patch_size(model: Any, tta: int = 0, test_pool: bool = False) -> Tuple[int, int]:
    """The patch size to build patch batches for `model`, refusing models and options that cannot take them."""
    get_patch_size = getattr(model, 'get_patch_size', None)
    if get_patch_size is None:
        raise ValueError(f'{type(model).__name__} does not read patch batches; the NaFlex loader is for NaFlex models '
                         f'(naflexvit_*).')
    if tta > 1 or test_pool:
        raise ValueError('Test-time augmentation / pooling work on image tensors; leave them off with the NaFlex loader.')
    return tuple(get_patch_size())


def create_naflex_loader(
        dataset: data.Dataset,
        batch_size: int,
        patch_size: SizeT = 16,
        max_seq_len: int = 576,
        data_config: Optional[Mapping[str, Any]] = None,
        num_workers: int = 2,
        pin_memory: bool = False,
        channels_last: bool = True,
) -> data.DataLoader:
    """An evaluation loader of padded patch batches over a dataset of (image, target) samples (sets its transform).

    Args:
        dataset: a zoo dataset (its `transform` is replaced by the NaFlex eval transform).
        batch_size: images per batch.
        patch_size: the model's patch size (`model.get_patch_size()`).
        max_seq_len: token budget per image and padded length.
        data_config: `interpolation`, `mean`, `std` of the model (`resolve_data_config`); bicubic and 0.5 / 0.5
            when None.
        num_workers: loader processes.
        pin_memory: pin batches in page-locked memory.
        channels_last: flat patch layout of the model (`patchify_channels_last`).
    """
    cfg = dict(interpolation='bicubic', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    cfg.update({k: v for k, v in (data_config or {}).items() if k in cfg})
    dataset.transform = transforms_naflex_eval(patch_size, max_seq_len, channels_last=channels_last, **cfg)
    # unreadable images are left out of their batch and reported on it, as with the image loader
    patch_dim = _hw(patch_size)[0] * _hw(patch_size)[1] * len(cfg['mean'])
    collate = SkipUnreadableCollate(NaFlexCollator(max_seq_len), (max_seq_len, patch_dim), torch.float32)
    return data.DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                           collate_fn=collate, pin_memory=pin_memory, drop_last=False)


def patchify_images(
        images: List[torch.Tensor],
        patch_size: SizeT = 16,
        max_seq_len: Optional[int] = None,
        channels_last: bool = True,
) -> PatchBatch:
    """Already preprocessed image tensors (C, H, W) of any sizes -> one padded PatchBatch (padded to the longest
    sequence unless `max_seq_len` is given)."""
    samples = [(Patchify(patch_size, channels_last)(img), 0) for img in images]
    longest = max(s['patches'].shape[0] for s, _ in samples)
    return NaFlexCollator(max_seq_len or longest)(samples)[0]
