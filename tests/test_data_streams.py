"""Streamed datasets: webdataset shards (zoo.data.wds, zoo.data.write_shards), the exact rank/worker split of
zoo.data.iterable, HF datasets readers, and train.py / validate.py reading them.

References: the image files the tests write (their bytes and class folders), and counting (every sample exactly once).
"""
import io
import json
import logging
import multiprocessing
import os
import socket
import tarfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
import torch
from PIL import Image

import zoo.data.iterable as zit
from zoo.data import UnreadableImage, create_dataset, create_loader, unreadable_in
from zoo.data.iterable import IterableImageDataset, epoch_plan
from zoo.data.wds import ShardWriter, expand_braces, resolve_shards
from zoo.data.write_shards import main as write_shards_main
from zoo.data.write_shards import parse_size


def _png(value: int, size: int = 4) -> bytes:
    """A tiny PNG whose pixels encode ``value`` (R = value // 256, G = value % 256): its own sample id."""
    arr = np.zeros((size, size, 3), np.uint8)
    arr[..., 0], arr[..., 1] = value // 256, value % 256
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, 'PNG')
    return buf.getvalue()


def _id_of(img: Image.Image) -> int:
    r, g, _ = img.getpixel((0, 0))
    return r * 256 + g


def _write_folder(root: Path, counts: Dict[str, int], start: int = 0) -> Dict[bytes, str]:
    """Class folders of id-PNGs; returns file bytes -> class name."""
    files, value = {}, start
    for cls, n in counts.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            data = _png(value, 4 + value % 3)
            (root / cls / f'img.{i}.png').write_bytes(data)  # a dot in the name: keys must not split there
            files[data] = cls
            value += 1
    return files


def _write_shards(folder: Path, sizes: List[int], ext: str = 'png') -> List[int]:
    """Shards ``folder/s-{000..}.tar`` of consecutive id samples with ``.cls`` = id % 3; returns all ids."""
    ids, value = [], 0
    for si, n in enumerate(sizes):
        with tarfile.open(folder / f's-{si:03d}.tar', 'w') as tf:
            for _ in range(n):
                for member, data in ((f'k{value:05d}.{ext}', _png(value)), (f'k{value:05d}.cls', b'%d' % (value % 3))):
                    info = tarfile.TarInfo(member)
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
                ids.append(value)
                value += 1
    return ids


# ---------------------------------------------------------------------------------------------------------------------
# shard patterns and writing
# ---------------------------------------------------------------------------------------------------------------------

def test_expand_braces_ranges_lists_and_padding():
    assert expand_braces('train-{000000..000002}.tar') == ['train-000000.tar', 'train-000001.tar', 'train-000002.tar']
    assert expand_braces('{a,b}-{8..10}') == ['a-8', 'a-9', 'a-10', 'b-8', 'b-9', 'b-10']
    assert expand_braces('x{3..1}') == ['x3', 'x2', 'x1']
    assert expand_braces('{08..10}') == ['08', '09', '10']
    assert expand_braces('{a,{b,c}d}') == ['a', 'bd', 'cd']
    assert expand_braces('plain.tar') == ['plain.tar'] and expand_braces('{x}') == ['{x}']
    for bad in ('a{0..2', 'a}b'):
        with pytest.raises(ValueError, match='Unbalanced'):
            expand_braces(bad)


def test_parse_size_units():
    assert parse_size('100MB') == 100 * 10 ** 6 and parse_size('1GiB') == 2 ** 30 and parse_size('1.5kb') == 1500
    assert parse_size('512') == 512
    with pytest.raises(ValueError, match='100MB'):
        parse_size('lots')


