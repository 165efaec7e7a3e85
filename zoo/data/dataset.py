"""Map-style image datasets: decode a reader's samples into PIL images in one colour mode, then transform.

An image that cannot be read (zero-byte, truncated, not an image) is never replaced by another sample: its item is an
:class:`UnreadableImage` marker in place of the image. The loader's collate leaves markers out of the batch and
reports them on it (``zoo.data.loader.Batch.unreadable``), so training counts them, validation scores readable
images only and inference marks those files as errors.

Colour modes: 16-bit and 32-bit grayscale (``I;16``, ``I``) are scaled from 0..65535 to 0..255, float images (``F``)
from 0..1, before conversion to an 8-bit mode; PIL's own conversion would clamp them (a 16-bit PNG turns white).
Alpha (``RGBA``, ``LA``, palette transparency) is dropped, as PIL, torchvision and timm do, so pixels under
transparency keep their stored colour.
"""
import io
import logging
import os
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch.utils.data as data
from PIL import Image

from zoo.data.readers import ClassMapLike, Reader, ReaderImageFolder, ReaderImageTar, UnmappedClassesError, format_names

__all__ = [
    'ClassNamesMixin', 'ImageDataset', 'AugMixDataset', 'UnreadableImage', 'check_num_classes', 'class_names_by_index',
    'convert_image_mode', 'create_reader', 'load_image_source', 'num_classes_needed',
]

_logger = logging.getLogger(__name__)

_IMG_MODES = ('RGB', 'L', 'RGBA', 'CMYK', 'LA', 'I', 'F', 'YCbCr', 'HSV', 'LAB')
# decode failures PIL raises for broken files (UnidentifiedImageError is an OSError)
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)
# full-scale value of each high-bit-depth mode: scaled to 255 on conversion to an 8-bit mode
_HIGH_BIT_RANGE = {'I': 65535., 'F': 1.}


class UnreadableImage(NamedTuple):
    """Stands in for an image that could not be read; the loader leaves it out of the batch and reports it."""
    index: int
    filename: str
    error: str


def create_reader(name: str, root: Union[str, os.PathLike], class_map: ClassMapLike = None,
                  ignore_unmapped_classes: bool = False) -> Reader:
    """Folder or tar reader for ``root`` (``name`` '' / 'folder' / 'tar'; '' picks by whether root is a file)."""
    name = (name or '').lower()
    root = str(root)
    if name == 'tar' or (name == '' and os.path.isfile(root) and root.endswith('.tar')):
        return ReaderImageTar(root, class_map=class_map, ignore_unmapped_classes=ignore_unmapped_classes)
    if name in ('', 'folder'):
        return ReaderImageFolder(root, class_map=class_map, ignore_unmapped_classes=ignore_unmapped_classes)
    raise ValueError(f"Unknown reader {name!r}; use '' (auto), 'folder' or 'tar'.")


def _to_pil(source: Any) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return Image.fromarray(source)
    return Image.open(source)


def _high_bit_to_l(img: Image.Image) -> Image.Image:
    full_scale = _HIGH_BIT_RANGE['F' if img.mode == 'F' else 'I']
    values = np.asarray(img, dtype=np.float64) * (255. / full_scale)
    return Image.fromarray(np.clip(np.floor(values + 0.5), 0, 255).astype(np.uint8), 'L')


def convert_image_mode(img: Image.Image, mode: str) -> Image.Image:
    """Convert ``img`` to ``mode``; also forces the full decode so truncated files fail here, not later.

    High-bit-depth grayscale (``I;16*``, ``I``: 0..65535; ``F``: 0..1) is scaled to 0..255 by range, not clamped,
    when the target is an 8-bit mode. Alpha is dropped.
    """
    if img.mode == mode:
        img.load()
        return img
    if (img.mode.startswith('I') or img.mode == 'F') and mode not in ('I', 'F'):
        img = _high_bit_to_l(img)
        return img if mode == 'L' else img.convert(mode)
    if img.mode == 'P' and 'transparency' in img.info:
        # palette transparency must go through RGBA before dropping alpha, or PIL warns and mis-converts
        img = img.convert('RGBA')
        if mode == 'RGBA':
            return img
    return img.convert(mode)


def load_image_source(source: Any, load_bytes: bool, mode: str) -> Any:
    """A reader's source (path, file object, PIL image or array) as raw bytes or as a PIL image in ``mode``."""
    if load_bytes:
        if isinstance(source, (str, os.PathLike)):
            with open(source, 'rb') as fh:
                return fh.read()
        if isinstance(source, io.IOBase):
            return source.read()
        return source
    return convert_image_mode(_to_pil(source), mode)


