"""``create_dataset``: one entry point for folder, tar, torchvision and built-in datasets.

Dataset names:

* ``''`` or ``'folder'``: class sub-folders under ``root`` (or under its split sub-folder).
* ``'tar'`` (or ``''`` with ``root`` a ``.tar`` file): a tar laid out like a folder, read without extracting.
  With a folder ``root``, ``<root>/<split>.tar`` is also found by the split search.
* ``'torch/<name>'``: torchvision's ``cifar10``, ``cifar100``, ``mnist``, ``fashion_mnist``, ``kmnist``,
  ``imagenet`` and ``image_folder`` (``download=True`` fetches the ones torchvision can download).
* ``'zoo/digits'``: the built-in digits, needing no files on disk.
* ``'wds/<shards>'``: local webdataset tar shards, streamed (an :class:`~zoo.data.iterable.IterableImageDataset`):
  a brace pattern such as ``wds/data/train-{000000..000015}.tar``, a glob, one ``.tar``, or a folder (``wds/`` with
  ``root=`` a folder works too) whose ``<split>-*.tar`` shards are used; with a folder, ``split`` may also be a shard
  pattern. See :mod:`zoo.data.wds` and :mod:`zoo.data.iterable` (how an epoch is split over ranks and workers).
* ``'hfds/<path>'``: a Hugging Face ``datasets`` dataset from a local folder (``save_to_disk`` output, parquet files
  or an image folder), map-style. ``'hfids/<path>'``: the same streamed. Needs ``pip install zoo[hf]``.

Iterable datasets (``wds/``, ``hfids/``) use ``batch_size``, ``seed``, ``repeats`` and ``num_samples`` (samples per
pass used by an epoch); map-style ones take ``num_samples`` as an evenly spaced subset (see
:meth:`ImageDataset.select_evenly`). ``input_key`` / ``target_key`` name the image and label fields of dict-style
samples: columns of an HF dataset, member extensions (or ``.json`` fields) of a webdataset sample.

Split search: for ``split='train'`` the sub-folders ``train`` and ``training`` of ``root`` are tried; for
``val`` / ``validation`` / ``eval`` the names ``val``, ``valid``, ``validation``, ``eval``, ``evaluation``. If none
exists and ``root`` holds no split-named folder at all, ``root`` itself is used.

Shared classes: when the split is found under ``root`` and no ``class_map`` is given, the class list is the union of
the class folders of every split under ``root`` (``train``, ``validation``, ...; empty folders included), so a class
that has no images in one split keeps the same index in all of them (a warning names such classes).

Built-in digits (``zoo/digits``): the 1797 8x8 grayscale handwritten digits of the UCI "Optical Recognition of
Handwritten Digits" data set (Alpaydin & Kaynak, 1998) as distributed with scikit-learn, licensed CC BY 4.0, shipped
as ``zoo/data/_assets/digits.npz`` (pixels scaled to 0..255). The split is fixed and stratified: within each class,
``numpy.random.RandomState(42)`` permutes that class's indices (classes 0..9 in order, one shared generator) and the
first ``round(0.2 * n_class)`` go to ``validation``. That gives 1438 train and 359 validation images (35-37
validation images per class); ``split='all'`` returns all 1797. Images come back as PIL images in
``input_img_mode`` (RGB by default, the gray value repeated); upscale them with the transforms, e.g.
``create_transform((3, 32, 32), crop_pct=1.0, crop_mode='squash')`` for evaluation.
"""
import logging
import os
from typing import Any, Dict, List, Optional, Union

from zoo.data.dataset import ImageDataset, create_reader
from zoo.data.iterable import IterableImageDataset, IterableReader, ReaderWds
from zoo.data.readers import (
    EVAL_SYNONYMS, TRAIN_SYNONYMS, ClassMapLike, ReaderDigits, ReaderTorchVision, list_class_names, natural_key,
    split_candidates,
)

__all__ = ['create_dataset', 'find_split_path', 'shared_class_names', 'split_paths', 'TRAIN_SYNONYMS', 'EVAL_SYNONYMS']

