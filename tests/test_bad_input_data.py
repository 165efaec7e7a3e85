"""Bad data never gives a silent wrong result (issue 12, data items 1-7 and 12).

Unreadable images are skipped and counted, never swapped for another sample; class indices come from the folder
tree and, for trained weights, from their recorded class names; class maps, tar member names, image modes,
``--num-classes`` and batch sizes that do not fit are errors that name the fix; weights carry their data config.

References: the images' own labels and pixels, hand-computed pixel values, runs on the same data without the bad
files, and cross-entropy computed from inference logits.
"""
import csv
import io
import json
import logging
import math
import sys
import tarfile
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import zoo.data as zd
from zoo.data.loader import Batch
from zoo.utils import Runtime, TrainOptions, train_one_epoch, validate

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLASS_COLOURS = {'a': (200, 30, 30), 'b': (30, 200, 30), 'c': (30, 30, 200)}
TINY_MODEL = ['--model', 'resnet18_cifar', '--model-kwargs', 'channels=(8,16,32,64)', 'stem_width=8']


# ---------------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------------

def _image(path: Path, colour, seed: int, size: int = 10) -> None:
    rng = np.random.RandomState(seed)
    arr = np.clip(np.array(colour)[None, None] + rng.randint(-25, 26, (size, size, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def _bad(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == 'zero':
        path.write_bytes(b'')
    elif kind == 'truncated':
        _image(path, (128, 128, 128), seed=99, size=32)
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    else:
        path.write_bytes(b'this is not an image')
    with pytest.raises(OSError):  # sanity: PIL really cannot decode it
        Image.open(path).load()


def _folder(root: Path, layout: Dict[str, int], bad: Dict[str, str] = (), seed: int = 0) -> List[str]:
    """``layout``: class -> number of good images (0 makes an empty class folder). Returns the good rel paths."""
    good = []
    for cls, n in layout.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            rel = f'{cls}/img{j}.png'
            _image(root / rel, CLASS_COLOURS.get(cls, (128, 128, 128)), seed=seed + 10 * j + ord(cls))
            good.append(rel)
    for rel, kind in dict(bad).items():
        _bad(root / rel, kind)
    return good


TRAIN_BAD = {'a/zz_zero.png': 'zero'}
VAL_BAD = {'a/img_truncated.png': 'truncated', 'b/img_text.png': 'text', 'c/img_zero.png': 'zero'}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> Path:
    """train/: a 7 (+1 zero-byte file), b empty, c 12; validation/: a 4, b 3, c 4 (+3 unreadable files)."""
    root = tmp_path_factory.mktemp('bad') / 'data'
    _folder(root / 'train', {'a': 7, 'b': 0, 'c': 12}, TRAIN_BAD)
    _folder(root / 'validation', {'a': 4, 'b': 3, 'c': 4}, VAL_BAD, seed=1000)
    clean = root.parent / 'clean'
    _folder(clean / 'validation', {'a': 4, 'b': 3, 'c': 4}, seed=1000)
    return root


@pytest.fixture(scope='module')
def trained(data_root: Path) -> Path:
    """One epoch of train.py on the folder data (20 training files, one unreadable, 5 batches of 4)."""
    import train
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = data_root.parent / 'runs'
    try:
        train.main([str(data_root), *TINY_MODEL, '--img-size', '8', '--crop-pct', '1.0', '--num-classes', '3',
                    '-b', '4', '--epochs', '1', '--warmup-epochs', '0', '--workers', '0', '--device', 'cpu',
                    '--output', str(out), '--experiment', 'run', '--max-unreadable-fraction', '0.2'])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return out / 'run'


def _validate(*argv: str) -> Dict:
    import validate as validate_script
    (row,) = validate_script.main([*argv, '--device', 'cpu', '--workers', '0', '--log-freq', '0'])
    return row


def _infer(tmp_path: Path, *argv: str) -> List[Dict]:
    import inference
    # --include-index: the rows are compared by class index (inference.py writes indices only when asked, as timm's)
    return inference.main([*argv, '--device', 'cpu', '--workers', '0', '--results-dir', str(tmp_path),
                           '--results-format', 'json', '--include-index', '--no-console-results'])


# ---------------------------------------------------------------------------------------------------------------------
# 1. unreadable images: skipped and counted, never replaced by another sample
# ---------------------------------------------------------------------------------------------------------------------

def test_loader_leaves_out_and_reports_unreadable_images(data_root: Path) -> None:
    ds = zd.create_dataset('', data_root, split='validation')
    good = [i for i, f in enumerate(ds.filenames()) if f not in VAL_BAD]
    labels = [ds.reader[i][1] for i in good]
    loader = zd.create_loader(ds, (3, 8, 8), batch_size=4, num_workers=1, persistent_workers=False, crop_pct=1.0,
                              device='cpu')
    targets, unreadable = [], []
    for batch in loader:
        x, y = batch
        assert x.shape[0] == y.shape[0]
        targets += y.tolist()
        unreadable += zd.unreadable_in(batch)
    # every readable image once, with its own label; nothing stands in for the broken files
    assert targets == labels and len(targets) == 11
    assert sorted(Path(u.filename).relative_to(data_root / 'validation').as_posix() for u in unreadable) \
        == sorted(VAL_BAD)
    assert all(u.error for u in unreadable)
    # direct indexing gives the marker, not the next image
    bad_index = ds.filenames().index('b/img_text.png')
    marker, target = ds[bad_index]
    assert isinstance(marker, zd.UnreadableImage) and marker.index == bad_index and target == ds.class_to_idx['b']


def _tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 3))


def test_training_stops_above_unreadable_fraction(data_root: Path) -> None:
    ds = zd.create_dataset('', data_root, split='train')
    loader = zd.create_loader(ds, (3, 8, 8), batch_size=4, is_training=True, num_workers=0, device='cpu')
    model = _tiny_net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match=r'1 of the 20 training images .* could not be read.*zz_zero\.png.*'
                                           r'--max-unreadable-fraction'):
        train_one_epoch(0, model, loader, opt, nn.CrossEntropyLoss(), Runtime(), TrainOptions(log_interval=100))
    metrics = train_one_epoch(0, model, loader, opt, nn.CrossEntropyLoss(), Runtime(),
                              TrainOptions(log_interval=100, max_unreadable_fraction=0.1))
    assert metrics['num_unreadable'] == 1


def test_batch_without_readable_images_contributes_nothing() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 0])
    lost = [zd.UnreadableImage(i, f'f{i}.png', 'OSError') for i in range(4)]
    empty = Batch(torch.empty(0, 3, 8, 8), torch.empty(0, dtype=torch.int64), lost)
    a, b = _tiny_net(), _tiny_net()
    opt_a, opt_b = torch.optim.SGD(a.parameters(), lr=0.1), torch.optim.SGD(b.parameters(), lr=0.1)
    ma = train_one_epoch(0, a, [Batch(x, y), empty], opt_a, nn.CrossEntropyLoss(), Runtime(),
                         TrainOptions(log_interval=100, max_unreadable_fraction=None))
    mb = train_one_epoch(0, b, [Batch(x, y)], opt_b, nn.CrossEntropyLoss(), Runtime(), TrainOptions(log_interval=100))
    assert ma['num_unreadable'] == 4 and mb['num_unreadable'] == 0 and ma['loss'] == pytest.approx(mb['loss'])
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb)
    # a loader of unknown length is held to the limit at the end of the pass: 4 of 8 images
    with pytest.raises(RuntimeError, match=r'4 of the 8 training images'):
        train_one_epoch(0, a, [Batch(x, y), empty], opt_a, nn.CrossEntropyLoss(), Runtime(),
                        TrainOptions(log_interval=100, max_unreadable_fraction=0.25))


