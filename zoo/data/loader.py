"""``create_loader``: dataset + transform + sampler + collation into an iterable of normalised batches.

With ``use_prefetcher=True`` (default) workers only decode, crop and augment in PIL and return uint8 tensors, which
are stacked as uint8 (4x less inter-process traffic than float). :class:`PrefetchLoader` then moves each batch to
the target device (CPU included), converts to float, normalises and applies random erasing there; on CUDA it does
this on a side stream one batch ahead.

Reproducibility: worker ``k`` of an epoch seeds Python's ``random`` (and NumPy's generator with
``worker_seeding='all'``) from the seed torch gives that worker, which derives from the main process' torch RNG;
so ``torch.manual_seed(s)`` before iterating fixes shuffling and augmentation.

Unreadable images: the collate (whichever is used) leaves out samples whose image is an
:class:`~zoo.data.dataset.UnreadableImage` and yields a :class:`Batch`, a plain ``(images, targets)`` tuple that also
carries the left-out samples in ``unreadable``. A batch whose images were all unreadable is empty (size 0), never
filled with other samples.
"""
import functools
import logging
import random
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.utils.data as data
from torch.utils.data.dataloader import default_collate

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.data.dataset import AugMixDataset, UnreadableImage
from zoo.data.distributed_sampler import OrderedDistributedSampler, RepeatAugSampler
from zoo.data.mixup import Mixup
from zoo.data.random_erasing import RandomErasing
from zoo.data.transforms_factory import create_transform

__all__ = ['Batch', 'SkipUnreadableCollate', 'create_loader', 'fast_collate', 'PrefetchLoader', 'unreadable_in']

_logger = logging.getLogger(__name__)

DeviceLike = Union[str, torch.device, None]


