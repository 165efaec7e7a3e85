"""WebDataset shards: shard patterns, sample grouping, per-shard counts and the shard writer.

A webdataset shard is a plain POSIX tar whose members are grouped into samples by key: ``dir/name.jpg`` and
``dir/name.cls`` form one sample with key ``dir/name`` (the key ends at the first ``.`` of the file name, the rest is
the member's extension). Members of one sample are consecutive in the tar.

Why zoo reads shards with its own small reader on the standard library's ``tarfile`` instead of the ``webdataset``
package: zoo needs (1) an exact split of an epoch's samples over ranks and loader workers, which needs the sample count
of every shard and the ability to start and stop reading in the middle of a shard (``webdataset`` splits whole
shards, so uneven shard counts give gaps or duplicates, or it resamples); (2) a corrupt member skipped, named and
counted rather than an exception out of a pipeline; (3) a missing shard named before any work starts; and (4) no new
dependency. Reading is sequential within a shard (skipped samples are seeked over, never read), which is what shards
are for.

Shard patterns (:func:`expand_braces`): ``{000000..000015}`` is a numeric range (zero-padded to the wider end when
either end has a leading zero; descending ranges count down), ``{a,b,c}`` alternatives, nested freely; several
patterns can be joined with ``::``. Shell-style globs (``*``, ``?``) are also accepted for local files.

Counts: ``python -m zoo.data.write_shards`` writes ``_info.json`` beside its shards with each shard's sample count and
byte size; a shard whose size still matches is not scanned. Other shards are counted once by reading their member
headers (data is seeked over), cached per (path, size, mtime) in the process.
"""
import functools
import glob
import io
import json
import logging
import os
import re
import tarfile
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from zoo.data.readers import EVAL_SYNONYMS, TRAIN_SYNONYMS, natural_key, split_candidates

__all__ = [
    'expand_braces', 'resolve_shards', 'shard_num_samples', 'iter_shard_samples', 'split_sample_key', 'ShardWriter',
    'read_info', 'shard_list_summary', 'INFO_FILE', 'CLASSES_FILE',
]

_logger = logging.getLogger(__name__)

INFO_FILE = '_info.json'
CLASSES_FILE = 'classes.txt'
_RANGE = re.compile(r'^(-?\d+)\.\.(-?\d+)$')


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == '{':
            depth += 1
        elif text[i] == '}':
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f'Unbalanced "{{" at position {start} in shard pattern {text!r}.')


def _split_top_level(body: str) -> List[str]:
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(body):
        depth += ch == '{'
        depth -= ch == '}'
        if ch == ',' and depth == 0:
            parts.append(body[last:i])
            last = i + 1
    parts.append(body[last:])
    return parts


def _range_items(first: str, last: str) -> List[str]:
    lo, hi = int(first), int(last)
    padded = any(len(t.lstrip('-')) > 1 and t.lstrip('-').startswith('0') for t in (first, last))
    width = max(len(first.lstrip('-')), len(last.lstrip('-'))) if padded else 0
    step = 1 if hi >= lo else -1
    return [('-' if v < 0 else '') + str(abs(v)).zfill(width) for v in range(lo, hi + step, step)]


def expand_braces(pattern: str) -> List[str]:
    """All strings a brace pattern stands for, in order.

    ``'train-{00..02}.tar'`` -> ``['train-00.tar', 'train-01.tar', 'train-02.tar']``; ``'{a,b}-{1..2}'`` ->
    ``['a-1', 'a-2', 'b-1', 'b-2']``. Braces without a range or a comma stay literal, as in a shell.

    Raises:
        ValueError: An unbalanced brace.
    """
    if '}' in pattern and '{' not in pattern:
        raise ValueError(f'Unbalanced "}}" in shard pattern {pattern!r}.')
    start = pattern.find('{')
    if start < 0:
        return [pattern]
    end = _matching_brace(pattern, start)
    head, body, tail = pattern[:start], pattern[start + 1:end], pattern[end + 1:]
    match = _RANGE.match(body)
    if match:
        options = _range_items(*match.groups())
    else:
        parts = _split_top_level(body)
        if len(parts) == 1:
            # a lone '{x}' is literal text; keep expanding after it
            return [head + '{' + x + '}' + rest for x in expand_braces(body) for rest in expand_braces(tail)]
        options = [opt for part in parts for opt in expand_braces(part)]
    return [head + opt + rest for opt in options for rest in expand_braces(tail)]


def _is_split_shard(path: str, split: str) -> bool:
    return re.match(re.escape(split) + r'([-_.].*)?\.tar$', os.path.basename(path)) is not None


