"""Readers: index -> (image source, label) for the storage formats ``create_dataset`` understands.

A reader only lists samples; :class:`zoo.data.ImageDataset` decodes them. A source is a path, a file object,
a PIL image or an array. Readers:

* :class:`ReaderImageFolder`: class sub-folders (nested folders join with ``_``), natural sort order.
* :class:`ReaderImageTar`: a ``.tar`` laid out like a folder, read member by member without extracting. Members
  with an absolute name, a ``..`` component, or that are links are skipped and counted (``skipped_members``).
* :class:`ReaderDigits`: the built-in 8x8 digits (see ``zoo.data.dataset_factory`` for the split).
* :class:`ReaderTorchVision`: any torchvision dataset that returns (PIL image, label).

Classes come from the tree: every folder that holds images, plus empty leaf folders (a class with no images in
this split, reported with a warning). With a ``class_map``, images in a class folder the map does not name are an
error (:class:`UnmappedClassesError`) unless ``ignore_unmapped_classes=True``: they are never dropped silently.
"""
import functools
import io
import json
import logging
import os
import posixpath
import re
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

import numpy as np

__all__ = [
    'IMG_EXTENSIONS', 'Reader', 'ReaderImageFolder', 'ReaderImageTar', 'ReaderDigits', 'ReaderTorchVision',
    'UnmappedClassesError', 'list_class_names', 'load_class_map', 'natural_key', 'DIGITS_PATH',
    'digits_split_indices', 'split_candidates', 'TRAIN_SYNONYMS', 'EVAL_SYNONYMS',
]

_logger = logging.getLogger(__name__)

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff', '.ppm', '.pgm', '.pbm')
DIGITS_PATH = Path(__file__).parent / '_assets' / 'digits.npz'
ClassMapLike = Union[str, os.PathLike, Mapping[str, int], Sequence[str], None]


TRAIN_SYNONYMS = ('train', 'training')
EVAL_SYNONYMS = ('val', 'valid', 'validation', 'eval', 'evaluation')


def split_candidates(split: str) -> Tuple[str, ...]:
    """``split`` followed by its synonyms (``val`` -> ``val``, ``valid``, ``validation``, ...)."""
    for group in (TRAIN_SYNONYMS, EVAL_SYNONYMS):
        if split in group:
            return (split,) + tuple(s for s in group if s != split)
    return (split,)


def natural_key(text: str) -> List[Union[int, str]]:
    """Sort key that orders embedded numbers numerically: ``class2`` < ``class10``."""
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r'(\d+)', text.lower())]


def load_class_map(class_map: ClassMapLike, root: Union[str, os.PathLike, None] = None) -> Dict[str, int]:
    """Class-name -> index map from a dict, a list of names, or a .txt (one name per line) / .json file.

    A relative file path that does not exist is also looked up under ``root``.
    """
    if class_map is None or isinstance(class_map, str) and not class_map:
        return {}
    if isinstance(class_map, Mapping):
        return {str(k): int(v) for k, v in class_map.items()}
    if isinstance(class_map, (list, tuple)):
        return {str(name): i for i, name in enumerate(class_map)}
    path = Path(class_map)
    if not path.exists() and root is not None and (Path(root) / path).exists():
        path = Path(root) / path
    if not path.is_file():
        raise FileNotFoundError(f'class_map file {class_map!s} not found (also looked under root={root!s}); pass an '
                                f'existing .txt (one class name per line) or .json ({{"name": index}}) file.')
    if path.suffix == '.json':
        data = json.loads(path.read_text(encoding='utf-8'))
        return load_class_map(data)
    if path.suffix != '.txt':
        raise ValueError(f'class_map file {path} must end in .txt or .json.')
    names = [line.strip() for line in path.read_text(encoding='utf-8').splitlines() if line.strip()]
    return {name: i for i, name in enumerate(names)}