class ClassNamesMixin:
    """``class_to_idx`` and :meth:`use_class_names` for a dataset whose ``reader`` has a ``class_to_idx``.

    The dataset calls :meth:`_init_targets` in its constructor and :meth:`_finish_target` on each label.
    """

    reader: Any
    _index_map: Optional[List[int]]
    _class_to_idx: Optional[Dict[str, int]]

    target_transform: Optional[Callable]

    def _init_targets(self, target_transform: Optional[Callable]) -> None:
        self.target_transform = target_transform
        # reader index -> index in an external class list (see use_class_names); None keeps the reader's indices
        self._index_map = None
        self._class_to_idx = None

    def _finish_target(self, target: Optional[int]) -> Any:
        """A reader's label in the class list of :meth:`use_class_names`, then ``target_transform`` (-1: no label)."""
        if target is None:
            return -1
        if self._index_map is not None:
            target = self._index_map[target]
        return target if self.target_transform is None else self.target_transform(target)

    def _describe_source(self) -> str:
        return getattr(self, 'root', None) or type(self.reader).__name__

    @property
    def class_to_idx(self) -> Dict[str, int]:
        return self._class_to_idx if self._class_to_idx is not None else self.reader.class_to_idx

    def use_class_names(self, class_names: Sequence[str], source: str = 'the class list') -> None:
        """Index targets by name in ``class_names`` (e.g. the classes a checkpoint was trained on).

        Each class of the dataset takes the index of the same name in ``class_names``, whatever its position in the
        dataset; classes of ``class_names`` the dataset lacks are allowed (logged).

        Raises:
            UnmappedClassesError: The dataset has classes that ``class_names`` does not name.
        """
        index = {name: i for i, name in enumerate(class_names)}
        own = self.reader.class_to_idx
        unknown = sorted((c for c in own if c not in index), key=lambda c: own[c])
        if unknown:
            raise UnmappedClassesError(
                f'The dataset {self._describe_source()} has {len(unknown)} class(es) not among the '
                f'classes of {source}: {format_names(unknown)}. Those classes are {format_names(list(class_names))}; '
                f'use a dataset with those classes (matched by name, not position).', unknown)
        absent = [c for c in class_names if c not in own]
        if absent:
            _logger.info('%d of the %d classes of %s are not in the dataset: %s', len(absent), len(class_names),
                         source, format_names(absent))
        size = max(own.values(), default=-1) + 1
        mapping = list(range(size))
        for name, i in own.items():
            mapping[i] = index[name]
        self._index_map = None if mapping == list(range(size)) else mapping
        self._class_to_idx = {name: index[name] for name in own}


