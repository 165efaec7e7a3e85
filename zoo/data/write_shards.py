"""Write webdataset shards from an image folder: ``python -m zoo.data.write_shards <image-folder> <out-dir>``.

The folder is laid out as for training (class sub-folders, see :class:`zoo.data.ReaderImageFolder`). When it holds
split folders (``train``, ``validation``, ...), every split is written, each with its split name as the shard prefix
and one class list for all; otherwise the folder is one split named after it (``--prefix`` overrides).

Each sample is the image file's bytes unchanged (member ``<key>.<ext>``) and its class index as text (``<key>.cls``);
the key is the image's path in the folder (``.`` replaced by ``_``). Beside the shards go ``classes.txt`` (the class
names, line ``i`` = index ``i``) and ``_info.json`` (sample count and size of every shard, and each split's shard
pattern), which ``create_dataset('wds/...')`` reads. Samples are shuffled across shards by default (``--no-shuffle``
keeps folder order): shards cut from class-sorted folders would otherwise hold one or two classes each, which no
shuffle buffer can mix.

Example::

    python -m zoo.data.write_shards /data/imagenet /data/imagenet-wds --shard-size 100MB
    python train.py --dataset wds/ /data/imagenet-wds --train-split train --val-split validation
"""
import argparse
import json
import logging
import os
import random
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from zoo.data.dataset_factory import shared_class_names, split_paths
from zoo.data.readers import ClassMapLike, ReaderImageFolder, load_class_map
from zoo.data.wds import CLASSES_FILE, INFO_FILE, ShardWriter, read_info

__all__ = ['write_shards', 'parse_size', 'main']

_logger = logging.getLogger(__name__)

_UNITS = {'': 1, 'b': 1, 'kb': 10 ** 3, 'mb': 10 ** 6, 'gb': 10 ** 9, 'tb': 10 ** 12,
          'kib': 2 ** 10, 'mib': 2 ** 20, 'gib': 2 ** 30, 'tib': 2 ** 40}


def parse_size(text: str) -> int:
    """``'100MB'`` -> 100000000 bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024)."""
    match = re.fullmatch(r'\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*', str(text))
    unit = match.group(2).lower() if match else None
    if unit not in _UNITS:
        raise ValueError(f'Cannot read the size {text!r}; write a number with an optional unit, e.g. 100MB, 1GiB.')
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 1:
        raise ValueError(f'Size {text!r} must be at least 1 byte.')
    return size


def _sample_keys(names: Sequence[str]) -> List[str]:
    keys, seen = [], set()
    for name in names:
        stem = os.path.splitext(name.replace('\\', '/'))[0].replace('.', '_')
        key, n = stem, 1
        while key in seen:
            key, n = f'{stem}_{n}', n + 1
        seen.add(key)
        keys.append(key)
    return keys


def _write_split(folder: str, out_dir: str, prefix: str, class_names: List[str], shard_size: int, max_count: int,
                 shuffle: bool, seed: int) -> List[Tuple[str, int]]:
    reader = ReaderImageFolder(folder, class_map=class_names)
    names = reader.filenames()
    keys = _sample_keys(names)
    order = list(range(len(reader)))
    if shuffle:
        random.Random(seed).shuffle(order)
    pattern = os.path.join(out_dir, prefix + '-{index:06d}.tar')
    with ShardWriter(pattern, max_size=shard_size, max_count=max_count) as writer:
        for i in order:
            path, target = reader[i]
            with open(path, 'rb') as f:
                data = f.read()
            ext = os.path.splitext(path)[1].lstrip('.').lower()
            writer.write(keys[i], {ext: data, 'cls': str(target).encode()})
    shards = writer.shards
    _logger.info('%s: %d images in %d shards (%s-%06d.tar .. %s-%06d.tar)', folder, len(order), len(shards),
                 prefix, 0, prefix, len(shards) - 1)
    return shards


def _check_classes(out_dir: str, class_names: List[str]) -> None:
    path = os.path.join(out_dir, CLASSES_FILE)
    if not os.path.isfile(path):
        return
    with open(path, encoding='utf-8') as f:
        existing = [line.strip() for line in f if line.strip()]
    if existing != class_names:
        raise ValueError(f'{path} already lists other classes ({len(existing)}) than this folder ({len(class_names)}): '
                         f'the .cls indices would not match. Write into an empty folder, write every split at once '
                         f'from their parent folder, or pass --class-map {path}.')


