"""Streamed image datasets (webdataset shards, streamed HF datasets), split exactly over ranks and loader workers.

An :class:`IterableReader` yields the samples of one *pass* over its data in an order it controls (for shards: the
shard order, shuffled per pass when training). :class:`IterableImageDataset` turns passes into epochs and splits each
epoch between DDP ranks and DataLoader workers.

How an epoch is split (every rank computes the same plan; nothing is exchanged):

1. The epoch is a stream of ``L = max(1, repeats) * (num_samples or N)`` samples (``N``: samples in one pass); it is
   pass 0, then pass 1, ... cut at ``L``. Each pass has its own shard order when training (seeded by ``seed``,
   epoch and pass), so ``num_samples < N`` takes a different subset each epoch.
2. Rank ``r`` of ``R`` takes the contiguous stream slice ``[r * L // R, (r + 1) * L // R)``; slices differ by at most
   one sample and cover the stream exactly once, whatever the number of shards (a slice may start or end inside a
   shard: the reader seeks to the sample).
3. With ``drop_last`` (the default when training) every rank keeps only the first ``(L // R) // B * B`` samples of
   its slice, so all ranks run the same number of full batches (DDP needs equal step counts); the at most
   ``R * B - 1`` samples left over are not used that epoch, and since the shard order changes every epoch, they are
   different ones each time. Without ``drop_last`` (evaluation) every sample is used exactly once and the last
   batch of a rank may be short.
4. The rank's samples are cut into batches of ``B`` and worker ``w`` of ``W`` reads the contiguous batches
   ``[w * nb // W, (w + 1) * nb // W)``; a worker's batches are therefore full except the rank's last one, and the
   loader's length (``ceil`` or ``floor`` of samples / ``B``) is exact.
5. Within a worker, a shuffle buffer (training only) mixes the samples read in order.

Bad input: an image that cannot be decoded, a sample without an image member, an unparsable label, or samples lost
to a truncated shard are skipped *and counted*: each gives an :class:`~zoo.data.dataset.UnreadableImage` in place
of its image (the loader's collate leaves it out of the batch and reports it, so ``train.py``'s
``--max-unreadable-fraction`` applies), a warning naming the member, and one more in ``dataset.num_skipped`` (shared
by the loader's worker processes). Positions never shift, so the split above stays exact.
"""
import io
import json
import logging
import multiprocessing
import multiprocessing.context
import os
import random
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

import torch.distributed as dist
import torch.utils.data as data

from zoo.data.dataset import _DECODE_ERRORS, ClassNamesMixin, UnreadableImage, load_image_source
from zoo.data.readers import IMG_EXTENSIONS, ClassMapLike, load_class_map
from zoo.data.wds import (
    CLASSES_FILE, iter_shard_samples, read_info, resolve_shards, shard_list_summary, shard_num_samples,
)

__all__ = [
    'IterableImageDataset', 'IterableReader', 'RawSample', 'ReaderWds', 'ShardedReader', 'epoch_plan', 'exactly',
]

_logger = logging.getLogger(__name__)

# the usual webdataset image members first, then whatever else write_shards may have stored
IMAGE_KEYS = tuple(dict.fromkeys(('jpg', 'jpeg', 'png', 'webp') + tuple(e.lstrip('.') for e in IMG_EXTENSIONS)))
TARGET_KEYS = ('cls', 'label')


class RawSample(NamedTuple):
    """One sample as a reader yields it: an image source (bytes, PIL image or array), a label, a name, an error."""
    image: Any
    target: Optional[int]
    name: str
    error: Optional[str] = None


class IterableReader:
    """Base class: a sequence of samples read in order, one pass at a time."""

    class_to_idx: Dict[str, int]

    def __len__(self) -> int:
        """Samples in one pass."""
        raise NotImplementedError

    def iter_range(self, start: int, stop: int, order_seed: Optional[int]) -> Iterator[RawSample]:
        """Samples ``start <= i < stop`` of a pass; ``order_seed`` None keeps the stored order, an int picks the
        pass' shuffled order (the same int gives the same order in every process). Yields exactly ``stop - start``
        items (samples that cannot be read come with ``error`` set)."""
        raise NotImplementedError


def exactly(samples: Iterable[RawSample], count: int, where: str) -> Iterator[RawSample]:
    """``count`` samples: the first ``count`` of ``samples``, then error items for any that are missing.

    A source that ends early (a truncated or rewritten shard) must not shift the positions every rank and worker
    agreed on, so the lost samples are reported as unreadable instead.
    """
    produced = 0
    for sample in samples:
        if produced == count:
            return
        produced += 1
        yield sample
    if produced < count:
        _logger.warning('%s: %d of %d samples missing (data shorter than counted).', where, count - produced, count)
    for _ in range(produced, count):
        yield RawSample(None, None, where, 'sample missing from the data (shorter than counted)')