def _shards_in_dir(folder: str, split: Optional[str]) -> List[str]:
    """Shards of ``split`` in ``folder``: ``<split>-*.tar``, ``<split>_*.tar``, ``<split>.tar`` or ``<split>/*.tar``
    (split synonyms tried in turn); every ``*.tar`` when the folder holds no split-named shards at all."""
    tars = sorted(glob.glob(os.path.join(glob.escape(folder), '*.tar')), key=natural_key)
    if split:
        for name in split_candidates(split):
            found = [t for t in tars if _is_split_shard(t, name)]
            sub = os.path.join(folder, name)
            if not found and os.path.isdir(sub):
                found = sorted(glob.glob(os.path.join(glob.escape(sub), '*.tar')), key=natural_key)
            if found:
                return found
        named = [t for t in tars if any(_is_split_shard(t, n) for n in TRAIN_SYNONYMS + EVAL_SYNONYMS)]
        if named:
            raise FileNotFoundError(
                f'No shards of split {split!r} in {folder} (looked for {", ".join(split_candidates(split))}-*.tar); '
                f'it holds {", ".join(sorted({os.path.basename(t) for t in named})[:4])}. Pass a split with shards, '
                f'or a shard pattern such as "train-{{000000..000009}}.tar" as the split.')
    return tars


def resolve_shards(spec: str, root: Optional[str] = None, split: Optional[str] = None) -> List[str]:
    """Local shard paths for ``spec`` (the part of the dataset name after ``wds/``).

    ``spec`` (joined to ``root`` when relative) is a brace pattern, a glob, a single ``.tar``, or a folder; a folder
    is combined with ``split``, itself a pattern (``'train-{0..3}.tar'``) or a split name (see
    :func:`_shards_in_dir`). ``::`` joins several specs.

    Raises:
        FileNotFoundError: A shard of the pattern does not exist (named with the pattern), or nothing matched.
    """
    location = spec or ''
    if root and not os.path.isabs(location):
        location = os.path.join(str(root), location) if location else str(root)
    if not location:
        raise ValueError('A wds/ dataset needs shards: "wds/<path or pattern>" or root= a folder of .tar shards.')
    shards: List[str] = []
    for part in location.split('::'):
        if os.path.isdir(part) and split and (any(c in split for c in '{*?[') or split.endswith('.tar')):
            part = os.path.join(part, split)
        if os.path.isdir(part):
            found = _shards_in_dir(part, split)
            if not found:
                raise FileNotFoundError(f'No .tar shards in folder {part}.')
            shards += found
        elif '{' in part:
            expanded = expand_braces(part)
            missing = [p for p in expanded if not os.path.isfile(p)]
            if missing:
                raise FileNotFoundError(
                    f'Shard {missing[0]} does not exist: {len(missing)} of the {len(expanded)} shards of pattern '
                    f'{part!r} are missing ({shard_list_summary(missing)}). Check the folder and the brace range.')
            shards += expanded
        elif any(c in part for c in '*?['):
            found = sorted(glob.glob(part), key=natural_key)
            if not found:
                raise FileNotFoundError(f'No shard matches {part!r}.')
            shards += found
        elif os.path.isfile(part):
            shards.append(part)
        else:
            raise FileNotFoundError(f'Shard {part} does not exist (wds pattern {location!r}).')
    return shards


def split_sample_key(name: str) -> Tuple[str, str]:
    """Member name -> (sample key, extension): the key ends at the first '.' of the file name."""
    folder, base = os.path.split(name)
    stem, dot, ext = base.partition('.')
    return (os.path.join(folder, stem) if folder else stem), ext.lower() if dot else ''


def read_info(folder: str) -> Dict[str, Any]:
    """The ``_info.json`` written beside shards by ``write_shards`` (empty when absent or unreadable)."""
    path = os.path.join(folder, INFO_FILE)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding='utf-8') as f:
            info = json.load(f)
    except (OSError, ValueError) as e:
        _logger.warning('Ignoring unreadable %s: %s', path, e)
        return {}
    return info if isinstance(info, dict) else {}