class Reader:
    """Base class: a list of samples with labels and printable names."""

    class_to_idx: Dict[str, int]

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Tuple[Any, Optional[int]]:
        raise NotImplementedError

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        raise NotImplementedError

    def filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        """Name of sample ``index`` (path relative to the dataset root unless ``absolute``)."""
        return self._filename(index, basename=basename, absolute=absolute)

    def filenames(self, basename: bool = False, absolute: bool = False) -> List[str]:
        """Names of all samples, in index order."""
        return [self._filename(i, basename=basename, absolute=absolute) for i in range(len(self))]


def _label_of(rel_dir: str) -> str:
    return rel_dir.replace('\\', '/').strip('/').replace('/', '_') if rel_dir not in ('', '.') else ''


class UnmappedClassesError(ValueError):
    """Images sit in class folders that the given class list does not name.

    Attributes:
        classes: The class (folder) names missing from the class list.
    """

    def __init__(self, message: str, classes: Sequence[str]) -> None:
        super().__init__(message)
        self.classes = list(classes)


def format_names(names: Sequence[str], limit: int = 10) -> str:
    shown = ', '.join(repr(n) if n else "'' (images directly in the root)" for n in names[:limit])
    return shown + (f', ... (+{len(names) - limit} more)' if len(names) > limit else '')


def _assign_classes(
        entries: List[Tuple[Any, str, str]],
        class_map: Dict[str, int],
        where: str,
        empty_classes: Iterable[str] = (),
        ignore_unmapped: bool = False,
) -> Tuple[List[Tuple[Any, int]], Dict[str, int]]:
    """(source, label name, sort name) entries -> (source, index) samples in natural order, and class_to_idx.

    Without a class_map the classes are the labels found plus ``empty_classes`` (folders without images), in
    natural order. With one, images whose label the map lacks are an error unless ``ignore_unmapped``.
    """
    counts = Counter(label for _, label, _ in entries)
    if class_map:
        unmapped = sorted(set(counts) - set(class_map), key=natural_key)
        if unmapped:
            dropped = sum(counts[c] for c in unmapped)
            if not ignore_unmapped:
                raise UnmappedClassesError(
                    f'{len(unmapped)} class folder(s) in {where} are not in the class map: {format_names(unmapped)} '
                    f'({dropped} images). Add them to the class map, or pass ignore_unmapped_classes=True '
                    f'(--ignore-unmapped-classes) to leave their images out.', unmapped)
            _logger.warning('Leaving out %d images of %d class folder(s) in %s that the class map lacks: %s',
                            dropped, len(unmapped), where, format_names(unmapped))
            entries = [e for e in entries if e[1] in class_map]
        class_to_idx = dict(class_map)
        if not entries:
            raise ValueError(f'None of the class folders in {where} are in the class map '
                             f'(found {format_names(unmapped)}).')
    else:
        labels = sorted(set(counts) | set(empty_classes), key=natural_key)
        class_to_idx = {label: i for i, label in enumerate(labels)}
    no_images = [c for c in class_to_idx if not counts[c]]
    if no_images:
        _logger.warning('%d of the %d classes have no images in %s: %s', len(no_images), len(class_to_idx), where,
                        format_names(no_images))
    entries = sorted(entries, key=lambda e: natural_key(e[2]))
    return [(src, class_to_idx[label]) for src, label, _ in entries], class_to_idx


def _scan_folder(root: str, extensions: Tuple[str, ...]) -> Tuple[List[Tuple[str, str, str]], Set[str]]:
    """(rel path, label, rel path) of every image under ``root``, and the labels of leaf folders without images."""
    entries, empty = [], set()
    for dirpath, dirnames, files in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith('.')]
        rel_dir = os.path.relpath(dirpath, root)
        label = _label_of(rel_dir)
        images = [f for f in files if os.path.splitext(f)[1].lower() in extensions and not f.startswith('.')]
        for f in images:
            rel = os.path.join(rel_dir, f) if label else f
            entries.append((rel, label, rel))
        if label and not images and not dirnames:
            empty.add(label)
    return entries, empty


def _unsafe_member_name(name: str) -> bool:
    """An absolute path or a ``..`` component: a name that points outside the archive's own tree."""
    posix = name.replace('\\', '/')
    return posix.startswith('/') or bool(re.match(r'^[A-Za-z]:', posix)) or '..' in posix.split('/')


