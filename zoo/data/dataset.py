"""Map-style image datasets: decode a reader's samples into PIL images in one colour mode, then transform.

Corrupt or truncated images are skipped (the next sample is returned instead) with a warning naming the file;
``num_skipped`` counts them per process. ``max_consecutive_failures`` bad samples in a row stop with an error,
since that points at a wrong path or format rather than a few broken files.
"""
import io
import logging
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch.utils.data as data
from PIL import Image

from zoo.data.readers import ClassMapLike, Reader, ReaderImageFolder, ReaderImageTar

__all__ = ['ImageDataset', 'AugMixDataset', 'create_reader']

_logger = logging.getLogger(__name__)

_IMG_MODES = ('RGB', 'L', 'RGBA', 'CMYK', 'LA', 'I', 'F', 'YCbCr', 'HSV', 'LAB')
# decode failures PIL raises for broken files (UnidentifiedImageError is an OSError)
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def create_reader(name: str, root: Union[str, os.PathLike], class_map: ClassMapLike = None) -> Reader:
    """Folder or tar reader for ``root`` (``name`` '' / 'folder' / 'tar'; '' picks by whether root is a file)."""
    name = (name or '').lower()
    root = str(root)
    if name == 'tar' or (name == '' and os.path.isfile(root) and root.endswith('.tar')):
        return ReaderImageTar(root, class_map=class_map)
    if name in ('', 'folder'):
        return ReaderImageFolder(root, class_map=class_map)
    raise ValueError(f"Unknown reader {name!r}; use '' (auto), 'folder' or 'tar'.")


def _to_pil(source: Any) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return Image.fromarray(source)
    return Image.open(source)


def convert_image_mode(img: Image.Image, mode: str) -> Image.Image:
    """Convert ``img`` to ``mode``; also forces the full decode so truncated files fail here, not later."""
    if img.mode == 'P' and 'transparency' in img.info and mode != 'P':
        # palette transparency must go through RGBA before dropping alpha, or PIL warns and mis-converts
        img = img.convert('RGBA')
    if img.mode == mode:
        img.load()
        return img
    return img.convert(mode)


class ImageDataset(data.Dataset):
    """Images with integer labels from a folder, a tar or any :class:`Reader`.

    Args:
        root: Folder or .tar path (ignored when ``reader`` is a Reader instance).
        reader: A Reader instance, or a reader name ('', 'folder', 'tar').
        split: Split name (kept for information; split folders are resolved by ``create_dataset``).
        class_map: Fixed class order (.txt / .json path, dict or list of names).
        load_bytes: Return the raw encoded bytes instead of decoded images.
        input_img_mode: PIL mode every image is converted to ('RGB', 'L', ...).
        transform: Callable applied to the image.
        target_transform: Callable applied to the label.
        max_consecutive_failures: Bad images in a row tolerated before raising.
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
            max_consecutive_failures: int = 20,
    ) -> None:
        if input_img_mode not in _IMG_MODES:
            raise ValueError(f'input_img_mode must be a PIL mode such as {_IMG_MODES}, got {input_img_mode!r}.')
        if reader is None or isinstance(reader, str):
            if root is None:
                raise ValueError('ImageDataset needs root= (a folder or .tar) when no Reader instance is given.')
            reader = create_reader(reader or '', root, class_map=class_map)
        self.root = None if root is None else str(root)
        self.reader = reader
        self.split = split
        self.load_bytes = load_bytes
        self.input_img_mode = input_img_mode
        self.transform = transform
        self.target_transform = target_transform
        self.max_consecutive_failures = max(1, int(max_consecutive_failures))
        self.num_skipped = 0
        self.skipped_files: List[str] = []

    @property
    def class_to_idx(self) -> Dict[str, int]:
        return self.reader.class_to_idx

    def __len__(self) -> int:
        return len(self.reader)

    def _load(self, source: Any) -> Any:
        if self.load_bytes:
            if isinstance(source, (str, os.PathLike)):
                with open(source, 'rb') as fh:
                    return fh.read()
            if isinstance(source, io.IOBase):
                return source.read()
            return source
        return convert_image_mode(_to_pil(source), self.input_img_mode)

    def __getitem__(self, index: int) -> Tuple[Any, int]:
        limit = min(self.max_consecutive_failures, len(self))
        errors: List[str] = []
        for _ in range(limit):
            source, target = self.reader[index]
            try:
                img = self._load(source)
                break
            except _DECODE_ERRORS as e:
                name = self.reader.filename(index, absolute=True)
                self.num_skipped += 1
                if len(self.skipped_files) < 1000:
                    self.skipped_files.append(name)
                _logger.warning('Skipping unreadable image %s (sample %d): %s', name, index, e)
                errors.append(f'{name}: {e}')
                index = (index + 1) % len(self)
        else:
            raise RuntimeError(
                f'{limit} consecutive images failed to load from {self.root or type(self.reader).__name__} '
                f'(first: {errors[0]}; last: {errors[-1]}). The data is corrupt or not images: check the path and '
                f'the files, or raise max_consecutive_failures if many bad files are expected.')
        if self.transform is not None:
            img = self.transform(img)
        if target is None:
            target = -1
        elif self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        """Name of sample ``index`` (relative to the dataset root unless ``absolute``)."""
        return self.reader.filename(index, basename=basename, absolute=absolute)

    def filenames(self, basename: bool = False, absolute: bool = False) -> List[str]:
        """Names of all samples in index order."""
        return self.reader.filenames(basename=basename, absolute=absolute)

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

    def __getitem__(self, index: int) -> Tuple[Tuple[Any, ...], int]:
        x, y = self.dataset[index]
        views = [self._normalize(x)]
        for _ in range(self.num_splits - 1):
            aug = x if self.augmentation is None else self.augmentation(x)
            views.append(self._normalize(aug))
        return tuple(views), y

    def __len__(self) -> int:
        return len(self.dataset)