def _iter_members(tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for member in tf:
        base = os.path.basename(member.name)
        # '__'-prefixed names are webdataset metadata, dot files are editor / OS litter
        if member.isfile() and not base.startswith(('__', '.')):
            yield member


def _check_tar_end(tf: tarfile.TarFile, path: str, size: int) -> None:
    """tarfile ends iteration quietly at a corrupt header mid-file; say so instead of dropping the rest unseen."""
    if tf.offset + 512 > size:
        return
    tf.fileobj.seek(tf.offset)
    if tf.fileobj.read(512).strip(b'\0'):
        _logger.warning('Shard %s: unreadable tar header at byte %d; the samples after it are not used.', path,
                        tf.offset)


@functools.lru_cache(maxsize=4096)
def _count_samples(path: str, size: int, mtime_ns: int) -> int:
    count, last = 0, None
    with tarfile.open(path, 'r:') as tf:
        for member in _iter_members(tf):
            key = split_sample_key(member.name)[0]
            if key != last:
                count, last = count + 1, key
        _check_tar_end(tf, path, size)
    return count


def shard_num_samples(path: str, info: Optional[Dict[str, Any]] = None) -> int:
    """Samples in one shard: from ``info`` (an ``_info.json``) when its recorded size still matches, else counted.

    Raises:
        ValueError: The file is not a readable tar.
    """
    stat = os.stat(path)
    entry = ((info or {}).get('shards') or {}).get(os.path.basename(path))
    if isinstance(entry, dict) and entry.get('size') == stat.st_size and isinstance(entry.get('num_samples'), int):
        return entry['num_samples']
    try:
        return _count_samples(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ValueError(f'Shard {path} is not a readable tar file ({type(e).__name__}: {e}); re-create it or remove '
                         f'it from the pattern.') from e


def iter_shard_samples(path: str, start: int = 0, stop: Optional[int] = None,
                       ) -> Iterator[Tuple[str, Dict[str, bytes], Optional[str]]]:
    """Samples ``start <= i < stop`` of a shard as ``(key, {extension: bytes}, error)``.

    Samples before ``start`` are seeked over without reading their data. ``error`` is None, or names the member whose
    data could not be read (a truncated shard); that item has no members and ends the shard.
    """
    index, key, members = -1, None, {}
    with tarfile.open(path, 'r:') as tf:
        iterator = _iter_members(tf)
        while True:
            try:
                member = next(iterator, None)
            except (tarfile.TarError, OSError, EOFError) as e:
                # a truncated shard: what was read of the current sample is not used
                yield key or '', {}, f'{path}: tar ends early after sample {key!r} ({type(e).__name__}: {e})'
                return
            if member is None:
                break
            mkey, ext = split_sample_key(member.name)
            if mkey != key:
                if members:
                    yield key, members, None
                index, key, members = index + 1, mkey, {}
                if stop is not None and index >= stop:
                    return
            if index < start:
                continue
            try:
                members[ext] = tf.extractfile(member).read()
            except (tarfile.TarError, OSError, EOFError) as e:
                yield key, {}, f'{path}:{member.name} ({type(e).__name__}: {e})'
                return
    if members:
        yield key, members, None


class ShardWriter:
    """Write samples into numbered tar shards, starting a new shard at a byte size or a sample count.

    Members get fixed metadata (mtime 0, mode 0o444, no owner) so the same input gives byte-identical shards.

    Args:
        pattern: Shard path with one ``{index}`` field, e.g. ``'out/train-{index:06d}.tar'``.
        max_size: Start a new shard before one would exceed this many bytes (a single larger sample still gets its
            own shard).
        max_count: Start a new shard after this many samples.
    """

    def __init__(self, pattern: str, max_size: int = 100 * 1024 ** 2, max_count: int = 100_000) -> None:
        if max_size < 1 or max_count < 1:
            raise ValueError(f'max_size and max_count must be >= 1, got {max_size} and {max_count}.')
        self.pattern = pattern
        self.max_size = max_size
        self.max_count = max_count
        self.shards: List[Tuple[str, int]] = []  # (path, samples) of finished shards
        self._tf: Optional[tarfile.TarFile] = None
        self._path = ''
        self._count = 0
        self._bytes = 0

    @staticmethod
    def _member_bytes(size: int) -> int:
        return 512 + (size + 511) // 512 * 512

    @staticmethod
    def _file_size(member_bytes: int) -> int:
        # two zero blocks end the archive, and tarfile pads it to a whole 10240-byte record
        return (member_bytes + 1024 + tarfile.RECORDSIZE - 1) // tarfile.RECORDSIZE * tarfile.RECORDSIZE

    def write(self, key: str, members: Dict[str, bytes]) -> None:
        """Add one sample: ``{extension: data}`` stored as ``<key>.<extension>``."""
        if '.' in os.path.basename(key):
            raise ValueError(f'Sample key {key!r} must not contain "." in its file name (it starts the extension).')
        size = sum(self._member_bytes(len(v)) for v in members.values())
        full = self._count >= self.max_count or self._file_size(self._bytes + size) > self.max_size
        if self._tf is not None and full:
            self._close_shard()
        if self._tf is None:
            self._path = self.pattern.format(index=len(self.shards))
            os.makedirs(os.path.dirname(self._path) or '.', exist_ok=True)
            self._tf = tarfile.open(self._path, 'w', format=tarfile.USTAR_FORMAT)
            self._count, self._bytes = 0, 0
        for ext, data in members.items():
            info = tarfile.TarInfo(f'{key}.{ext}')
            info.size, info.mtime, info.mode = len(data), 0, 0o444
            self._tf.addfile(info, io.BytesIO(data))
        self._count += 1
        self._bytes += size

    def _close_shard(self) -> None:
        self._tf.close()
        self.shards.append((self._path, self._count))
        self._tf = None

    def close(self) -> List[Tuple[str, int]]:
        """Finish the last shard; returns (path, samples) of every shard written."""
        if self._tf is not None:
            self._close_shard()
        return self.shards

    def __enter__(self) -> 'ShardWriter':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def shard_list_summary(shards: Sequence[str], limit: int = 3) -> str:
    names = [os.path.basename(s) for s in shards]
    return ', '.join(names[:limit]) + (f', ... ({len(names)} shards)' if len(names) > limit else '')