def test_write_shards_round_trip_and_limits(tmp_path: Path):
    files = _write_folder(tmp_path / 'img' / 'train', {'cat': 9, 'dog': 6, 'emu': 4})
    files_val = _write_folder(tmp_path / 'img' / 'validation', {'cat': 2, 'emu': 3}, start=100)
    # a sample takes 2 KiB (two 512-byte headers, two padded data blocks) and a tar is padded to 10 KiB records:
    # 12 KiB holds 4 samples, so the size (not --max-count 5) cuts the shards
    written = write_shards_main([str(tmp_path / 'img'), str(tmp_path / 'wds'), '--shard-size', '12KiB',
                                 '--max-count', '5'])
    assert set(written) == {'train', 'validation'}
    assert [c for _, c in written['train']] == [4, 4, 4, 4, 3]
    assert all(os.path.getsize(path) <= 12 * 1024 for path, _ in written['train'])
    assert (tmp_path / 'wds' / 'classes.txt').read_text().split() == ['cat', 'dog', 'emu']
    info = json.loads((tmp_path / 'wds' / '_info.json').read_text())
    assert info['splits']['validation']['num_samples'] == 5

    for split, reference in (('train', files), ('validation', files_val)):
        pattern = info['splits'][split]['pattern']
        ds = create_dataset(f'wds/{tmp_path}/wds/{pattern}', split=split, load_bytes=True)
        names = {i: n for n, i in ds.class_to_idx.items()}
        got = [(data, names[target]) for data, target in ds]
        assert Counter(got) == Counter(reference.items())
    # a folder root finds the split's shards by name; training shuffles but yields the same set
    ds = create_dataset('wds/', root=tmp_path / 'wds', split='train', is_training=True, load_bytes=True)
    assert sorted(d for d, _ in ds) == sorted(files) and len(ds) == 19
    # the writer shuffles across shards: the first shard does not hold one class only
    first = create_dataset(f'wds/{written["train"][0][0]}', split='train')
    assert len({t for _, t in first}) > 1


def test_shard_writer_keeps_one_oversized_sample_per_shard(tmp_path: Path):
    with ShardWriter(str(tmp_path / 'o-{index:02d}.tar'), max_size=12 * 1024) as w:
        for i in range(3):
            w.write(f'k{i}', {'bin': bytes(20_000)})
    assert [c for _, c in w.shards] == [1, 1, 1]
    with pytest.raises(ValueError, match='must not contain'):
        ShardWriter(str(tmp_path / 'x-{index}.tar')).write('a.b', {'cls': b'1'})