def _scan_tar(path: str, extensions: Tuple[str, ...]) -> Tuple[List[Tuple[Any, str, str]], Set[str], List[str]]:
    """Image members of a tar as (member, label, normalised name), empty leaf-folder labels, and unsafe members.

    Unsafe members (absolute names, ``..`` components, links or devices named like images) are never read: a
    name like ``../../x.jpg`` would otherwise become a class of its own and shift every real class index.
    """
    stat = os.stat(path)
    # listing a large tar reads every member header; the split readers and the shared class list reuse one listing
    return _scan_tar_listing(os.path.abspath(path), extensions, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _scan_tar_listing(path: str, extensions: Tuple[str, ...], size: int,
                      mtime_ns: int) -> Tuple[List[Tuple[Any, str, str]], Set[str], List[str]]:
    entries, dirs, unsafe = [], set(), []
    with tarfile.open(path) as tf:
        for member in tf.getmembers():
            if _unsafe_member_name(member.name):
                unsafe.append(member.name)
                continue
            name = posixpath.normpath(member.name.replace('\\', '/'))
            if member.isdir():
                dirs.add(name)
            elif os.path.splitext(name)[1].lower() in extensions:
                if member.isfile():
                    # keep only what is needed to seek: member info pickles cheaply into workers
                    entries.append((member, _label_of(posixpath.dirname(name)), name))
                else:
                    unsafe.append(member.name)
    # a folder member is an empty class when no image and no other folder lies beneath it
    parents = set()
    for name in [e[2] for e in entries] + list(dirs):
        parent = posixpath.dirname(name)
        while parent and parent not in parents:
            parents.add(parent)
            parent = posixpath.dirname(parent)
    empty = {_label_of(d) for d in dirs - parents if d not in ('', '.')}
    return entries, empty, unsafe


def list_class_names(path: Union[str, os.PathLike], extensions: Sequence[str] = IMG_EXTENSIONS) -> List[str]:
    """Class names of an image folder or tar in natural order, including empty leaf folders."""
    path, extensions = str(path), tuple(e.lower() for e in extensions)
    if os.path.isfile(path):
        entries, empty, _ = _scan_tar(path, extensions)
    else:
        entries, empty = _scan_folder(path, extensions)
    return sorted({label for _, label, _ in entries} | empty, key=natural_key)


class ReaderImageFolder(Reader):
    """Images in class sub-folders of ``root``.

    Args:
        root: Folder whose sub-folders are classes.
        class_map: Optional fixed class list; images in a folder it lacks raise :class:`UnmappedClassesError`.
        extensions: Accepted file extensions (lower case).
        ignore_unmapped_classes: Leave out (with a warning) the images of folders the class_map lacks.
    """

    def __init__(self, root: Union[str, os.PathLike], class_map: ClassMapLike = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS, ignore_unmapped_classes: bool = False) -> None:
        self.root = str(root)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f'Image folder {self.root} does not exist; pass the directory that holds the '
                                    f'class sub-folders (or the split folders train/ and validation/).')
        extensions = tuple(e.lower() for e in extensions)
        entries, empty = _scan_folder(self.root, extensions)
        if not entries:
            raise ValueError(f'Found no images in {self.root} (extensions {", ".join(extensions)}); check the path '
                             f'and that images sit in class sub-folders.')
        self.samples, self.class_to_idx = _assign_classes(
            entries, load_class_map(class_map, self.root), self.root, empty, ignore_unmapped_classes)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Tuple[str, int]:
        rel, target = self.samples[index]
        return os.path.join(self.root, rel), target

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        rel = self.samples[index][0]
        if basename:
            return os.path.basename(rel)
        return os.path.abspath(os.path.join(self.root, rel)) if absolute else rel