def test_validate_counts_readable_samples_only() -> None:
    logits = torch.eye(3)[[0, 1, 2, 0]] * 5
    target = torch.tensor([0, 1, 1, 0])
    lost = [zd.UnreadableImage(9, 'x.png', 'OSError')]
    batches = [Batch(logits[:2], target[:2], lost), Batch(logits[:0], target[:0], lost * 2),
               Batch(logits[2:], target[2:])]
    res = validate(nn.Identity(), batches, nn.CrossEntropyLoss(), Runtime(), log_interval=1)
    assert res['num_samples'] == 4 and res['num_unreadable'] == 3
    assert res['top1'] == pytest.approx(75.0)
    assert res['loss'] == pytest.approx(nn.functional.cross_entropy(logits, target).item(), rel=1e-6)
    with pytest.raises(RuntimeError, match='No image of the evaluation data could be read'):
        validate(nn.Identity(), [Batch(logits[:0], target[:0], lost)], nn.CrossEntropyLoss(), Runtime())


def test_train_run_reports_unreadable_per_epoch(trained: Path) -> None:
    with open(trained / 'summary.csv') as f:
        (row,) = list(csv.DictReader(f))
    assert row['train_num_unreadable'] == '1'
    assert row['eval_num_unreadable'] == '3' and row['eval_num_samples'] == '11'


