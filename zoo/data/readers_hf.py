"""Hugging Face ``datasets`` readers: ``hfds/`` (map-style) and ``hfids/`` (streamed) from local data.

Needs the optional ``datasets`` package (``pip install zoo[hf]``). The location after the prefix (joined to ``root``
when relative) is loaded with:

* ``datasets.load_from_disk`` when it is a ``save_to_disk`` folder (``dataset_dict.json`` / ``state.json``);
* ``datasets.load_dataset`` otherwise: a local folder of parquet / csv / json files or an image folder (the packaged
  builders infer the splits from file and folder names), or a dataset name already in the local HF cache.

Splits are matched with their usual synonyms (``val`` finds ``validation``...). Columns: ``input_key`` names the image
column (default: the first of ``image``, ``img``, ``jpg``, ``png``), ``target_key`` the label (default: the first of
``label``, ``labels``, ``cls``, ``target``; none means unlabelled). Images are read undecoded (the encoded bytes or
file path of an ``Image`` column) and decoded by the dataset like any other source. Class names come from a
``ClassLabel`` label column, else from ``class_map``; a map-style dataset with plain integer labels names each class
by its integer.

The streamed reader counts the rows of each of the stream's shards (data files; reading one column) when it is
created, then reads like the shard reader: the slice of an epoch that ``zoo.data.iterable.IterableImageDataset``
assigns to a rank and worker, in a per-pass shard order when training, each shard entered with ``skip`` / ``take``
(the rows before the slice are read, not decoded). ``datasets``' own ``shuffle`` is not used: its buffer duplicates
the dataset's, and with parquet it pauses seconds at every iterator shutdown.
"""
import io
import logging
import os
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Union

from zoo.data.iterable import RawSample, ShardedReader
from zoo.data.readers import ClassMapLike, Reader, load_class_map, split_candidates

__all__ = ['ReaderHfds', 'ReaderHfids', 'load_hf_dataset']

_logger = logging.getLogger(__name__)

IMAGE_COLUMNS = ('image', 'img', 'jpg', 'png')
LABEL_COLUMNS = ('label', 'labels', 'cls', 'target')


def _import_datasets() -> Any:
    try:
        import datasets
    except ImportError as e:
        raise ImportError('hfds/ and hfids/ datasets need the Hugging Face "datasets" package: '
                          'pip install "zoo[hf]" (or pip install datasets).') from e
    return datasets


def load_hf_dataset(spec: str, root: Union[str, os.PathLike, None], split: str, streaming: bool,
                    **kwargs: Any) -> Any:
    """The ``split`` of a local HF dataset (see the module docstring), map-style or streamed."""
    datasets = _import_datasets()
    path = spec
    if root and not os.path.isabs(spec):
        path = os.path.join(str(root), spec) if spec else str(root)
    if not path:
        raise ValueError('An hfds/ or hfids/ dataset needs a location: "hfds/<folder>" or root= a folder.')
    if os.path.isdir(path) and any(os.path.isfile(os.path.join(path, f))
                                   for f in ('dataset_dict.json', 'state.json', 'dataset_info.json')):
        loaded = datasets.load_from_disk(path)
        if isinstance(loaded, datasets.DatasetDict):
            name = next((s for s in split_candidates(split) if s in loaded), None)
            if name is None:
                raise ValueError(f'No split {split!r} in {path}; it has {", ".join(loaded)}.')
            loaded = loaded[name]
        # several shards give the per-pass shard order something to shuffle
        return loaded.to_iterable_dataset(num_shards=max(1, min(64, len(loaded)))) if streaming else loaded
    if not os.path.exists(path):
        if root or os.path.isabs(path) or path.startswith('.'):
            raise FileNotFoundError(f'HF dataset folder {path} does not exist; pass a save_to_disk / parquet / image '
                                    f'folder, or the name of a dataset already in the local HF cache without root=.')
        _logger.info('%s is not a local path; looking for a dataset of that name in the local HF cache.', path)
    errors = []
    for name in split_candidates(split):
        try:
            return datasets.load_dataset(path, split=name, streaming=streaming, **kwargs)
        except ValueError as e:  # an unknown split
            errors.append(str(e))
    raise ValueError(f'Cannot load split {split!r} (or its synonyms) of {path}: {errors[0]}')


def _pick_column(columns: Sequence[str], key: Optional[str], defaults: Tuple[str, ...], what: str, flag: str,
                 where: str, required: bool) -> Optional[str]:
    if key:
        if key not in columns:
            raise ValueError(f'{where} has no {what} column {key!r}; its columns are {", ".join(columns)}. '
                             f'Pass {flag} one of them.')
        return key
    found = next((c for c in defaults if c in columns), None)
    if found is None and required:
        raise ValueError(f'{where} has no {what} column named {" / ".join(defaults)}; its columns are '
                         f'{", ".join(columns)}. Pass {flag} (input_key / target_key) to name it.')
    return found