class ReaderImageTar(Reader):
    """Images inside one ``.tar`` laid out like an image folder, read without extracting.

    The tar file is opened lazily in each process, so the reader is safe to use from DataLoader workers. Nothing
    is ever written to disk; unsafe members are listed in ``skipped_members``.

    Args:
        root: Path of the ``.tar`` file.
        class_map: Optional fixed class list (see :class:`ReaderImageFolder`).
        extensions: Accepted file extensions.
        ignore_unmapped_classes: Leave out (with a warning) the images of folders the class_map lacks.
    """

    def __init__(self, root: Union[str, os.PathLike], class_map: ClassMapLike = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS, ignore_unmapped_classes: bool = False) -> None:
        self.root = str(root)
        if not os.path.isfile(self.root) or not tarfile.is_tarfile(self.root):
            raise FileNotFoundError(f'{self.root} is not a readable .tar file.')
        extensions = tuple(e.lower() for e in extensions)
        entries, empty, self.skipped_members = _scan_tar(self.root, extensions)
        if self.skipped_members:
            _logger.warning('Skipped %d unsafe members of %s (absolute paths, ".." components or links): %s',
                            len(self.skipped_members), self.root, format_names(self.skipped_members))
        if not entries:
            raise ValueError(f'Found no images in tar {self.root} (extensions {", ".join(extensions)}).')
        self.samples, self.class_to_idx = _assign_classes(
            entries, load_class_map(class_map), self.root, empty, ignore_unmapped_classes)
        self._tf: Optional[tarfile.TarFile] = None
        self._pid: Optional[int] = None

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        state['_tf'], state['_pid'] = None, None
        return state

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Tuple[io.BytesIO, int]:
        if self._tf is None or self._pid != os.getpid():
            self._tf, self._pid = tarfile.open(self.root), os.getpid()
        member, target = self.samples[index]
        fh = self._tf.extractfile(member)
        return io.BytesIO(fh.read()), target

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        name = self.samples[index][0].name
        if basename:
            return os.path.basename(name)
        return os.path.join(os.path.abspath(self.root), name) if absolute else name


def digits_split_indices(split: str, num_samples: int, labels: np.ndarray, val_fraction: float = 0.2,
                         seed: int = 42) -> np.ndarray:
    """Indices of the fixed stratified digits split ('train' or 'validation'), in increasing order."""
    # RandomState's stream is frozen by NumPy's compatibility policy, so the split never changes between versions
    rng = np.random.RandomState(seed)
    val = []
    for c in range(int(labels.max()) + 1):
        idx = np.flatnonzero(labels == c)
        perm = rng.permutation(idx)
        val.append(perm[:int(round(len(idx) * val_fraction))])
    val_mask = np.zeros(num_samples, dtype=bool)
    val_mask[np.concatenate(val)] = True
    return np.flatnonzero(val_mask if split == 'validation' else ~val_mask)


class ReaderDigits(Reader):
    """The built-in 8x8 grayscale digits; sources are uint8 (8, 8) arrays.

    Args:
        split: 'train' or 'validation' (see ``zoo.data.dataset_factory`` for the definition).
    """

    def __init__(self, split: str = 'train') -> None:
        if split not in ('train', 'validation', 'all'):
            raise ValueError(f"zoo/digits split must be 'train', 'validation' or 'all', got {split!r}.")
        with np.load(DIGITS_PATH) as data:
            images, labels = data['images'], data['labels'].astype(np.int64)
        self.split = split
        self.indices = np.arange(len(labels)) if split == 'all' else digits_split_indices(split, len(labels), labels)
        self.images = images[self.indices]
        self.targets = labels[self.indices]
        self.class_to_idx = {str(c): c for c in range(10)}

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Tuple[np.ndarray, int]:
        return self.images[index], int(self.targets[index])

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        name = f'{int(self.indices[index]):04d}'
        return name if basename else f'digits/{name}'


class ReaderTorchVision(Reader):
    """Wrap a torchvision dataset whose items are (PIL image, label); its own transforms must be unset."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        classes = getattr(dataset, 'classes', None)
        self.class_to_idx = dict(getattr(dataset, 'class_to_idx', None) or
                                 ({str(c): i for i, c in enumerate(classes)} if classes else {}))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Tuple[Any, int]:
        img, target = self.dataset[index]
        return img, int(target)

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        samples = getattr(self.dataset, 'samples', None) or getattr(self.dataset, 'imgs', None)
        if samples:
            path = samples[index][0]
            return os.path.basename(path) if basename else path
        return str(index)