def test_validate_script_scores_readable_images_only(data_root: Path, trained: Path, script_logging) -> None:
    ckpt = str(trained / 'last.pth.tar')
    row = _validate(str(data_root), '--checkpoint', ckpt)
    clean = _validate(str(data_root.parent / 'clean'), '--checkpoint', ckpt)
    assert (row['num_samples'], row['num_unreadable']) == (11, 3)
    assert (clean['num_samples'], clean['num_unreadable']) == (11, 0)
    assert row['top1'] == clean['top1'] and row['loss'] == pytest.approx(clean['loss'], rel=1e-6)


def test_inference_marks_unreadable_rows_as_errors(data_root: Path, trained: Path, tmp_path: Path,
                                                   script_logging) -> None:
    ckpt = str(trained / 'last.pth.tar')
    val, clean_val = data_root / 'validation', data_root.parent / 'clean' / 'validation'
    rows = _infer(tmp_path, str(val), '--checkpoint', ckpt, '--topk', '3', '--fullname')
    clean = _infer(tmp_path, str(clean_val), '--checkpoint', ckpt, '--topk', '3', '--fullname')
    written = json.loads((tmp_path / 'topk_predictions.json').read_text())
    assert len(rows) == 14 and len(clean) == 11 and len(written) == 11  # the file now holds the clean run
    by_name = {Path(r['filename']).relative_to(clean_val).as_posix(): r for r in clean}
    for r in rows:
        rel = Path(r['filename']).relative_to(val).as_posix()
        if rel in VAL_BAD:
            assert set(r) == {'filename', 'error'} and 'unreadable' in r['error']
        else:
            ref = by_name[rel]
            assert r['index'] == ref['index'] and r['prob'] == pytest.approx(ref['prob'], abs=1e-5)
            assert r['label'] == [['a', 'b', 'c'][i] for i in r['index']]  # names stored with the weights
    assert sum('error' in r for r in rows) == 3
    # a class map that contradicts the names stored with the weights is refused
    (tmp_path / 'classes.txt').write_text('c\nb\na\n')
    with pytest.raises(SystemExit, match='does not match the class names stored with the weights'):
        _infer(tmp_path, str(clean_val), '--checkpoint', ckpt, '--class-map', str(tmp_path / 'classes.txt'))


# ---------------------------------------------------------------------------------------------------------------------
# 2. class indices come from the folder tree and, for trained weights, from their class names
# ---------------------------------------------------------------------------------------------------------------------

def test_splits_share_one_class_list_from_the_tree(tmp_path: Path, caplog) -> None:
    _folder(tmp_path / 'train', {'a': 1, 'b': 0, 'c': 1})  # b: an empty folder
    _folder(tmp_path / 'validation', {'a': 1, 'b': 1, 'c': 1, 'd': 1})  # d: only in validation
    with caplog.at_level(logging.WARNING, logger='zoo.data'):
        train = zd.create_dataset('', tmp_path, split='train')
    val = zd.create_dataset('', tmp_path, split='validation')
    assert train.class_to_idx == val.class_to_idx == {'a': 0, 'b': 1, 'c': 2, 'd': 3}
    assert [train.reader[i][1] for i in range(len(train))] == [0, 2]
    assert "2 of the 4 classes have no images" in caplog.text and "'b'" in caplog.text and "'d'" in caplog.text
    # a single folder: the empty class folder still takes its place in the order
    assert zd.create_dataset('', tmp_path / 'train').class_to_idx == {'a': 0, 'b': 1, 'c': 2}


def test_dataset_indexed_by_given_class_names() -> None:
    ds = zd.create_dataset('zoo/digits', split='validation')
    ref = [ds.reader[i][1] for i in range(20)]
    names = [str(9 - i) for i in range(10)]  # the weights' order: '9', '8', ...
    ds.use_class_names(names, source='the weights')
    assert [ds[i][1] for i in range(20)] == [9 - t for t in ref]
    assert ds.class_to_idx['9'] == 0
    with pytest.raises(zd.UnmappedClassesError, match=r"2 class\(es\) not among the classes of the weights: '8', '9'"):
        zd.create_dataset('zoo/digits', split='validation').use_class_names([str(i) for i in range(8)],
                                                                            source='the weights')