def _pin(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.pin_memory()
    if isinstance(value, (list, tuple)):
        return type(value)(_pin(v) for v in value)
    return value


class Batch(tuple):
    """``(images, targets)`` of one loader step, plus the samples left out because their image could not be read.

    Unpacks like a 2-tuple (``x, y = batch``); ``unreadable`` is a tuple of :class:`UnreadableImage`.
    """

    unreadable: Tuple[UnreadableImage, ...]

    def __new__(cls, images: Any, targets: Any, unreadable: Iterable[UnreadableImage] = ()) -> 'Batch':
        batch = super().__new__(cls, (images, targets))
        batch.unreadable = tuple(unreadable)
        return batch

    def __reduce__(self) -> Tuple[Any, ...]:
        # crosses from DataLoader workers to the main process by pickle; keep the attribute
        return Batch, (self[0], self[1], self.unreadable)

    def pin_memory(self) -> 'Batch':
        """Called by the DataLoader's pin-memory thread (it would otherwise rebuild a plain tuple)."""
        return Batch(_pin(self[0]), _pin(self[1]), self.unreadable)


def unreadable_in(batch: Any) -> Tuple[UnreadableImage, ...]:
    """The unreadable samples left out of ``batch`` (none for batches that are not :class:`Batch`)."""
    return getattr(batch, 'unreadable', ())


class SkipUnreadableCollate:
    """Wrap a collate function: leave out unreadable samples and report them on the :class:`Batch`.

    Args:
        collate_fn: The collate for the readable samples.
        empty_shape: (C, H, W) of the empty image tensor returned when no sample of a batch was readable.
        empty_dtype: Its dtype (uint8 before the prefetcher's normalisation, else float32).
    """

    def __init__(self, collate_fn: Callable, empty_shape: Sequence[int], empty_dtype: torch.dtype) -> None:
        self.collate_fn = collate_fn
        self.empty_shape = tuple(empty_shape)
        self.empty_dtype = empty_dtype

    def __call__(self, samples: Sequence[Tuple[Any, Any]]) -> Batch:
        unreadable = [s[0] for s in samples if isinstance(s[0], UnreadableImage)]
        if not unreadable:
            return Batch(*self.collate_fn(samples))
        readable = [s for s in samples if not isinstance(s[0], UnreadableImage)]
        if isinstance(self.collate_fn, Mixup) and len(readable) % 2:
            # mixup pairs samples and needs an even batch: leave one more (readable) sample out of this batch
            readable = readable[:-1]
        if not readable:
            images = torch.empty((0, *self.empty_shape), dtype=self.empty_dtype)
            return Batch(images, torch.empty(0, dtype=torch.int64), unreadable)
        return Batch(*self.collate_fn(readable), unreadable)

    @property
    def mixup_enabled(self) -> bool:
        return bool(getattr(self.collate_fn, 'mixup_enabled', False))

    @mixup_enabled.setter
    def mixup_enabled(self, value: bool) -> None:
        if hasattr(self.collate_fn, 'mixup_enabled'):
            self.collate_fn.mixup_enabled = value


def _stack_targets(targets: Sequence[Any]) -> torch.Tensor:
    if isinstance(targets[0], torch.Tensor) and targets[0].ndim > 0:
        return torch.stack(targets)
    return torch.tensor([int(t) for t in targets], dtype=torch.int64)


def fast_collate(batch: Sequence[Tuple[Any, Any]]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Stack uint8 (C, H, W) samples into a (B, C, H, W) uint8 batch and int64 targets.

    Samples whose image is a tuple (AugMix splits) are laid out split-major: all first views, then all second
    views, ... with the targets repeated to match.
    """
    first = batch[0][0]
    if isinstance(first, (tuple, list)):
        num_splits = len(first)
        imgs = [torch.as_tensor(sample[0][s]) for s in range(num_splits) for sample in batch]
        targets = _stack_targets([sample[1] for sample in batch] * num_splits)
        return torch.stack(imgs), targets
    imgs = torch.stack([torch.as_tensor(sample[0]) for sample in batch])
    return imgs, _stack_targets([sample[1] for sample in batch])


def _resolve_device(device: DeviceLike) -> torch.device:
    if device is None:
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    return torch.device(device)


class PrefetchLoader:
    """Move uint8 batches to ``device``, convert to ``img_dtype``, normalise and random-erase there.

    Args:
        loader: DataLoader yielding (uint8 images, targets).
        mean: Normalisation mean (0..1 scale), one value per channel.
        std: Normalisation std (0..1 scale).
        channels_last: Return channels-last (NHWC-strided) batches.
        device: Target device (CUDA when available, else CPU, when None).
        img_dtype: Output dtype.
        re_prob: Random-erasing probability (0 disables).
        re_mode: Random-erasing fill mode.
        re_count: Maximum random-erasing regions.
        re_num_splits: Batch splits; the first split is not erased.
    """

    def __init__(
            self,
            loader: data.DataLoader,
            mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
            std: Sequence[float] = IMAGENET_DEFAULT_STD,
            channels_last: bool = False,
            device: DeviceLike = None,
            img_dtype: torch.dtype = torch.float32,
            re_prob: float = 0.,
            re_mode: str = 'const',
            re_count: int = 1,
            re_num_splits: int = 0,
    ) -> None:
        self.loader = loader
        self.device = _resolve_device(device)
        self.img_dtype = img_dtype
        # fold the 1/255 scaling into the constants: one subtract and one divide per pixel
        self.mean = torch.tensor([255. * m for m in mean], device=self.device, dtype=torch.float32).view(1, -1, 1, 1)
        self.std = torch.tensor([255. * s for s in std], device=self.device, dtype=torch.float32).view(1, -1, 1, 1)
        self.channels_last = channels_last
        self.random_erasing = RandomErasing(re_prob, mode=re_mode, max_count=re_count, num_splits=re_num_splits,
                                            device=self.device) if re_prob > 0. else None
        self.is_cuda = self.device.type == 'cuda'

    def _process(self, x: torch.Tensor, y: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if x.ndim != 4 or self.mean.shape[1] not in (1, x.shape[1]):
            # broadcasting would silently turn a 1-channel batch into 3 channels
            raise ValueError(f'Batch of shape {tuple(x.shape)} does not match the {self.mean.shape[1]} mean/std '
                             f'values; pass one mean/std value per image channel (input_img_mode / in_chans).')
        x = x.to(self.device, non_blocking=True)
        y = y.to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        # normalise in float32 even for a half img_dtype; a float input batch is taken to be on the 0..255 scale
        x = x.to(torch.float32).sub_(self.mean).div_(self.std)
        if self.random_erasing is not None:
            x = self.random_erasing(x)
        return x.to(self.img_dtype), y

    def __iter__(self) -> Iterator[Batch]:
        if not self.is_cuda:
            for batch in self.loader:
                yield Batch(*self._process(*batch), unreadable_in(batch))
            return
        stream = torch.cuda.Stream(device=self.device)
        pending = None
        for batch in self.loader:
            with torch.cuda.stream(stream):
                nxt = Batch(*self._process(*batch), unreadable_in(batch))
            if pending is not None:
                yield pending
            main_stream = torch.cuda.current_stream(self.device)
            main_stream.wait_stream(stream)
            for t in nxt:
                # the tensors were allocated on the side stream but are consumed on the main one
                t.record_stream(main_stream)
            pending = nxt
        if pending is not None:
            yield pending

    def __len__(self) -> int:
        return len(self.loader)

    @property
    def sampler(self) -> Optional[data.Sampler]:
        return self.loader.sampler

    @property
    def batch_sampler(self) -> Optional[data.Sampler]:
        return self.loader.batch_sampler

    @property
    def dataset(self) -> data.Dataset:
        return self.loader.dataset

    @property
    def mixup_enabled(self) -> bool:
        return bool(getattr(self.loader.collate_fn, 'mixup_enabled', False))

    @mixup_enabled.setter
    def mixup_enabled(self, value: bool) -> None:
        if hasattr(self.loader.collate_fn, 'mixup_enabled'):
            self.loader.collate_fn.mixup_enabled = value


def _worker_init(worker_id: int, worker_seeding: Union[str, Callable[[Any], int]] = 'all') -> None:
    info = data.get_worker_info()
    if callable(worker_seeding):
        seed = int(worker_seeding(info))
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % (2 ** 32))
        return
    # torch already seeded this worker with info.seed (base seed + worker id); align the other generators to it
    random.seed(info.seed)
    if worker_seeding == 'all':
        np.random.seed(info.seed % (2 ** 32))


def _image_shape(input_size: Union[int, Sequence[int]], channels: int) -> Tuple[int, int, int]:
    if isinstance(input_size, int):
        return channels, input_size, input_size
    size = tuple(int(v) for v in input_size)
    return size if len(size) == 3 else (channels, *size[-2:])


def create_loader(
        dataset: data.Dataset,
        input_size: Union[int, Sequence[int]],
        batch_size: int,
        is_training: bool = False,
        use_prefetcher: bool = True,
        no_aug: bool = False,
        re_prob: float = 0.,
        re_mode: str = 'const',
        re_count: int = 1,
        re_split: bool = False,
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
        num_aug_repeats: int = 0,
        num_aug_splits: int = 0,
        interpolation: str = 'bilinear',
        mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        std: Sequence[float] = IMAGENET_DEFAULT_STD,
        num_workers: int = 1,
        distributed: bool = False,
        crop_pct: Optional[float] = None,
        crop_mode: Optional[str] = None,
        collate_fn: Optional[Callable] = None,
        pin_memory: bool = False,
        img_dtype: torch.dtype = torch.float32,
        device: DeviceLike = None,
        channels_last: bool = False,
        persistent_workers: bool = True,
        worker_seeding: Union[str, Callable[[Any], int]] = 'all',
        drop_last: Optional[bool] = None,
) -> Union[PrefetchLoader, data.DataLoader]:
    """Build the data loader; sets ``dataset.transform`` from the augmentation arguments.

    An iterable dataset (:class:`zoo.data.IterableImageDataset`) gets no sampler: it is told the batch size,
    ``drop_last`` and the ranks, and splits each epoch over ranks and workers itself; the loader's length comes from
    its ``num_samples`` / size.

    Args:
        dataset: Map-style dataset with a settable ``transform`` (an :class:`AugMixDataset` for aug splits), or an
            iterable one.
        input_size: Image size: int, (H, W) or (C, H, W).
        batch_size: Samples per batch (per process).
        is_training: Shuffle, augment and drop the last partial batch.
        use_prefetcher: Collate uint8 and normalise / erase on ``device`` (see :class:`PrefetchLoader`).
        no_aug: Disable training augmentation.
        re_prob, re_mode, re_count: Random erasing (training only).
        re_split: Leave the clean AugMix split un-erased.
        train_crop_mode, scale, ratio, hflip, vflip, color_jitter, color_jitter_prob, grayscale_prob,
            gaussian_blur_prob, auto_augment, interpolation, crop_pct, crop_mode: See
            :func:`zoo.data.create_transform`.
        num_aug_repeats: Repeated-augmentation copies per sample (uses :class:`RepeatAugSampler`).
        num_aug_splits: AugMix splits (dataset must be an :class:`AugMixDataset`).
        mean, std: Normalisation (0..1 scale).
        num_workers: DataLoader worker processes.
        distributed: Shard across torch.distributed ranks (for an iterable dataset: split its stream over them).
        collate_fn: Custom collate (e.g. :class:`FastCollateMixup`); default uint8 ``fast_collate`` with the
            prefetcher, torch's ``default_collate`` without.
        pin_memory: Pin host memory (for CUDA).
        img_dtype: Dtype of the normalised batch (prefetcher only).
        device: Device of the batches (prefetcher only); CUDA when available, else CPU.
        channels_last: Channels-last batches (prefetcher only).
        persistent_workers: Keep workers alive between epochs.
        worker_seeding: 'all' (seed torch, random, numpy), 'part' (torch, random) or a callable(worker_info) -> seed.
        drop_last: Drop the last partial batch; defaults to ``is_training``.

    Raises:
        ValueError: ``drop_last`` with fewer samples (per process) than ``batch_size``: the loader would be empty.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
    if not callable(worker_seeding) and worker_seeding not in ('all', 'part'):
        raise ValueError(f"worker_seeding must be 'all', 'part' or a callable, got {worker_seeding!r}.")
    if num_aug_splits > 1 and not isinstance(dataset, AugMixDataset):
        raise ValueError(f'num_aug_splits={num_aug_splits} needs the dataset wrapped in '
                         f'AugMixDataset(dataset, num_splits={num_aug_splits}).')
    if not hasattr(dataset, 'transform'):
        raise TypeError(f'{type(dataset).__name__} has no transform attribute for create_loader to set.')
    re_num_splits = (num_aug_splits or 2) if re_split else 0
    separate = num_aug_splits > 1 and is_training and not no_aug
    dataset.transform = create_transform(
        input_size, is_training=is_training, no_aug=no_aug, train_crop_mode=train_crop_mode, scale=scale, ratio=ratio,
        hflip=hflip, vflip=vflip, color_jitter=color_jitter, color_jitter_prob=color_jitter_prob,
        grayscale_prob=grayscale_prob, gaussian_blur_prob=gaussian_blur_prob, auto_augment=auto_augment,
        interpolation=interpolation, mean=mean, std=std,
        crop_pct=crop_pct, crop_mode=crop_mode, re_prob=re_prob, re_mode=re_mode, re_count=re_count,
        re_num_splits=re_num_splits, separate=separate, use_prefetcher=use_prefetcher)
    if num_aug_splits > 1 and not separate:
        # eval / no-aug: every split gets the plain transform
        dataset.transform = (dataset.transform, None, None)

    drop_last = is_training if drop_last is None else drop_last
    sampler: Optional[data.Sampler] = None
    iterable = isinstance(dataset, data.IterableDataset)
    if iterable:
        if num_aug_repeats:
            raise ValueError('Repeated augmentation (num_aug_repeats / --aug-repeats) needs a map-style dataset; an '
                             'iterable dataset repeats passes with repeats= (--epoch-repeats) instead.')
        # an iterable dataset splits itself over ranks and workers (zoo.data.iterable); it only needs the batching
        if hasattr(dataset, 'set_loader_cfg'):
            dataset.set_loader_cfg(batch_size=batch_size, drop_last=drop_last,
                                   **({} if distributed else {'num_replicas': 1, 'rank': 0}))
    elif distributed:
        if is_training:
            sampler = (RepeatAugSampler(dataset, num_repeats=num_aug_repeats) if num_aug_repeats
                       else data.distributed.DistributedSampler(dataset))
        else:
            sampler = OrderedDistributedSampler(dataset)
    elif num_aug_repeats and is_training:
        sampler = RepeatAugSampler(dataset, num_replicas=1, rank=0, num_repeats=num_aug_repeats)

    if collate_fn is None:
        collate_fn = fast_collate if use_prefetcher else default_collate
    collate_fn = SkipUnreadableCollate(collate_fn, _image_shape(input_size, len(mean)),
                                       torch.uint8 if use_prefetcher else torch.float32)
    loader = data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=sampler is None and is_training and not iterable,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=collate_fn,
        pin_memory=pin_memory,
        drop_last=drop_last,
        worker_init_fn=functools.partial(_worker_init, worker_seeding=worker_seeding),
        persistent_workers=persistent_workers and num_workers > 0,
    )
    if drop_last and len(loader) == 0:
        per_process = len(sampler) if sampler is not None else len(dataset)
        total = dataset.stream_length() if hasattr(dataset, 'stream_length') else len(dataset)
        where = f' ({per_process} per process)' if distributed else ''
        raise ValueError(
            f'The dataset has {total} samples{where}, fewer than batch_size={batch_size} with drop_last: the '
            f'loader would yield no batch and nothing would be trained. Lower the batch size (train.py: -b / '
            f'--batch-size) to at most {per_process}, or use more data.')
    if not use_prefetcher:
        return loader
    return PrefetchLoader(
        loader, mean=mean, std=std, channels_last=channels_last, device=device, img_dtype=img_dtype,
        re_prob=re_prob if is_training and not no_aug else 0., re_mode=re_mode, re_count=re_count,
        re_num_splits=re_num_splits)