# ---------------------------------------------------------------------------------------------------------------------
# the epoch split
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('length', [1, 7, 23, 64, 101])
@pytest.mark.parametrize('replicas, workers, batch', [(1, 1, 4), (2, 2, 3), (3, 4, 2), (4, 3, 5)])
def test_epoch_plan_covers_the_stream_exactly_once(length, replicas, workers, batch):
    seen = []
    for rank in range(replicas):
        (lo, hi), _ = epoch_plan(length, batch, replicas, rank)
        parts = [epoch_plan(length, batch, replicas, rank, workers, w)[1] for w in range(workers)]
        assert sum(b - a for a, b in parts) == hi - lo and hi - lo in (length // replicas, -(-length // replicas))
        # every worker's share is whole batches except the rank's last one, so the loader's length is exact
        assert sum(-(-(b - a) // batch) for a, b in parts) == -(-(hi - lo) // batch)
        seen += [i for a, b in parts for i in range(a, b)]
    assert sorted(seen) == list(range(length))

    kept, steps = [], set()
    for rank in range(replicas):
        (lo, hi), _ = epoch_plan(length, batch, replicas, rank, drop_last=True)
        parts = [epoch_plan(length, batch, replicas, rank, workers, w, drop_last=True)[1] for w in range(workers)]
        assert all((b - a) % batch == 0 for a, b in parts)
        steps.add(sum((b - a) // batch for a, b in parts))
        kept += [i for a, b in parts for i in range(a, b)]
    assert len(steps) == 1 and len(kept) == len(set(kept)) == steps.pop() * batch * replicas
    assert length - len(kept) < replicas * batch


def _iterate_as(ds: IterableImageDataset, monkeypatch, rank: int, replicas: int, worker: int,
                workers: int) -> List[Tuple[int, int]]:
    ds.set_loader_cfg(num_replicas=replicas, rank=rank)
    monkeypatch.setattr(zit.data, 'get_worker_info', lambda: SimpleNamespace(id=worker, num_workers=workers))
    return [(_id_of(img), t) for img, t in ds]


@pytest.mark.parametrize('training', [False, True])
def test_ranks_and_workers_see_each_sample_once(tmp_path: Path, monkeypatch, training):
    ids = _write_shards(tmp_path, [5, 9, 2, 7, 6])  # 29 samples, 5 uneven shards, 3 ranks x 2 workers
    ds = create_dataset(f'wds/{tmp_path}/s-{{000..004}}.tar', is_training=training, batch_size=2)
    ds.shuffle_size = 4

    def epoch(e: int) -> List[List[Tuple[int, int]]]:
        ds.set_epoch(e)
        return [_iterate_as(ds, monkeypatch, r, 3, w, 2) for r in range(3) for w in range(2)]

    parts = epoch(0)
    got = [i for part in parts for i, _ in part]
    assert all(t == i % 3 for part in parts for i, t in part)
    if not training:
        assert sorted(got) == ids and got == ids  # evaluation: stored order, each sample once
    else:
        assert len(got) == len(set(got)) == 3 * (29 // 3 // 2) * 2  # 3 ranks x 4 full batches of 2
        assert all(len(p) % 2 == 0 for p in parts)
        again, other = epoch(0), epoch(1)
        assert again == parts and other != parts  # the epoch picks the shuffle, reproducibly
        assert len({i for p in other for i, _ in p}) == 24


def test_num_samples_and_repeats_define_the_epoch(tmp_path: Path):
    ids = _write_shards(tmp_path, [4, 3])
    ds = create_dataset(f'wds/{tmp_path}/s-{{000..001}}.tar', num_samples=5)
    assert len(ds) == 5 and [_id_of(x) for x, _ in ds] == ids[:5]
    ds = create_dataset(f'wds/{tmp_path}/s-*.tar', repeats=2, batch_size=3)
    assert len(ds) == 14 and Counter(_id_of(x) for x, _ in ds) == Counter(ids * 2)
    with pytest.raises(ValueError, match='iterable datasets'):
        create_dataset('', root=tmp_path, repeats=2)


def test_epoch_and_skip_counters_are_shared_only_with_workers(tmp_path: Path):
    import copy
    import pickle
    _write_shards(tmp_path, [3])
    ds = create_dataset(f'wds/{tmp_path}/s-000.tar', is_training=True)
    ds.set_epoch(4)
    twin = copy.deepcopy(ds)  # an ordinary copy gets its own counters, with the values of the moment
    twin.set_epoch(7)
    assert (ds.epoch, twin.epoch) == (4, 7) and pickle.loads(pickle.dumps(ds)).epoch == 4


@pytest.mark.slow
def test_spawned_persistent_workers_follow_set_epoch(tmp_path: Path):
    """Workers started with spawn (macOS / Windows default, and inside mp.spawn ranks) share the epoch and the skip
    count too. Slow only for re-importing torch in each worker."""
    _write_shards(tmp_path, [4, 4])
    _tar(tmp_path / 's-002.tar', [('bad.png', b'broken'), ('bad.cls', b'1')])
    ds = create_dataset(f'wds/{tmp_path}/s-{{000..002}}.tar', is_training=True, batch_size=3)
    ds.transform = _IdAndWorker()
    ds.set_loader_cfg(batch_size=3, drop_last=True, num_replicas=1, rank=0)
    loader = torch.utils.data.DataLoader(ds, batch_size=3, num_workers=2, multiprocessing_context='spawn',
                                         persistent_workers=True, collate_fn=_as_list)
    orders = []
    for epoch in (0, 1, 0):
        ds.set_epoch(epoch)
        orders.append([x.tolist() if isinstance(x, torch.Tensor) else 'bad' for b in loader for x, _ in b])
    assert orders[0] == orders[2] and orders[0] != orders[1] and ds.num_skipped == orders[0].count('bad') * 3 > 0


def test_loader_over_shards_with_workers(tmp_path: Path):
    """create_loader: no sampler, exact length, and the epoch reaches persistent workers."""
    _write_shards(tmp_path, [6, 5, 6])
    ds = create_dataset(f'wds/{tmp_path}/s-{{000..002}}.tar', is_training=True, batch_size=4)
    loader = create_loader(ds, input_size=(3, 8, 8), batch_size=4, is_training=True, num_workers=2,
                           use_prefetcher=False, no_aug=True, device='cpu')
    assert loader.sampler is not None and not hasattr(loader.sampler, 'set_epoch')
    assert len(loader) == 4 and ds.drop_last
    orders = []
    for e in (0, 1, 0):
        ds.set_epoch(e)
        batches = list(loader)
        assert len(batches) == len(loader) and all(x.shape == (4, 3, 8, 8) for x, _ in batches)
        orders.append(torch.cat([y for _, y in batches]).tolist())
    assert orders[0] == orders[2] and orders[0] != orders[1]
    ev = create_dataset(f'wds/{tmp_path}/s-{{000..002}}.tar', batch_size=4)
    ev_loader = create_loader(ev, input_size=(3, 8, 8), batch_size=4, num_workers=2, use_prefetcher=False,
                              device='cpu')
    assert len(ev_loader) == 5 and sum(len(y) for _, y in ev_loader) == 17


def _as_list(batch: List[Any]) -> List[Any]:
    return batch


class _IdAndWorker:
    """Transform for the sharding test: the sample's id and the loader worker that produced it."""

    def __call__(self, img: Image.Image) -> torch.Tensor:
        info = torch.utils.data.get_worker_info()
        return torch.tensor([_id_of(img), -1 if info is None else info.id])


def _sharding_rank(rank: int, port: int, pattern: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    # loader workers fork, as under torchrun; spawn's default here would re-import torch in every worker (seconds)
    multiprocessing.set_start_method('fork', force=True)
    torch.distributed.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    log = {}
    try:
        for training in (False, True):
            ds = create_dataset(f'wds/{pattern}', is_training=training, batch_size=3)
            loader = create_loader(ds, input_size=(3, 4, 4), batch_size=3, is_training=training, num_workers=2,
                                   distributed=True, use_prefetcher=False, device='cpu')
            ds.transform = _IdAndWorker()  # replaces the image transform create_loader set; workers start later
            for epoch in ((0, 1) if training else (0,)):
                ds.set_epoch(epoch)
                batches = [x.tolist() for x, _ in loader]
                log[f'{"train" if training else "eval"}{epoch}'] = {'len': len(loader), 'batches': batches}
    finally:
        torch.distributed.destroy_process_group()
    Path(out_dir, f'rank{rank}.json').write_text(json.dumps(log))


@pytest.mark.slow
def test_two_gloo_ranks_two_workers_each_sample_once(tmp_path: Path):
    """2 DDP ranks (gloo on 127.0.0.1) x 2 loader workers over 4 uneven shards; each logs the sample ids it read.

    Slow only for starting two fresh interpreters (torch imported in each); the split itself is also checked in
    process by test_ranks_and_workers_see_each_sample_once.
    """
    ids = _write_shards(tmp_path, [7, 3, 10, 5])  # 25 samples: no even split by shards, ranks, workers or batches
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(_sharding_rank, args=(port, f'{tmp_path}/s-{{000..003}}.tar', str(tmp_path)),
                                nprocs=2, join=True)
    logs = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in range(2)]
    for log in logs:
        for run in log.values():
            assert len(run['batches']) == run['len']  # the loader's length is what it yields
            assert {w for b in run['batches'] for _, w in b} == {0, 1}  # both workers of the rank read
    eval_ids = [i for log in logs for b in log['eval0']['batches'] for i, _ in b]
    assert sorted(eval_ids) == ids  # evaluation: every sample exactly once over ranks and workers
    assert [log["eval0"]["len"] for log in logs] == [4, 5]  # 12 and 13 samples in batches of 3
    for epoch in ('train0', 'train1'):
        got = [i for log in logs for b in log[epoch]['batches'] for i, _ in b]
        # training: equal full batches on both ranks (4 of 3), no sample twice, one of 25 left for the next epoch
        assert [len(log[epoch]['batches']) for log in logs] == [4, 4] and len(got) == len(set(got)) == 24
        assert all(len(b) == 3 for log in logs for b in log[epoch]['batches'])
    assert logs[0]['train0']['batches'] != logs[0]['train1']['batches']


# ---------------------------------------------------------------------------------------------------------------------
# labels, keys and bad input
# ---------------------------------------------------------------------------------------------------------------------

def _tar(path: Path, members: List[Tuple[str, bytes]]) -> None:
    with tarfile.open(path, 'w') as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_json_labels_and_keys(tmp_path: Path):
    _tar(tmp_path / 'j.tar', [('a.jpg', _png(1)), ('a.webp', _png(2)), ('a.json', b'{"label": 2, "y": 7}'),
                               ('b.png', _png(3)), ('b.json', b'{"label": 0, "y": 5}')])
    ds = create_dataset(f'wds/{tmp_path}/j.tar')
    assert [(_id_of(x), t) for x, t in ds] == [(1, 2), (3, 0)]  # jpg preferred, json 'label' field
    ds = create_dataset(f'wds/{tmp_path}/j.tar', input_key='webp;png', target_key='y')
    assert [(_id_of(x), t) for x, t in ds] == [(2, 7), (3, 5)]
    with pytest.raises(ValueError, match='dict-style'):
        create_dataset('', root=tmp_path, input_key='img')


def test_corrupt_members_are_skipped_counted_and_named(tmp_path: Path, caplog):
    good = [(f'g{i}.png', _png(i)) for i in range(6)] + [(f'g{i}.cls', b'1') for i in range(6)]
    _tar(tmp_path / 'c-0.tar', sorted(good[:3] + good[6:9]))
    _tar(tmp_path / 'c-1.tar', [('bad.png', b'not a png at all'), ('bad.cls', b'0'), ('nolabel.png', _png(9)),
                                ('nolabel.cls', b'x'), ('noimage.cls', b'1')] + sorted(good[3:6] + good[9:]))
    ds = create_dataset(f'wds/{tmp_path}/c-{{0..1}}.tar', batch_size=3)
    loader = create_loader(ds, input_size=(3, 4, 4), batch_size=3, num_workers=2, use_prefetcher=False,
                           device='cpu')
    with caplog.at_level(logging.WARNING, logger='zoo.data.iterable'):
        batches = list(loader)
    skipped = [u for b in batches for u in unreadable_in(b)]
    assert sum(len(y) for _, y in batches) == 6 and len(skipped) == 3
    assert all(isinstance(u, UnreadableImage) for u in skipped)
    assert ds.num_skipped == 3  # counted across the two worker processes
    names = ' '.join(u.filename + ' ' + u.error for u in skipped)
    assert 'c-1.tar:bad.png' in names and 'nolabel' in names and 'no image member' in names
    # the warnings come from the worker processes; in-process iteration shows them in the log
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger='zoo.data.iterable'):
        assert sum(isinstance(x, UnreadableImage) for x, _ in ds) == 3
    assert 'c-1.tar:bad.png' in caplog.text and ds.num_skipped == 6


def test_missing_and_broken_shards_are_named(tmp_path: Path):
    _write_shards(tmp_path, [2, 2])
    with pytest.raises(FileNotFoundError, match=r's-002\.tar.*s-\{000\.\.003\}\.tar'):
        create_dataset(f'wds/{tmp_path}/s-{{000..003}}.tar')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        create_dataset(f'wds/{tmp_path}/nope.tar')
    (tmp_path / 's-009.tar').write_bytes(b'\x00garbage' * 100)
    with pytest.raises(ValueError, match='s-009.tar is not a readable tar'):
        create_dataset(f'wds/{tmp_path}/s-{{000,009}}.tar')
    # a shard cut short after it was counted: the lost samples are reported, positions do not shift
    ds = create_dataset(f'wds/{tmp_path}/s-{{000..001}}.tar')
    data = (tmp_path / 's-001.tar').read_bytes()
    (tmp_path / 's-001.tar').write_bytes(data[:1024 + 700])
    items = list(ds)
    assert len(items) == 4 and sum(isinstance(x, UnreadableImage) for x, _ in items) == 2


def test_folder_split_lookup(tmp_path: Path):
    _write_shards(tmp_path, [1])
    (tmp_path / 's-000.tar').rename(tmp_path / 'validation-000.tar')
    assert resolve_shards('', str(tmp_path), 'val') == [str(tmp_path / 'validation-000.tar')]
    with pytest.raises(FileNotFoundError, match="split 'train'"):
        resolve_shards('', str(tmp_path), 'train')


# ---------------------------------------------------------------------------------------------------------------------
# Hugging Face datasets (built here, read offline)
# ---------------------------------------------------------------------------------------------------------------------

@pytest.fixture()
def hf_offline(monkeypatch):
    monkeypatch.setenv('HF_DATASETS_OFFLINE', '1')
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    return pytest.importorskip('datasets')


def _hf_split(datasets, ids: List[int], image_col: str = 'image', label_col: str = 'label'):
    features = datasets.Features({image_col: datasets.Image(), label_col: datasets.ClassLabel(names=['a', 'b', 'c'])})
    return datasets.Dataset.from_dict({image_col: [{'bytes': _png(i), 'path': None} for i in ids],
                                       label_col: [i % 3 for i in ids]}, features=features)


def _pairs(ds) -> List[Tuple[int, int]]:
    return [(_id_of(x), t) for x, t in ds]


def test_hfds_from_disk_parquet_and_imagefolder(tmp_path: Path, hf_offline):
    datasets = hf_offline
    train, val = list(range(10)), list(range(50, 54))
    datasets.DatasetDict(train=_hf_split(datasets, train), validation=_hf_split(datasets, val)).save_to_disk(
        str(tmp_path / 'disk'))
    ds = create_dataset('hfds/disk', root=tmp_path, split='val')
    assert _pairs(ds) == [(i, i % 3) for i in val] and ds.class_to_idx == {'a': 0, 'b': 1, 'c': 2}
    ds = create_dataset(f'hfds/{tmp_path}/disk', split='train', num_samples=5)
    assert _pairs(ds) == [(i, i % 3) for i in train[::2]]  # evenly spaced subset

    (tmp_path / 'pq' / 'data').mkdir(parents=True)
    pq_file = str(tmp_path / 'pq' / 'data' / 'train-00000-of-00001.parquet')
    _hf_split(datasets, train, 'picture', 'y').to_parquet(pq_file)
    cache = str(tmp_path / 'cache')
    ds = create_dataset(f'hfds/{tmp_path}/pq', split='train', input_key='picture', target_key='y', cache_dir=cache)
    assert _pairs(ds) == [(i, i % 3) for i in train]
    with pytest.raises(ValueError, match="no image column named image.*picture, y.*--input-key"):
        create_dataset(f'hfds/{tmp_path}/pq', split='train', cache_dir=cache)
    with pytest.raises(ValueError, match="no label column 'label'.*--target-key"):
        create_dataset(f'hfds/{tmp_path}/pq', split='train', input_key='picture', target_key='label',
                       cache_dir=cache)

    files = _write_folder(tmp_path / 'if' / 'train', {'cat': 3, 'dog': 2})
    ds = create_dataset(f'hfds/{tmp_path}/if', split='train', load_bytes=True, cache_dir=cache)
    names = {i: n for n, i in ds.class_to_idx.items()}
    assert Counter((x, names[t]) for x, t in ds) == Counter(files.items())


def test_hfids_streams_each_sample_once_per_rank_and_worker(tmp_path: Path, hf_offline, monkeypatch):
    datasets = hf_offline
    ids = list(range(17))
    (tmp_path / 'pq' / 'data').mkdir(parents=True)
    for k, part in enumerate((ids[:6], ids[6:9], ids[9:])):  # three uneven parquet shards
        _hf_split(datasets, part).to_parquet(str(tmp_path / 'pq' / 'data' / f'train-{k:05d}-of-00003.parquet'))
    ds = create_dataset(f'hfids/{tmp_path}/pq', split='train', batch_size=2, cache_dir=str(tmp_path / 'cache'))
    assert isinstance(ds, IterableImageDataset) and len(ds) == 17 and ds.class_to_idx == {'a': 0, 'b': 1, 'c': 2}
    parts = [_iterate_as(ds, monkeypatch, r, 2, w, 2) for r in range(2) for w in range(2)]
    assert sorted(p for part in parts for p in part) == [(i, i % 3) for i in ids]
    ds = create_dataset(f'hfids/{tmp_path}/pq', split='train', is_training=True, batch_size=2, num_samples=12,
                        cache_dir=str(tmp_path / 'cache'))
    ds.shuffle_size = 3
    parts = [_iterate_as(ds, monkeypatch, r, 2, w, 2) for r in range(2) for w in range(2)]
    got = [i for part in parts for i, _ in part]
    assert len(got) == len(set(got)) == 12 and set(got) <= set(ids)