def test_checkpoint_records_class_names_and_validate_matches_by_name(data_root: Path, trained: Path, tmp_path: Path,
                                                                     script_logging) -> None:
    state = torch.load(trained / 'last.pth.tar', weights_only=True)
    assert state['class_names'] == ['a', 'b', 'c']
    # a folder holding class c only: its own order would make c index 0; the weights say 2
    only_c = tmp_path / 'only_c'
    _folder(only_c, {'c': 4}, seed=1000)
    ckpt = str(trained / 'last.pth.tar')
    row = _validate(str(only_c), '--checkpoint', ckpt)
    preds = _infer(tmp_path, str(only_c), '--checkpoint', ckpt, '--topk', '3', '--output-type', 'logit')
    ce = []
    for p in preds:
        logits = dict(zip(p['index'], p['logit']))
        log_z = math.log(sum(math.exp(v) for v in logits.values()))
        ce.append(log_z - logits[2])
    assert row['num_samples'] == 4 and row['loss'] == pytest.approx(sum(ce) / 4, rel=1e-4)
    # a dataset class the weights do not know is refused, naming it
    _folder(tmp_path / 'with_d', {'a': 1, 'd': 1})
    with pytest.raises(zd.UnmappedClassesError, match=r"'d'.*Those classes are 'a', 'b', 'c'"):
        _validate(str(tmp_path / 'with_d'), '--checkpoint', ckpt)


# ---------------------------------------------------------------------------------------------------------------------
# 3. a class map lacking a folder's class
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('as_tar', [False, True])
def test_class_map_missing_classes_is_an_error(tmp_path: Path, as_tar: bool, caplog) -> None:
    root = tmp_path / 'ds'
    _folder(root, {'a': 2, 'b': 3, 'c': 1})
    if as_tar:
        with tarfile.open(tmp_path / 'ds.tar', 'w') as tf:
            tf.add(root, arcname='.')
        root = tmp_path / 'ds.tar'
    with pytest.raises(zd.UnmappedClassesError, match=r"2 class folder\(s\) .* not in the class map: 'b', 'c' "
                                                      r"\(4 images\).*--ignore-unmapped-classes") as err:
        zd.create_dataset('', root, class_map=['a'])
    assert err.value.classes == ['b', 'c']
    with caplog.at_level(logging.WARNING, logger='zoo.data'):
        ds = zd.create_dataset('', root, class_map=['c', 'a'], ignore_unmapped_classes=True)
    assert ds.class_to_idx == {'c': 0, 'a': 1} and [ds.reader[i][1] for i in range(len(ds))] == [1, 1, 0]
    assert "Leaving out 3 images" in caplog.text and "'b'" in caplog.text


# ---------------------------------------------------------------------------------------------------------------------
# 4. tar member names that point outside the archive
# ---------------------------------------------------------------------------------------------------------------------

def test_tar_unsafe_members_are_skipped_and_counted(tmp_path: Path) -> None:
    src = tmp_path / 'src'
    _folder(src, {'a': 1, 'b': 1})
    tar_path = tmp_path / 'work' / 'ds.tar'
    tar_path.parent.mkdir()
    png = (src / 'a' / 'img0.png').read_bytes()
    with tarfile.open(tar_path, 'w') as tf:
        tf.add(src / 'a' / 'img0.png', arcname='a/img0.png')
        tf.add(src / 'b' / 'img0.png', arcname='b/img0.png')
        for name in ('../../escape.png', '/abs/escape.png', 'a/../../up.png'):
            # TarInfo directly: tf.add would strip the leading '/'
            member = tarfile.TarInfo(name)
            member.size = len(png)
            tf.addfile(member, io.BytesIO(png))
        link = tarfile.TarInfo('a/link.png')
        link.type, link.linkname = tarfile.SYMTYPE, '../../../etc/passwd'
        tf.addfile(link)
        hard = tarfile.TarInfo('b/hard.png')
        hard.type, hard.linkname = tarfile.LNKTYPE, 'a/img0.png'
        tf.addfile(hard)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob('*'))
    ds = zd.create_dataset('', tar_path)
    # no made-up class such as '.._..' or 'abs': the real indices stay put
    assert ds.class_to_idx == {'a': 0, 'b': 1} and ds.filenames() == ['a/img0.png', 'b/img0.png']
    assert sorted(ds.reader.skipped_members) == sorted(
        ['../../escape.png', '/abs/escape.png', 'a/../../up.png', 'a/link.png', 'b/hard.png'])
    loader = zd.create_loader(ds, (3, 8, 8), batch_size=2, num_workers=0, crop_pct=1.0, device='cpu')
    (x, y), = list(loader)
    assert y.tolist() == [0, 1]
    # nothing written anywhere: not beside the tar, not where the names point
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob('*')) == before
    assert not (tmp_path.parent / 'escape.png').exists() and not Path('/abs/escape.png').exists()