class _HfReader:
    """Loading, column choice, undecoded images and class names shared by both readers.

    Args:
        spec: Folder / file / cached name (the part of the dataset name after ``hfds/`` or ``hfids/``).
        root: Folder a relative ``spec`` is taken from.
        split: Split name (synonyms are tried).
        class_map: Class names by index, when the label column has none.
        input_key: Image column.
        target_key: Label column.
        streaming: Load as a ``datasets.IterableDataset``.
        **kwargs: Passed to ``datasets.load_dataset`` (e.g. ``cache_dir``).
    """

    def __init__(self, spec: str, root: Union[str, os.PathLike, None] = None, split: str = 'train',
                 class_map: ClassMapLike = None, input_key: Optional[str] = None, target_key: Optional[str] = None,
                 streaming: bool = False, **kwargs: Any) -> None:
        datasets = _import_datasets()
        ds = load_hf_dataset(spec, root, split, streaming=streaming, **kwargs)
        self.split = split
        self.where = f'HF dataset {spec or root} ({split}{", streamed" if streaming else ""})'
        columns = list(ds.features or {})
        self.image_column = _pick_column(columns, input_key, IMAGE_COLUMNS, 'image', '--input-key', self.where, True)
        self.label_column = _pick_column(columns, target_key, LABEL_COLUMNS, 'label', '--target-key', self.where,
                                         False)
        if isinstance(ds.features[self.image_column], datasets.Image):
            # decode in the image dataset (one colour-mode policy for every source), not in datasets
            ds = ds.cast_column(self.image_column, datasets.Image(decode=False))
        self.ds = ds
        label_feature = ds.features[self.label_column] if self.label_column else None
        if class_map:
            self.class_to_idx = load_class_map(class_map)
        elif isinstance(label_feature, datasets.ClassLabel):
            self.class_to_idx = {name: i for i, name in enumerate(label_feature.names)}
        else:
            self.class_to_idx = {}

    def _source(self, value: Any) -> Any:
        if isinstance(value, dict):
            if value.get('bytes'):
                return io.BytesIO(value['bytes'])
            if value.get('path'):
                return value['path']
            raise ValueError(f'empty image value in column {self.image_column!r}')
        if isinstance(value, (bytes, bytearray)):
            return io.BytesIO(value)
        if isinstance(value, list):
            import numpy as np
            return np.asarray(value, dtype=np.uint8)
        return value

    def _label(self, row: Dict[str, Any]) -> Optional[int]:
        if self.label_column is None or row.get(self.label_column) is None:
            return None
        return int(row[self.label_column])


class ReaderHfds(_HfReader, Reader):
    """Map-style reader of a local HF dataset split (arguments: see :class:`_HfReader`, without ``streaming``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, streaming=False, **kwargs)
        if not self.class_to_idx and self.label_column is not None:
            values = sorted(int(v) for v in self.ds.unique(self.label_column) if v is not None)
            self.class_to_idx = {str(v): v for v in values}

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, index: int) -> Tuple[Any, Optional[int]]:
        row = self.ds[index]
        return self._source(row[self.image_column]), self._label(row)

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        value = self.ds[index][self.image_column]
        path = value.get('path') if isinstance(value, dict) else None
        name = path or f'{self.split}/{index}'
        return os.path.basename(name) if basename else name


class ReaderHfids(_HfReader, ShardedReader):
    """Streamed reader of a local HF dataset split (arguments: see :class:`_HfReader`, without ``streaming``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, streaming=True, **kwargs)
        # per-shard sizes let every rank and worker seek to its slice (see ShardedReader); counting reads one column
        self.counts = [self._count(k) for k in range(self.ds.n_shards)]
        self.shard_names = [f'{self.where} shard {k}' for k in range(self.ds.n_shards)]
        if not sum(self.counts):
            raise ValueError(f'{self.where} holds no samples.')

    def _shard(self, index: int) -> Any:
        return self.ds.shard(num_shards=self.ds.n_shards, index=index, contiguous=True)

    def _count(self, index: int) -> int:
        column = self._shard(index).select_columns([self.label_column or self.image_column])
        return sum(len(next(iter(b.values()))) for b in column.iter(batch_size=1000))

    def _read_shard(self, index: int, start: int, stop: int) -> Iterator[RawSample]:
        position = start
        for batch in self._shard(index).skip(start).take(stop - start).iter(batch_size=64):
            for i in range(len(batch[self.image_column])):
                row = {k: v[i] for k, v in batch.items()}
                name = f'{self.shard_names[index]}#{position}'
                position += 1
                try:
                    yield RawSample(self._source(row[self.image_column]), self._label(row), name)
                except (ValueError, TypeError) as e:
                    yield RawSample(None, None, name, str(e))