_logger = logging.getLogger(__name__)

_TORCH_DATASETS = ('cifar10', 'cifar100', 'mnist', 'fashion_mnist', 'kmnist', 'imagenet', 'image_folder', 'folder')


def find_split_path(root: Union[str, os.PathLike], split: str) -> str:
    """Path of ``split`` under ``root``: a sub-folder or ``<name>.tar`` with the split name or a synonym.

    Returns ``root`` itself when it holds no split-named folder at all (it is then the class folder).
    """
    root = str(root)
    split_name = split.split('[')[0]
    candidates = split_candidates(split_name)
    for name in candidates:
        for path in (os.path.join(root, name), os.path.join(root, name + '.tar')):
            if os.path.exists(path):
                return path
    present = [d for d in TRAIN_SYNONYMS + EVAL_SYNONYMS
               if os.path.exists(os.path.join(root, d)) or os.path.exists(os.path.join(root, d + '.tar'))]
    if present:
        raise FileNotFoundError(f'No {split!r} split under {root}: looked for {", ".join(candidates)} (folder or '
                                f'.tar) but found only {", ".join(present)}. Pass split= one of those, or '
                                f'search_split=False.')
    return root


def split_paths(root: str) -> List[str]:
    """The split folders / tars (``train``, ``validation``, ... and synonyms) directly under ``root``."""
    paths = []
    for name in TRAIN_SYNONYMS + EVAL_SYNONYMS:
        for path in (os.path.join(root, name), os.path.join(root, name + '.tar')):
            if os.path.isdir(path) or (os.path.isfile(path) and path.endswith('.tar')):
                paths.append(path)
    return paths


def shared_class_names(root: Union[str, os.PathLike]) -> List[str]:
    """Union of the class names of every split folder / tar under ``root``, in natural order.

    Empty class folders count: the class list depends on the folder tree, not on which folders hold images.
    """
    names = set()
    for path in split_paths(str(root)):
        names.update(list_class_names(path))
    return sorted(names, key=natural_key)


def _create_torch_dataset(name: str, root: Optional[str], split: str, search: bool, download: bool,
                          class_map: ClassMapLike, **kwargs: Any) -> ReaderTorchVision:
    import torchvision.datasets as tvd  # only here: torchvision's dataset module is slow to import

    if name not in _TORCH_DATASETS:
        raise ValueError(f'Unknown torchvision dataset torch/{name}; supported: {", ".join(_TORCH_DATASETS)}.')
    if not root:
        raise ValueError(f'torch/{name} needs root= a directory to load from (with download=True it is fetched there).')
    is_train = split.split('[')[0] in TRAIN_SYNONYMS
    if name in ('cifar10', 'cifar100', 'mnist', 'fashion_mnist', 'kmnist'):
        cls = dict(cifar10=tvd.CIFAR10, cifar100=tvd.CIFAR100, mnist=tvd.MNIST, fashion_mnist=tvd.FashionMNIST,
                   kmnist=tvd.KMNIST)[name]
        ds = cls(root, train=is_train, download=download, **kwargs)
    elif name == 'imagenet':
        if download:
            raise ValueError('torch/imagenet cannot be downloaded; place the ImageNet archives in root yourself.')
        ds = tvd.ImageNet(root, split='train' if is_train else 'val', **kwargs)
    else:
        if class_map:
            raise ValueError('class_map is not supported for torch/image_folder; use the plain folder dataset.')
        ds = tvd.ImageFolder(find_split_path(root, split) if search else root, **kwargs)
    return ReaderTorchVision(ds)