# ---------------------------------------------------------------------------------------------------------------------
# 5. image modes, each against a hand-computed pixel
# ---------------------------------------------------------------------------------------------------------------------

def _luma(rgb) -> int:
    # ITU-R 601-2, the luma PIL uses for RGB -> L
    return int(math.floor(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] + 0.5))


def _mode_images(folder: Path) -> Dict[str, List]:
    """Write one 1x4 image per mode; returns file -> the 4 expected RGB pixels."""
    folder.mkdir(parents=True)
    expected = {}
    # 16-bit: 0..65535 maps to 0..255 (1000 -> 3.89 -> 4, 32768 -> 127.5 -> 128); clamping would give 255
    Image.fromarray(np.array([[0, 1000, 32768, 65535]], dtype=np.uint16)).save(folder / 'i16.png')
    assert Image.open(folder / 'i16.png').mode == 'I;16'
    expected['i16.png'] = [(v,) * 3 for v in (0, 4, 128, 255)]
    Image.fromarray(np.array([[0, 1000, 32768, 65535]], dtype=np.int32), 'I').save(folder / 'i32.tif')
    expected['i32.tif'] = [(v,) * 3 for v in (0, 4, 128, 255)]
    # float: 0..1 maps to 0..255 (0.25 -> 63.75 -> 64)
    Image.fromarray(np.array([[0., .25, .5, 1.]], dtype=np.float32), 'F').save(folder / 'f32.tif')
    expected['f32.tif'] = [(v,) * 3 for v in (0, 64, 128, 255)]
    Image.fromarray(np.array([[0, 77, 200, 255]], dtype=np.uint8), 'L').save(folder / 'l.png')
    expected['l.png'] = [(v,) * 3 for v in (0, 77, 200, 255)]
    la = np.array([[[10, 0], [20, 255], [30, 128], [40, 7]]], dtype=np.uint8)
    Image.fromarray(la, 'LA').save(folder / 'la.png')
    expected['la.png'] = [(v,) * 3 for v in (10, 20, 30, 40)]  # alpha dropped, the grey value kept
    pal = Image.new('P', (4, 1))
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255] + [0] * 756)
    pal.putdata([0, 1, 2, 3])
    pal.save(folder / 'p.png', transparency=0)
    expected['p.png'] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
    cmyk = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [0, 0, 0, 255], [0, 102, 51, 0]]], dtype=np.uint8)
    Image.fromarray(cmyk, 'CMYK').save(folder / 'cmyk.tif')
    # R = (255 - C)(255 - K) / 255, and likewise for G (M) and B (Y)
    expected['cmyk.tif'] = [(255, 255, 255), (0, 255, 255), (0, 0, 0), (255, 153, 204)]
    rgba = np.array([[[10, 20, 30, 0], [40, 50, 60, 255], [70, 80, 90, 128], [1, 2, 3, 4]]], dtype=np.uint8)
    Image.fromarray(rgba, 'RGBA').save(folder / 'rgba.png')
    expected['rgba.png'] = [tuple(p[:3]) for p in rgba[0].tolist()]
    Image.fromarray(np.array([[False, True, False, True]])).save(folder / 'bw.png')
    assert Image.open(folder / 'bw.png').mode == '1'
    expected['bw.png'] = [(v,) * 3 for v in (0, 255, 0, 255)]
    return expected


def test_image_modes_convert_to_hand_computed_pixels(tmp_path: Path) -> None:
    expected = _mode_images(tmp_path / 'modes' / 'x')
    rgb = zd.create_dataset('', tmp_path / 'modes')
    gray = zd.create_dataset('', tmp_path / 'modes', input_img_mode='L')
    assert sorted(Path(f).name for f in rgb.filenames()) == sorted(expected)
    for i, rel in enumerate(rgb.filenames()):
        name = Path(rel).name
        img = rgb[i][0]
        assert img.mode == 'RGB', name
        assert [tuple(p) for p in np.asarray(img)[0].tolist()] == expected[name], name
        g = gray[i][0]
        assert g.mode == 'L' and np.asarray(g)[0].tolist() == [_luma(p) for p in expected[name]], name