def write_shards(folder: str, out_dir: str, shard_size: int = 100 * 10 ** 6, max_count: int = 100_000,
                 prefix: Optional[str] = None, class_map: ClassMapLike = None, shuffle: bool = True,
                 seed: int = 0) -> Dict[str, List[Tuple[str, int]]]:
    """Write shards for ``folder`` (or each of its split folders) into ``out_dir``.

    Args:
        folder: Image folder with class sub-folders, or with split folders holding class sub-folders.
        out_dir: Output folder (created).
        shard_size: Target shard size in bytes (a shard is closed before it would grow past it).
        max_count: Samples per shard at most.
        prefix: Shard name prefix for a folder without splits (default: the folder's name).
        class_map: Class list (.txt / .json / list / dict); default: the class folders (of all splits).
        shuffle: Shuffle the samples across shards (seeded by ``seed``).
        seed: Shuffle seed.

    Returns:
        ``{prefix: [(shard path, samples), ...]}`` per split written.
    """
    folder = str(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f'Image folder {folder} does not exist.')
    splits = [p for p in split_paths(folder) if os.path.isdir(p)]
    if splits:
        jobs = [(p, os.path.basename(p)) for p in splits]
        names = shared_class_names(folder)
    else:
        jobs = [(folder, prefix or os.path.basename(os.path.normpath(folder)))]
        names = list(ReaderImageFolder(folder).class_to_idx)
    if class_map:
        mapping = load_class_map(class_map)
        names = sorted(mapping, key=mapping.get)
    os.makedirs(out_dir, exist_ok=True)
    _check_classes(out_dir, names)
    info: Dict[str, Any] = read_info(out_dir)
    info['classes'] = names
    info.setdefault('shards', {})
    info.setdefault('splits', {})
    written = {}
    for path, name in jobs:
        shards = _write_split(path, out_dir, name, names, shard_size, max_count, shuffle, seed)
        written[name] = shards
        for shard, count in shards:
            info['shards'][os.path.basename(shard)] = {'num_samples': count, 'size': os.path.getsize(shard)}
        info['splits'][name] = {'num_samples': sum(c for _, c in shards),
                                'pattern': f'{name}-{{000000..{len(shards) - 1:06d}}}.tar'}
    with open(os.path.join(out_dir, CLASSES_FILE), 'w', encoding='utf-8') as f:
        f.write(''.join(n + '\n' for n in names))
    with open(os.path.join(out_dir, INFO_FILE), 'w', encoding='utf-8') as f:
        json.dump(info, f, indent=1, sort_keys=True)
    return written


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, List[Tuple[str, int]]]:
    parser = argparse.ArgumentParser(prog='python -m zoo.data.write_shards',
                                     description='Write webdataset tar shards from an image folder.')
    parser.add_argument('folder', help='image folder (class sub-folders, or split folders of class sub-folders)')
    parser.add_argument('out_dir', help='output folder for the shards, classes.txt and _info.json')
    parser.add_argument('--shard-size', default='100MB', type=str,
                        help='target shard size, e.g. 100MB, 1GiB (default %(default)s)')
    parser.add_argument('--max-count', default=100_000, type=int,
                        help='samples per shard at most (default %(default)s)')
    parser.add_argument('--prefix', default=None,
                        help='shard name prefix for a folder without splits (default: its name)')
    parser.add_argument('--class-map', default=None, help='class list file (.txt / .json) fixing the label indices')
    parser.add_argument('--no-shuffle', action='store_true', default=False, help='keep the folder order')
    parser.add_argument('--seed', default=0, type=int, help='shuffle seed (default %(default)s)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    try:
        size = parse_size(args.shard_size)
    except ValueError as e:
        parser.error(str(e))
    return write_shards(args.folder, args.out_dir, shard_size=size, max_count=args.max_count, prefix=args.prefix,
                        class_map=args.class_map, shuffle=not args.no_shuffle, seed=args.seed)


if __name__ == '__main__':
    main(sys.argv[1:])