def _parse_label(value: Any) -> int:
    if isinstance(value, (bytes, bytearray)):
        value = value.decode('utf-8').strip()
    if isinstance(value, bool):
        raise ValueError(f'label {value!r} is not an integer')
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f'label {value!r} is not an integer')
    return int(value)


class ShardedReader(IterableReader):
    """A reader over shards of known sizes (``counts``), read in a per-pass shard order.

    Subclasses set ``counts`` and ``shard_names`` and implement :meth:`_read_shard`.
    """

    counts: List[int]
    shard_names: List[str]

    def __len__(self) -> int:
        return sum(self.counts)

    def _read_shard(self, index: int, start: int, stop: int) -> Iterator[RawSample]:
        """Samples ``start <= i < stop`` of shard ``index``."""
        raise NotImplementedError

    def iter_range(self, start: int, stop: int, order_seed: Optional[int]) -> Iterator[RawSample]:
        order = list(range(len(self.counts)))
        if order_seed is not None:
            random.Random(order_seed).shuffle(order)
        offset = 0
        for si in order:
            n = self.counts[si]
            lo, hi = max(start, offset), min(stop, offset + n)
            if lo < hi:
                yield from exactly(self._read_shard(si, lo - offset, hi - offset), hi - lo,
                                   f'{self.shard_names[si]}#{lo - offset}')
            offset += n
            if offset >= stop:
                return


class ReaderWds(ShardedReader):
    """Samples of local webdataset shards (see :mod:`zoo.data.wds` for the format and patterns).

    Args:
        spec: Shard pattern / folder / file (the part of the dataset name after ``wds/``).
        root: Folder that a relative ``spec`` is taken from.
        split: Split name or shard pattern inside a folder ``spec``.
        class_map: Class names by index (.txt / .json / list / dict). Default: ``classes.txt`` beside the shards, else
            the ``classes`` of their ``_info.json``, else none (labels are used as they are).
        input_key: Image member extension(s) to use, ``;``-separated in order of preference (default
            ``jpg;jpeg;png;webp``, then the other image extensions of ``IMG_EXTENSIONS``).
        target_key: Label member extension (``cls``: an integer as text) or field of the sample's ``.json`` member
            (default: ``cls``, then ``label``, each looked up as a member and then as a ``.json`` field).
    """

    def __init__(self, spec: str, root: Optional[str] = None, split: Optional[str] = None,
                 class_map: ClassMapLike = None, input_key: Optional[str] = None,
                 target_key: Optional[str] = None) -> None:
        self.shards = resolve_shards(spec, root, split)
        infos: Dict[str, Dict[str, Any]] = {}
        for shard in self.shards:
            folder = os.path.dirname(os.path.abspath(shard))
            if folder not in infos:
                infos[folder] = read_info(folder)
        self.counts = [shard_num_samples(s, infos[os.path.dirname(os.path.abspath(s))]) for s in self.shards]
        self.shard_names = self.shards
        self.pattern = spec
        if not sum(self.counts):
            raise ValueError(f'The shards of {spec!r} hold no samples ({shard_list_summary(self.shards)}).')
        first_dir = os.path.dirname(os.path.abspath(self.shards[0]))
        if not class_map and os.path.isfile(os.path.join(first_dir, CLASSES_FILE)):
            class_map = os.path.join(first_dir, CLASSES_FILE)
        if not class_map:
            class_map = infos[first_dir].get('classes') or None
        self.class_to_idx = load_class_map(class_map, first_dir)
        self.image_keys = tuple(k.strip().lstrip('.').lower() for k in input_key.split(';')) if input_key \
            else IMAGE_KEYS
        self.target_keys = (target_key,) if target_key else TARGET_KEYS

    def _target(self, members: Dict[str, bytes]) -> Optional[int]:
        fields: Optional[Dict[str, Any]] = None
        for key in self.target_keys:
            if key in members:
                return _parse_label(members[key])
            if 'json' in members:
                if fields is None:
                    parsed = json.loads(members['json'].decode('utf-8'))
                    fields = parsed if isinstance(parsed, dict) else {}
                if key in fields:
                    return _parse_label(fields[key])
        return None

    def _sample(self, shard: str, key: str, members: Dict[str, bytes]) -> RawSample:
        name = f'{shard}:{key}'
        ext = next((k for k in self.image_keys if k in members), None)
        if ext is None:
            return RawSample(None, None, name, f'no image member ({"/".join(self.image_keys)}) among '
                                               f'{sorted(members) or "none"}')
        try:
            target = self._target(members)
        except (ValueError, UnicodeDecodeError) as e:
            return RawSample(None, None, f'{name}.{ext}', f'bad label: {e}')
        return RawSample(members[ext], target, f'{name}.{ext}')

    def _read_shard(self, index: int, start: int, stop: int) -> Iterator[RawSample]:
        shard = self.shards[index]
        for key, members, error in iter_shard_samples(shard, start, stop):
            yield self._sample(shard, key, members) if error is None else RawSample(None, None, key, error)