# ---------------------------------------------------------------------------------------------------------------------
# 6. / 7. a classifier or batch size that does not fit the data: an error before the first step
# ---------------------------------------------------------------------------------------------------------------------

def test_num_classes_smaller_than_dataset_fails_before_training(data_root: Path, tmp_path: Path,
                                                                script_logging) -> None:
    import train
    ds = zd.create_dataset('', data_root, split='validation')
    zd.check_num_classes(3, ds)
    with pytest.raises(ValueError, match=r'num_classes=2 outputs but the data .* has 3 classes.*--num-classes 3'):
        zd.check_num_classes(2, ds, 'the data')
    out = tmp_path / 'runs'
    with pytest.raises(ValueError, match=r'--num-classes 3'):
        train.main([str(data_root), *TINY_MODEL, '--img-size', '8', '--num-classes', '2', '-b', '4', '--epochs', '1',
                    '--workers', '0', '--device', 'cpu', '--output', str(out), '--experiment', 'nc',
                    '--max-unreadable-fraction', '0.2'])
    assert not out.exists()  # nothing written: the error came before any step
    with pytest.raises(ValueError, match=r'num_classes=2 outputs but the evaluation data'):
        _validate(str(data_root), '--model', 'resnet18', '--num-classes', '2', '--img-size', '8')


def test_empty_training_loader_is_an_error_without_checkpoint(tmp_path: Path, script_logging) -> None:
    import train
    root = tmp_path / 'data'
    _folder(root / 'train', {'a': 3, 'b': 2})
    _folder(root / 'validation', {'a': 1, 'b': 1})
    out = tmp_path / 'runs'
    # an exception out of train.main is a non-zero exit of `python train.py` (only KeyboardInterrupt is caught there)
    with pytest.raises(ValueError, match=r'has 5 samples, fewer than batch_size=8 .* -b / --batch-size\) to at most 5'):
        train.main([str(root), *TINY_MODEL, '--img-size', '8', '-b', '8', '--epochs', '1', '--workers', '0',
                    '--device', 'cpu', '--output', str(out), '--experiment', 'empty'])
    assert not out.exists()  # no run folder, no checkpoint, no "best metric"


# ---------------------------------------------------------------------------------------------------------------------
# 12. weights carry their data config and class names
# ---------------------------------------------------------------------------------------------------------------------

def test_exported_weights_carry_data_config(data_root: Path, trained: Path, tmp_path: Path, script_logging) -> None:
    from zoo.models import create_model, read_weights_info, save_for_hf
    info = read_weights_info(trained / 'model_best.safetensors')
    assert info.input_size == (3, 8, 8) and info.crop_pct == 1.0 and info.class_names == ['a', 'b', 'c']
    assert info.mean == tuple(zd.IMAGENET_DEFAULT_MEAN) and info.interpolation == 'bicubic'
    assert read_weights_info(trained / 'model_best.pth.tar') == info
    # the run's own checkpoint (its args give the size) is the reference; 8 px, not resnet18_cifar's 32 px default
    ref = _validate(str(data_root), '--checkpoint', str(trained / 'model_best.pth.tar'))
    assert ref['img_size'] == 8
    safetensors = _validate(str(data_root), *TINY_MODEL, '--num-classes', '3',
                            '--checkpoint', str(trained / 'model_best.safetensors'))
    model = create_model('resnet18_cifar', channels=(8, 16, 32, 64), stem_width=8, num_classes=3,
                         checkpoint_path=str(trained / 'model_best.pth.tar'))
    save_for_hf(model, tmp_path / 'hf', model_args=dict(channels=(8, 16, 32, 64), stem_width=8))
    config = json.loads((tmp_path / 'hf' / 'config.json').read_text())
    assert config['pretrained_cfg']['input_size'] == [3, 8, 8] and config['label_names'] == ['a', 'b', 'c']
    local = _validate(str(data_root), '--model', f'local-dir:{tmp_path / "hf"}')
    for row in (safetensors, local):
        assert row['img_size'] == 8 and row['crop_pct'] == 1.0
        assert row['top1'] == ref['top1'] and row['loss'] == pytest.approx(ref['loss'], rel=1e-6)
    # an explicit override still wins, with a warning that names what the weights were trained with
    from zoo.utils import warn_data_config_overrides
    assert warn_data_config_overrides({'input_size': (3, 32, 32), 'crop_pct': 1.0}, info.data_config, 'w') == [
        'input_size=(3, 32, 32) (trained with (3, 8, 8))']