class ImageDataset(ClassNamesMixin, data.Dataset):
    """Images with integer labels from a folder, a tar or any :class:`Reader`.

    Args:
        root: Folder or .tar path (ignored when ``reader`` is a Reader instance).
        reader: A Reader instance, or a reader name ('', 'folder', 'tar').
        split: Split name (kept for information; split folders are resolved by ``create_dataset``).
        class_map: Fixed class list (.txt / .json path, dict or list of names).
        load_bytes: Return the raw encoded bytes instead of decoded images.
        input_img_mode: PIL mode every image is converted to ('RGB', 'L', ...).
        transform: Callable applied to the image.
        target_transform: Callable applied to the label.
        ignore_unmapped_classes: Leave out the images of class folders the class_map lacks (else an error).
    """

    def __init__(
            self,
            root: Union[str, os.PathLike, None] = None,
            reader: Union[Reader, str, None] = None,
            split: str = 'train',
            class_map: ClassMapLike = None,
            load_bytes: bool = False,
            input_img_mode: str = 'RGB',
            transform: Optional[Callable] = None,
            target_transform: Optional[Callable] = None,
            ignore_unmapped_classes: bool = False,
    ) -> None:
        if input_img_mode not in _IMG_MODES:
            raise ValueError(f'input_img_mode must be a PIL mode such as {_IMG_MODES}, got {input_img_mode!r}.')
        if reader is None or isinstance(reader, str):
            if root is None:
                raise ValueError('ImageDataset needs root= (a folder or .tar) when no Reader instance is given.')
            reader = create_reader(reader or '', root, class_map=class_map,
                                   ignore_unmapped_classes=ignore_unmapped_classes)
        self.root = None if root is None else str(root)
        self.reader = reader
        self.split = split
        self.load_bytes = load_bytes
        self.input_img_mode = input_img_mode
        self.transform = transform
        self._init_targets(target_transform)
        # dataset index -> reader index when only a subset is used (see select_evenly); None uses every sample
        self._subset: Optional[List[int]] = None

    def select_evenly(self, num_samples: int) -> None:
        """Use only ``num_samples`` samples, evenly spaced over the reader's order (every class of a folder sorted by
        class keeps its share), e.g. for a quick evaluation. A number at or above the size keeps every sample."""
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}.')
        total = len(self.reader)
        self._subset = None if num_samples >= total else [i * total // num_samples for i in range(num_samples)]

    def _reader_index(self, index: int) -> int:
        if self._subset is None:
            return index
        return self._subset[index]

    def __len__(self) -> int:
        return len(self.reader) if self._subset is None else len(self._subset)

    def _load(self, source: Any) -> Any:
        return load_image_source(source, self.load_bytes, self.input_img_mode)

    def __getitem__(self, index: int) -> Tuple[Any, int]:
        target: Optional[int] = None
        at = self._reader_index(index)
        try:
            source, target = self.reader[at]
            img = self._load(source)
        except _DECODE_ERRORS as e:
            name = self.reader.filename(at, absolute=True)
            _logger.debug('Unreadable image %s (sample %d): %s', name, index, e)
            return UnreadableImage(index, name, f'{type(e).__name__}: {e}'), -1 if target is None else target
        if self.transform is not None:
            img = self.transform(img)
        return img, self._finish_target(target)

    def filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        """Name of sample ``index`` (relative to the dataset root unless ``absolute``)."""
        return self.reader.filename(self._reader_index(index), basename=basename, absolute=absolute)

    def filenames(self, basename: bool = False, absolute: bool = False) -> List[str]:
        """Names of all samples in index order."""
        names = self.reader.filenames(basename=basename, absolute=absolute)
        return names if self._subset is None else [names[i] for i in self._subset]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(root={self.root}, split={self.split}, n={len(self)}, '
                f'classes={len(self.class_to_idx)}, mode={self.input_img_mode})')


class AugMixDataset(data.Dataset):
    """Wrap a dataset so each sample yields ``num_splits`` views: the clean image and augmented copies.

    Give it the 3-tuple from ``create_transform(..., separate=True)`` as ``transform``: the primary transform
    runs once, the secondary (augmentation) only for the extra splits, the final (to tensor/normalise) on all.

    Args:
        dataset: An :class:`ImageDataset`.
        num_splits: Views per sample (>= 2).
    """

    def __init__(self, dataset: ImageDataset, num_splits: int = 2) -> None:
        if num_splits < 2:
            raise ValueError(f'AugMixDataset needs num_splits >= 2, got {num_splits}.')
        self.dataset = dataset
        self.num_splits = num_splits
        self.augmentation: Optional[Callable] = None
        self.normalize: Optional[Callable] = None
        if dataset.transform is not None:
            self.transform = dataset.transform

    @property
    def transform(self) -> Tuple[Optional[Callable], ...]:
        return self.dataset.transform, self.augmentation, self.normalize

    @transform.setter
    def transform(self, transforms: Sequence[Optional[Callable]]) -> None:
        if not isinstance(transforms, (tuple, list)) or len(transforms) != 3:
            raise ValueError('AugMixDataset.transform must be the (primary, secondary, final) tuple returned by '
                             'create_transform(..., separate=True).')
        self.dataset.transform, self.augmentation, self.normalize = transforms

    def _normalize(self, x: Any) -> Any:
        return x if self.normalize is None else self.normalize(x)

    def _views(self, x: Any) -> Iterator[Any]:
        yield x  # the clean split
        for _ in range(self.num_splits - 1):
            yield x if self.augmentation is None else self.augmentation(x)

    def __getitem__(self, index: int) -> Tuple[Tuple[Any, ...], int]:
        x, y = self.dataset[index]
        # lazily, so each view is normalised before the next is augmented: both may draw random numbers
        return tuple(self._normalize(view) for view in self._views(x)), y

    def __len__(self) -> int:
        return len(self.dataset)


def num_classes_needed(class_to_idx: Dict[str, int]) -> int:
    """Outputs a classifier needs for these labels: the largest class index + 1 (0 when unknown)."""
    return max(class_to_idx.values(), default=-1) + 1


def class_names_by_index(class_to_idx: Dict[str, int]) -> List[str]:
    """Class names in index order ('' where an index has no name)."""
    names = [''] * num_classes_needed(class_to_idx)
    for name, idx in class_to_idx.items():
        names[idx] = name
    return names


def check_num_classes(num_classes: int, dataset: Any, what: str = 'the dataset') -> None:
    """Refuse a classifier with fewer outputs than the dataset has classes (the loss would fail mid-run).

    Raises:
        ValueError: Naming ``--num-classes``, the class count and the dataset.
    """
    class_to_idx = getattr(dataset, 'class_to_idx', None) or {}
    needed = num_classes_needed(class_to_idx)
    if num_classes < needed:
        names = sorted(class_to_idx, key=class_to_idx.get)
        raise ValueError(
            f'The model has num_classes={num_classes} outputs but {what} ({getattr(dataset, "root", None) or ""}) '
            f'has {needed} classes ({format_names(names)}). Pass --num-classes {needed} (num_classes={needed}), or a '
            f'class map that lists only the classes to use.')