class _SharedSlots:
    """int64 slots in shared memory, seen by the loader's worker processes whether they fork or spawn.

    No lock: a lock made in one multiprocessing context cannot go to a process of another (a forked main process,
    spawned workers), so every process writes only its own slot and readers add them up.
    """

    def __init__(self, size: int) -> None:
        self._slots = multiprocessing.RawArray('q', size)

    def __len__(self) -> int:
        return len(self._slots)

    def __getitem__(self, index: int) -> int:
        return int(self._slots[index])

    def __setitem__(self, index: int, value: int) -> None:
        self._slots[index] = value

    def total(self) -> int:
        return int(sum(self._slots))

    def __getstate__(self) -> Dict[str, Any]:
        # shared memory travels only to a process being started; any other copy gets its own slots
        if multiprocessing.context.get_spawning_popen() is not None:
            return {'shared': self._slots}
        return {'values': list(self._slots)}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        if 'shared' in state:
            self._slots = state['shared']
        else:
            self._slots = multiprocessing.RawArray('q', state['values'])


def epoch_plan(length: int, batch_size: int, num_replicas: int, rank: int, num_workers: int = 1, worker: int = 0,
               drop_last: bool = False) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """Stream slices of one epoch: ``((rank_start, rank_stop), (worker_start, worker_stop))`` (see the module doc).

    Args:
        length: Samples in the epoch's stream.
        batch_size: Samples per batch.
        num_replicas: DDP world size.
        rank: This rank.
        num_workers: DataLoader workers of the rank (1 without workers).
        worker: This worker.
        drop_last: Keep equal whole batches on every rank.
    """
    lo, hi = rank * length // num_replicas, (rank + 1) * length // num_replicas
    if drop_last:
        hi = lo + (length // num_replicas) // batch_size * batch_size
    num_batches = -(-(hi - lo) // batch_size)
    b0, b1 = worker * num_batches // num_workers, (worker + 1) * num_batches // num_workers
    return (lo, hi), (lo + b0 * batch_size, min(lo + b1 * batch_size, hi))


def _shuffled(items: Iterable[Any], size: int, rng: random.Random) -> Iterator[Any]:
    buffer: List[Any] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        i = rng.randrange(size)
        buffer[i], item = item, buffer[i]
        yield item
    rng.shuffle(buffer)
    yield from buffer


class IterableImageDataset(ClassNamesMixin, data.IterableDataset):
    """Images with labels streamed from an :class:`IterableReader`, split exactly over ranks and loader workers.

    Args:
        root: Where the data came from (for messages).
        reader: The :class:`IterableReader`.
        split: Split name (for information).
        is_training: Shuffle (shard order per pass and epoch, plus a shuffle buffer) and drop the last partial
            batches (see the module docstring).
        batch_size: Loader batch size (the split keeps whole batches per worker; ``create_loader`` sets it).
        num_samples: Samples per pass used in an epoch (default: all of the reader's).
        seed: Shuffle seed, shared by all ranks.
        repeats: Passes per epoch (may be fractional; <= 1 means one).
        shuffle_size: Samples in each worker's shuffle buffer (encoded, so about the size of the files).
        load_bytes: Yield the encoded image bytes instead of decoded images.
        input_img_mode: PIL mode images are converted to.
        transform: Callable applied to the image.
        target_transform: Callable applied to the label.
        num_replicas: DDP world size (default: torch.distributed's when initialised, else 1).
        rank: This rank (default: torch.distributed's, else 0).
    """

    def __init__(
            self,
            root: Union[str, os.PathLike, None] = None,
            reader: Optional[IterableReader] = None,
            split: str = 'train',
            is_training: bool = False,
            batch_size: Optional[int] = None,
            num_samples: Optional[int] = None,
            seed: int = 42,
            repeats: float = 0,
            shuffle_size: int = 1024,
            load_bytes: bool = False,
            input_img_mode: str = 'RGB',
            transform: Optional[Callable] = None,
            target_transform: Optional[Callable] = None,
            num_replicas: Optional[int] = None,
            rank: Optional[int] = None,
    ) -> None:
        if reader is None:
            raise ValueError('IterableImageDataset needs reader= an IterableReader (create_dataset("wds/...") '
                             'builds one).')
        if num_samples is not None and num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}.')
        self.root = None if root is None else str(root)
        self.reader = reader
        self.split = split
        self.is_training = is_training
        self.batch_size = max(1, int(batch_size or 1))
        self.drop_last = is_training
        self.num_samples = num_samples
        self.seed = seed
        self.repeats = repeats
        self.shuffle_size = shuffle_size
        self.load_bytes = load_bytes
        self.input_img_mode = input_img_mode
        self.transform = transform
        self._init_targets(target_transform)
        self._epoch = _SharedSlots(1)
        # slot 0: the main process, slot 1 + k: loader worker k (wrapping past the last slot)
        self._skipped = _SharedSlots(257)
        self.num_replicas, self.rank = 1, 0
        self.set_loader_cfg(num_replicas=num_replicas, rank=rank)

    def set_loader_cfg(self, batch_size: Optional[int] = None, drop_last: Optional[bool] = None,
                       num_replicas: Optional[int] = None, rank: Optional[int] = None) -> None:
        """Loader settings the split depends on (``create_loader`` calls this); ranks default to torch.distributed's.
        """
        if batch_size is not None:
            self.batch_size = max(1, int(batch_size))
        if drop_last is not None:
            self.drop_last = drop_last
        if num_replicas is None and dist.is_available() and dist.is_initialized():
            num_replicas, rank = dist.get_world_size(), dist.get_rank() if rank is None else rank
        self.num_replicas = num_replicas or 1
        self.rank = rank or 0
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f'rank must be in [0, {self.num_replicas}), got {self.rank}.')

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch's shuffle (shared with the loader's worker processes, persistent ones included)."""
        self._epoch[0] = epoch

    @property
    def epoch(self) -> int:
        return self._epoch[0]

    @property
    def num_skipped(self) -> int:
        """Samples skipped because they could not be read, over all epochs and worker processes so far."""
        return self._skipped.total()

    def stream_length(self) -> int:
        """Samples in one epoch's stream (all ranks together)."""
        return int(max(1., float(self.repeats or 0)) * (self.num_samples or len(self.reader)))

    def __len__(self) -> int:
        (lo, hi), _ = epoch_plan(self.stream_length(), self.batch_size, self.num_replicas, self.rank,
                                 drop_last=self.drop_last)
        return hi - lo

    def _iter_stream(self, start: int, stop: int, epoch: int) -> Iterator[RawSample]:
        per_pass = len(self.reader)
        pos = start
        while pos < stop:
            pass_index, lo = divmod(pos, per_pass)
            hi = min(per_pass, lo + stop - pos)
            order_seed = random.Random(f'{self.seed}-{epoch}-{pass_index}').getrandbits(63) \
                if self.is_training else None
            yield from self.reader.iter_range(lo, hi, order_seed)
            pos += hi - lo

    def _prepare(self, raw: RawSample, slot: int) -> Tuple[Any, Any]:
        error = raw.error
        if error is None:
            source = io.BytesIO(raw.image) if isinstance(raw.image, (bytes, bytearray)) else raw.image
            try:
                img = load_image_source(source, self.load_bytes, self.input_img_mode)
            except _DECODE_ERRORS as e:
                error = f'{type(e).__name__}: {e}'
        if error is not None:
            self._skipped[slot] += 1
            _logger.warning('Skipping unreadable sample %s: %s', raw.name, error)
            return UnreadableImage(-1, raw.name, error), -1 if raw.target is None else raw.target
        if self.transform is not None:
            img = self.transform(img)
        return img, self._finish_target(raw.target)

    def __iter__(self) -> Iterator[Tuple[Any, Any]]:
        info = data.get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        epoch = self.epoch
        _, (start, stop) = epoch_plan(self.stream_length(), self.batch_size, self.num_replicas, self.rank,
                                      num_workers, worker, self.drop_last)
        items: Iterable[RawSample] = self._iter_stream(start, stop, epoch)
        if self.is_training and self.shuffle_size > 1:
            global_worker = self.rank * num_workers + worker
            items = _shuffled(items, self.shuffle_size, random.Random(f'{self.seed}-{epoch}-w{global_worker}'))
        slot = (1 + worker if info is not None else 0) % len(self._skipped)
        for raw in items:
            yield self._prepare(raw, slot)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(root={self.root}, split={self.split}, samples={len(self.reader)}, '
                f'epoch={self.stream_length()}, rank {self.rank}/{self.num_replicas}, mode={self.input_img_mode})')