def create_dataset(
        name: str,
        root: Optional[Union[str, os.PathLike]] = None,
        split: str = 'validation',
        search_split: bool = True,
        class_map: ClassMapLike = None,
        load_bytes: bool = False,
        is_training: bool = False,
        download: bool = False,
        batch_size: Optional[int] = None,
        seed: int = 42,
        repeats: float = 0,
        input_img_mode: str = 'RGB',
        ignore_unmapped_classes: bool = False,
        num_samples: Optional[int] = None,
        input_key: Optional[str] = None,
        target_key: Optional[str] = None,
        **kwargs: Any,
) -> Union[ImageDataset, IterableImageDataset]:
    """Create an image dataset: map-style, or iterable for ``wds/`` and ``hfids/``.

    Args:
        name: '' / 'folder' / 'tar', 'torch/<name>', 'zoo/digits', 'wds/<shards>', 'hfds/<path>' or 'hfids/<path>'
            (see the module docstring).
        root: Dataset root folder, .tar file, or torchvision storage directory; unused by 'zoo/digits'.
        split: Split name ('train', 'validation', ...).
        search_split: Look for the split sub-folder / tar under ``root``.
        class_map: Fixed class list (.txt / .json path, dict or list of class names). Default for folders / tars:
            the classes of all splits under ``root`` (see the module docstring).
        load_bytes: Return raw encoded bytes instead of decoded images (folder / tar only).
        is_training: Training dataset (kept for timm compatibility; the transforms decide augmentation).
        download: Let torchvision download the dataset if missing.
        batch_size: Loader batch size an iterable dataset splits by (``create_loader`` sets it again); unused by
            map-style datasets, whose sampler does the batching.
        seed: Shuffle seed of an iterable dataset (the same on every rank); map-style datasets shuffle in the loader.
        repeats: Passes per epoch of an iterable dataset (``train.py --epoch-repeats``); map-style datasets repeat
            with ``--aug-repeats`` instead.
        input_img_mode: PIL mode images are converted to.
        ignore_unmapped_classes: Leave out the images of class folders that ``class_map`` lacks instead of raising
            :class:`zoo.data.readers.UnmappedClassesError`.
        num_samples: Iterable: samples per pass used by an epoch. Map-style: an evenly spaced subset of that size.
        input_key: Image field of dict-style samples (``hfds/``, ``hfids/``, ``wds/``).
        target_key: Label field of dict-style samples (``hfds/``, ``hfids/``, ``wds/``).
        **kwargs: Passed to :class:`ImageDataset` (``transform``, ``target_transform``) or the torchvision dataset.
    """
    name = (name or '').strip()
    prefix, rest = '', name
    if '/' in name:
        prefix, rest = name.split('/', 1)
        prefix = prefix.lower()
    ds_kwargs = {k: kwargs.pop(k) for k in ('transform', 'target_transform')
                 if k in kwargs}
    if prefix in ('wds', 'hfids'):
        return _create_iterable_dataset(prefix, rest, root, split, search_split, class_map, load_bytes, is_training,
                                        batch_size, seed, repeats, input_img_mode, num_samples, input_key,
                                        target_key, ds_kwargs, **kwargs)
    if prefix == 'hfds':
        from zoo.data.readers_hf import ReaderHfds
        reader = ReaderHfds(rest, root, split, class_map=class_map, input_key=input_key, target_key=target_key,
                            **kwargs)
        dataset = ImageDataset(root, reader=reader, split=split, load_bytes=load_bytes,
                               input_img_mode=input_img_mode, **ds_kwargs)
    elif repeats and repeats != 1:
        raise ValueError(f'repeats={repeats} (--epoch-repeats) applies to iterable datasets (wds/, hfids/); '
                         f'{name or "a folder"!r} is map-style: use --aug-repeats or more epochs.')
    elif input_key or target_key:
        raise ValueError(f'input_key / target_key name the fields of dict-style samples (wds/, hfds/, hfids/); '
                         f'{name or "a folder"!r} has none.')
    else:
        dataset = _create_map_dataset(name, prefix, rest.lower(), root, split, search_split, class_map, load_bytes,
                                      download, input_img_mode, ignore_unmapped_classes, ds_kwargs, **kwargs)
    if num_samples:
        dataset.select_evenly(num_samples)
    return dataset


def _create_iterable_dataset(prefix: str, rest: str, root: Optional[Union[str, os.PathLike]], split: str,
                             search_split: bool, class_map: ClassMapLike, load_bytes: bool, is_training: bool,
                             batch_size: Optional[int], seed: int, repeats: float, input_img_mode: str,
                             num_samples: Optional[int], input_key: Optional[str], target_key: Optional[str],
                             ds_kwargs: Dict[str, Any], **kwargs: Any) -> IterableImageDataset:
    reader: IterableReader
    if prefix == 'hfids':
        from zoo.data.readers_hf import ReaderHfids
        reader = ReaderHfids(rest, root, split, class_map=class_map, input_key=input_key, target_key=target_key,
                             **kwargs)
    else:
        if kwargs:
            raise TypeError(f'Unexpected arguments for a wds/ dataset: {sorted(kwargs)}.')
        reader = ReaderWds(rest, None if root is None else str(root), split if search_split else None,
                           class_map=class_map, input_key=input_key, target_key=target_key)
    return IterableImageDataset(root, reader=reader, split=split, is_training=is_training, batch_size=batch_size,
                                num_samples=num_samples, seed=seed, repeats=repeats, load_bytes=load_bytes,
                                input_img_mode=input_img_mode, **ds_kwargs)


def _create_map_dataset(name: str, prefix: str, rest: str, root: Optional[Union[str, os.PathLike]], split: str,
                        search_split: bool, class_map: ClassMapLike, load_bytes: bool, download: bool,
                        input_img_mode: str, ignore_unmapped_classes: bool, ds_kwargs: Dict[str, Any],
                        **kwargs: Any) -> ImageDataset:
    if prefix == 'zoo':
        if rest != 'digits':
            raise ValueError(f"Unknown built-in dataset {name!r}; the only one is 'zoo/digits'.")
        split_name = split.split('[')[0]
        if split_name in TRAIN_SYNONYMS:
            split_name = 'train'
        elif split_name in EVAL_SYNONYMS:
            split_name = 'validation'
        return ImageDataset(reader=ReaderDigits(split_name), split=split_name, input_img_mode=input_img_mode,
                            **ds_kwargs)
    if prefix == 'torch':
        reader = _create_torch_dataset(rest, None if root is None else str(root), split, search_split, download,
                                       class_map, **kwargs)
        return ImageDataset(root, reader=reader, split=split, input_img_mode=input_img_mode, **ds_kwargs)
    if prefix:
        raise ValueError(f'Dataset source {prefix!r} in {name!r} is not supported; use "" / "folder" / "tar", '
                         f'"torch/<name>", "zoo/digits", "wds/<shards>", "hfds/<path>" or "hfids/<path>".')
    if kwargs:
        raise TypeError(f'Unexpected arguments for a folder/tar dataset: {sorted(kwargs)}.')
    if name.lower() not in ('', 'folder', 'tar'):
        raise ValueError(f'Unknown dataset {name!r}; use "" / "folder" / "tar", "torch/<name>" or "zoo/digits".')
    if not root:
        raise ValueError(f'Dataset {name or "folder"!r} needs root= a folder (or .tar file) of images.')
    root = str(root)
    if not os.path.exists(root):
        raise FileNotFoundError(f'Dataset root {root} does not exist.')
    if isinstance(class_map, (str, os.PathLike)) and class_map and not os.path.exists(class_map) \
            and os.path.exists(os.path.join(root, class_map)):
        # a relative class_map is looked up in the dataset root, not in the split folder found below
        class_map = os.path.join(root, class_map)
    if search_split and os.path.isdir(root):
        split_root = find_split_path(root, split)
        if split_root != root and not class_map:
            class_map = shared_class_names(root)
        root = split_root
    reader = create_reader(name.lower(), root, class_map=class_map, ignore_unmapped_classes=ignore_unmapped_classes)
    return ImageDataset(root, reader=reader, split=split, load_bytes=load_bytes, input_img_mode=input_img_mode,
                        **ds_kwargs)
