"""Tests for zoo.data: datasets, transforms, augmentation, mixup, samplers and the loader.

References: hand-computed numbers (PIL / numpy), torchvision, and timm (test-only oracle).
"""
import json
import math
import os
import random
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch
from PIL import Image

import zoo.data as zd
from zoo.data import auto_augment as aa

REPO_ROOT = Path(__file__).resolve().parents[1]
MEAN = np.array(zd.IMAGENET_DEFAULT_MEAN, dtype=np.float64)
STD = np.array(zd.IMAGENET_DEFAULT_STD, dtype=np.float64)


# ---------------------------------------------------------------------------------------------------------------------
# helpers / fixtures
# ---------------------------------------------------------------------------------------------------------------------

def _rand_img(h: int, w: int, seed: int, mode: str = 'RGB') -> Image.Image:
    rng = np.random.RandomState(seed)
    arr = rng.randint(0, 256, size=(h, w, 3), dtype=np.uint8)
    img = Image.fromarray(arr)
    return img if mode == 'RGB' else img.convert(mode)


def _make_folder(root: Path, layout: Dict[str, List[str]]) -> Dict[str, np.ndarray]:
    """Write PNGs ``root/<cls>/<name>``; returns rel path -> pixel array."""
    pixels = {}
    for i, (cls, names) in enumerate(layout.items()):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for j, name in enumerate(names):
            img = _rand_img(6 + j, 5 + i, seed=100 * i + j)
            img.save(root / cls / name)
            pixels[f'{cls}/{name}'] = np.asarray(img)
    return pixels


LAYOUT = {'class10': ['b.png', 'a.png'], 'class2': ['img10.png', 'img9.png'], 'class1': ['x.png']}


@pytest.fixture()
def folder(tmp_path: Path):
    root = tmp_path / 'ds'
    pixels = _make_folder(root, LAYOUT)
    return root, pixels


# ---------------------------------------------------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------------------------------------------------

def test_folder_dataset_natural_order_labels_and_pixels(folder):
    root, pixels = folder
    ds = zd.create_dataset('', root, split='validation')
    # natural sort: class1 < class2 < class10, img9 < img10
    assert ds.class_to_idx == {'class1': 0, 'class2': 1, 'class10': 2}
    assert ds.filenames() == ['class1/x.png', 'class2/img9.png', 'class2/img10.png', 'class10/a.png', 'class10/b.png']
    assert ds.filename(1, basename=True) == 'img9.png'
    assert ds.filename(0, absolute=True) == str((root / 'class1' / 'x.png').resolve())
    assert len(ds) == 5
    for i, rel in enumerate(ds.filenames()):
        img, target = ds[i]
        assert img.mode == 'RGB'
        np.testing.assert_array_equal(np.asarray(img), pixels[rel])
        assert target == ds.class_to_idx[rel.split('/')[0]]


def test_split_search_and_synonyms(tmp_path: Path):
    _make_folder(tmp_path / 'training', {'a': ['1.png'], 'b': ['2.png']})
    _make_folder(tmp_path / 'val', {'a': ['3.png']})
    train = zd.create_dataset('folder', tmp_path, split='train')
    val = zd.create_dataset('folder', tmp_path, split='validation')
    assert train.root == str(tmp_path / 'training') and len(train) == 2
    assert val.root == str(tmp_path / 'val') and val.filenames() == ['a/3.png']
    # a split that is absent while other splits exist is an error naming what was found
    (tmp_path / 'val').rename(tmp_path / 'other')
    with pytest.raises(FileNotFoundError, match="No 'validation' split.*training"):
        zd.create_dataset('', tmp_path, split='validation')


def test_class_map_txt_and_json(folder, tmp_path: Path):
    root, _ = folder
    (tmp_path / 'map.txt').write_text('class10\nclass1\n')
    # a map lacking a folder's class is an error (tests/test_bad_input_data.py); opting in leaves those images out
    ds = zd.create_dataset('', root, class_map=str(tmp_path / 'map.txt'), ignore_unmapped_classes=True)
    assert ds.class_to_idx == {'class10': 0, 'class1': 1}
    assert [t for _, t in (ds.reader[i] for i in range(len(ds)))] == [1, 0, 0]  # class2 dropped
    (root / 'map.json').write_text(json.dumps({'class2': 7, 'class1': 3, 'class10': 0}))
    ds = zd.create_dataset('', root, class_map='map.json')  # relative: resolved under root
    assert sorted(ds.reader[i][1] for i in range(len(ds))) == [0, 0, 3, 7, 7]
    with pytest.raises(FileNotFoundError, match='class_map'):
        zd.create_dataset('', root, class_map='missing.txt')


def test_tar_dataset_matches_folder(folder, tmp_path: Path):
    root, pixels = folder
    tar_path = tmp_path / 'ds.tar'
    with tarfile.open(tar_path, 'w') as tf:
        for rel in pixels:
            tf.add(root / rel, arcname=rel)
    ds_tar = zd.create_dataset('', tar_path)
    ds_dir = zd.create_dataset('', root)
    assert ds_tar.class_to_idx == ds_dir.class_to_idx
    assert ds_tar.filenames() == ds_dir.filenames()
    for i in range(len(ds_dir)):
        (a, ta), (b, tb) = ds_tar[i], ds_dir[i]
        assert ta == tb
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # <root>/<split>.tar is found by the split search, and loading works from worker processes
    (tmp_path / 'splits').mkdir()
    tar_path.rename(tmp_path / 'splits' / 'validation.tar')
    ds = zd.create_dataset('', tmp_path / 'splits', split='val')
    loader = zd.create_loader(ds, (3, 8, 8), batch_size=5, num_workers=2, persistent_workers=False,
                              crop_pct=1.0, crop_mode='squash', device='cpu')
    (x, y), = list(loader)
    assert x.shape == (5, 3, 8, 8) and y.tolist() == [0, 1, 1, 2, 2]


def test_digits_builtin_split(shared_data: Path):
    train = zd.create_dataset('zoo/digits', root=None, split='train')
    val = zd.create_dataset('zoo/digits', root='', split='validation')
    assert (len(train), len(val)) == (1438, 359)
    ti, vi = train.reader.indices, val.reader.indices
    assert len(np.intersect1d(ti, vi)) == 0 and len(np.union1d(ti, vi)) == 1797
    ref = np.load(shared_data / 'digits.npz')
    # stratified 80/20: every class has round(0.2 * n) validation images
    counts = np.bincount(ref['labels'], minlength=10)
    np.testing.assert_array_equal(np.bincount(ref['labels'][vi], minlength=10), np.round(counts * 0.2))
    for ds, idx in ((train, ti), (val, vi)):
        for k in (0, 7, len(ds) - 1):
            img, target = ds[k]
            assert img.mode == 'RGB' and img.size == (8, 8) and target == ref['labels'][idx[k]]
            arr = np.asarray(img)
            for c in range(3):
                np.testing.assert_array_equal(arr[:, :, c], ref['images'][idx[k]])
    assert zd.create_dataset('zoo/digits', split='eval', input_img_mode='L')[0][0].mode == 'L'


def test_image_modes_convert(tmp_path: Path):
    base = _rand_img(7, 9, 3)
    (tmp_path / 'c').mkdir()
    base.convert('L').save(tmp_path / 'c' / '0_gray.png')
    base.convert('CMYK').save(tmp_path / 'c' / '1_cmyk.jpg', quality=100)
    pal = base.convert('P', palette=Image.Palette.ADAPTIVE, colors=16)
    pal.info['transparency'] = 0
    pal.save(tmp_path / 'c' / '2_pal.png', transparency=0)
    ds = zd.create_dataset('', tmp_path)
    gray, cmyk, palette = (ds[i][0] for i in range(3))
    assert all(im.mode == 'RGB' for im in (gray, cmyk, palette))
    g = np.asarray(gray)
    np.testing.assert_array_equal(g[:, :, 0], np.asarray(base.convert('L')))
    np.testing.assert_array_equal(g[:, :, 0], g[:, :, 2])
    cmyk_ref = Image.open(tmp_path / 'c' / '1_cmyk.jpg')
    assert cmyk_ref.mode == 'CMYK'
    np.testing.assert_array_equal(np.asarray(cmyk), np.asarray(cmyk_ref.convert('RGB')))
    np.testing.assert_array_equal(np.asarray(palette), np.asarray(pal.convert('RGBA').convert('RGB')))
    ds_l = zd.create_dataset('', tmp_path, input_img_mode='L')
    assert ds_l[1][0].mode == 'L'


def _write_idx(path: Path, arr: np.ndarray) -> None:
    """MNIST's idx format: magic (0, 0, dtype 0x08 = uint8, ndim), big-endian dims, raw bytes."""
    header = bytes([0, 0, 8, arr.ndim]) + b''.join(int(d).to_bytes(4, 'big') for d in arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


def test_torchvision_sources_offline(folder, tmp_path: Path):
    raw = tmp_path / 'tv' / 'MNIST' / 'raw'
    raw.mkdir(parents=True)
    rng = np.random.RandomState(0)
    images, labels = rng.randint(0, 256, (5, 28, 28)), np.array([3, 1, 4, 1, 5])
    for prefix in ('train', 't10k'):
        _write_idx(raw / f'{prefix}-images-idx3-ubyte', images)
        _write_idx(raw / f'{prefix}-labels-idx1-ubyte', labels)
    ds = zd.create_dataset('torch/mnist', tmp_path / 'tv', split='train')
    assert len(ds) == 5 and ds.class_to_idx['3 - three'] == 3
    img, target = ds[2]
    assert img.mode == 'RGB' and target == 4
    np.testing.assert_array_equal(np.asarray(img)[:, :, 1], images[2])
    root, pixels = folder
    (tmp_path / 'tvf').mkdir()
    root.rename(tmp_path / 'tvf' / 'validation')
    tvf = zd.create_dataset('torch/image_folder', tmp_path / 'tvf', split='val')
    assert len(tvf) == 5 and tvf.filename(0, basename=True) == 'x.png'
    assert sorted(tvf.class_to_idx) == sorted(LAYOUT)


def test_load_bytes(folder):
    root, _ = folder
    ds = zd.create_dataset('', root, load_bytes=True)
    data, target = ds[0]
    assert data == (root / 'class1' / 'x.png').read_bytes() and target == 0


def test_dataset_bad_input_errors(tmp_path: Path):
    with pytest.raises(ValueError, match='zoo/digits'):
        zd.create_dataset('zoo/nope')
    with pytest.raises(ValueError, match='not supported'):
        zd.create_dataset('tfds/imagenet', tmp_path)
    with pytest.raises(FileNotFoundError, match='imagenet does not exist'):
        zd.create_dataset('hfds/imagenet', tmp_path)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        zd.create_dataset('', tmp_path / 'missing')
    (tmp_path / 'empty' / 'cls').mkdir(parents=True)
    with pytest.raises(ValueError, match='Found no images'):
        zd.create_dataset('', tmp_path / 'empty')
    with pytest.raises(ValueError, match='needs root'):
        zd.create_dataset('torch/cifar10', None)


def test_imagenet_info(imagenet_samples: Path):
    import timm.data

    info = zd.ImageNetInfo()
    files = sorted(f for f in os.listdir(imagenet_samples) if f.endswith('.JPEG'))
    assert info.num_classes() == 1000 == len(files)
    for i, f in enumerate(files):
        wnid, name = f[:-5].split('_', 1)
        assert info.index_to_label_name(i) == wnid
        assert info.index_to_description(i) == name.replace('_', ' ')
    assert info.index_to_description(0, detailed=True) == 'tench (n01440764)'
    assert info.label_name_to_index('n01443537') == 1
    ref = timm.data.ImageNetInfo()
    assert info.label_names() == [ref.index_to_label_name(i) for i in range(1000)]
    with pytest.raises(IndexError):
        info.index_to_label_name(1000)


# ---------------------------------------------------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------------------------------------------------

class _Model(torch.nn.Module):
    def __init__(self, cfg: dict) -> None:
        super().__init__()
        self.pretrained_cfg = cfg


_CFG = dict(input_size=(3, 240, 240), interpolation='bilinear', mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25),
            crop_pct=0.9, crop_mode='squash', test_input_size=(3, 288, 288), test_crop_pct=1.0, num_classes=1000)


@pytest.mark.parametrize('args, use_test', [
    (None, False), (None, True), ({'img_size': 160, 'crop_pct': 0.95}, False),
    ({'input_size': (3, 128, 96), 'interpolation': 'bicubic', 'mean': None}, True),
    ({'crop_mode': 'border', 'std': (0.2, 0.3, 0.4)}, False),
])
def test_resolve_data_config_matches_timm(args, use_test):
    import argparse

    import timm.data

    model = _Model(dict(_CFG))
    ours = zd.resolve_data_config(args, model=model, use_test_size=use_test)
    ref = timm.data.resolve_data_config(args or {}, model=model, use_test_size=use_test)
    for k in ('input_size', 'interpolation', 'mean', 'std', 'crop_pct', 'crop_mode'):
        assert tuple(ours[k]) == tuple(ref[k]) if isinstance(ref[k], tuple) else ours[k] == ref[k], k
    if args:
        assert zd.resolve_data_config(argparse.Namespace(**args), model=model, use_test_size=use_test) == ours


def test_resolve_data_config_defaults_and_errors():
    cfg = zd.resolve_data_config()
    assert cfg == dict(input_size=(3, 224, 224), interpolation='bicubic', mean=zd.IMAGENET_DEFAULT_MEAN,
                       std=zd.IMAGENET_DEFAULT_STD, crop_pct=0.875, crop_mode='center')
    legacy = torch.nn.Linear(1, 1)
    legacy.default_cfg = dict(input_size=(1, 32, 32), mean=(0.1,), std=(0.2,))
    cfg = zd.resolve_model_data_config(legacy)
    assert cfg['input_size'] == (1, 32, 32) and cfg['mean'] == (0.1,)
    with pytest.raises(ValueError, match='crop_mode'):
        zd.resolve_data_config({'crop_mode': 'zoom'})
    with pytest.raises(ValueError, match='3 channels'):
        zd.resolve_data_config({'mean': (0.1, 0.2)})


# ---------------------------------------------------------------------------------------------------------------------
# eval / train transforms
# ---------------------------------------------------------------------------------------------------------------------

def _sample_files(imagenet_samples: Path, n: int = 6) -> List[Path]:
    files = sorted(imagenet_samples.glob('*.JPEG'))
    picked = files[::len(files) // n][:n]
    gray = [f for f in files[:200] if Image.open(f).mode == 'L'][:1]  # one of the single-channel JPEGs
    return picked + gray


def _hand_eval(img: Image.Image, size: int, crop_pct: float, resample: int) -> np.ndarray:
    """Shorter-edge resize to floor(size / crop_pct) (longer edge truncated), centre crop, normalise."""
    scale = math.floor(size / crop_pct)
    w, h = img.size
    if w <= h:
        new_w, new_h = scale, int(scale * h / w)
    else:
        new_w, new_h = int(scale * w / h), scale
    arr = np.asarray(img.resize((new_w, new_h), resample), dtype=np.float64) / 255.
    top, left = int(round((new_h - size) / 2.)), int(round((new_w - size) / 2.))
    arr = arr[top:top + size, left:left + size]
    return ((arr - MEAN) / STD).transpose(2, 0, 1)


@pytest.mark.parametrize('interp, resample, crop_pct', [
    ('bicubic', Image.Resampling.BICUBIC, 0.875), ('bilinear', Image.Resampling.BILINEAR, 0.95)])
def test_eval_transform_matches_hand_computed(imagenet_samples: Path, interp, resample, crop_pct):
    tfm = zd.create_transform((3, 224, 224), interpolation=interp, crop_pct=crop_pct)
    for f in _sample_files(imagenet_samples):
        img = Image.open(f).convert('RGB')
        out = tfm(img)
        assert out.shape == (3, 224, 224) and out.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), _hand_eval(img, 224, crop_pct, resample), atol=1e-6, rtol=0)


@pytest.mark.parametrize('crop_mode, input_size, crop_pct, interp', [
    ('center', (3, 224, 224), 0.875, 'bicubic'), ('center', (3, 160, 224), 0.9, 'bilinear'),
    ('squash', (3, 192, 192), 1.0, 'bicubic'), ('border', (3, 224, 224), 0.95, 'bilinear'),
])
def test_eval_transform_matches_timm(imagenet_samples: Path, crop_mode, input_size, crop_pct, interp):
    import timm.data

    cfg = dict(input_size=input_size, interpolation=interp, mean=zd.IMAGENET_DEFAULT_MEAN,
               std=zd.IMAGENET_DEFAULT_STD, crop_pct=crop_pct, crop_mode=crop_mode)
    ours, ref = zd.create_transform(**cfg), timm.data.create_transform(**cfg)
    ours_u8 = zd.create_transform(**cfg, use_prefetcher=True)
    for f in _sample_files(imagenet_samples, n=3):
        img = Image.open(f).convert('RGB')
        torch.testing.assert_close(ours(img), ref(img), atol=1e-6, rtol=0)
        u8 = ours_u8(img)
        assert u8.dtype == torch.uint8 and u8.shape == input_size


def test_eval_transform_squash_upscales_tiny_digits():
    img = zd.create_dataset('zoo/digits', split='validation')[0][0]
    out = zd.create_transform((3, 32, 32), crop_pct=1.0, crop_mode='squash', interpolation='bilinear',
                              use_prefetcher=True)(img)
    ref = np.asarray(img.resize((32, 32), Image.Resampling.BILINEAR)).transpose(2, 0, 1)
    np.testing.assert_array_equal(out.numpy(), ref)


def test_train_transform_structure_and_determinism():
    tfm = zd.create_transform((3, 64, 64), is_training=True, auto_augment='rand-m9-mstd0.5-inc1', re_prob=0.5,
                              interpolation='random')
    names = [type(t).__name__ for t in tfm.transforms]
    assert names == ['RandomResizedCropAndInterpolation', 'RandomHorizontalFlip', 'RandAugment', 'MaybeToTensor',
                     'Normalize', 'RandomErasing']
    jitter = zd.create_transform(48, is_training=True, color_jitter=0.3)
    assert type(jitter.transforms[2]).__name__ == 'ColorJitter'
    prim, sec, fin = zd.create_transform(64, is_training=True, auto_augment='augmix-m5-w4-d2', separate=True)
    assert type(sec.transforms[0]).__name__ == 'AugMixAugment' and len(prim.transforms) == 2
    img = _rand_img(80, 100, 5)
    outs = []
    for _ in range(2):
        random.seed(3), torch.manual_seed(3), np.random.seed(3)
        outs.append(tfm(img))
    assert outs[0].shape == (3, 64, 64)
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)
    noaug = zd.create_transform((3, 40, 40), is_training=True, no_aug=True, interpolation='bicubic')
    torch.testing.assert_close(noaug(img), zd.create_transform(40, crop_pct=1.0, interpolation='bicubic')(img))


def test_random_resized_crop_params_within_range():
    random.seed(0)
    for _ in range(200):
        top, left, h, w = zd.RandomResizedCropAndInterpolation.get_params((60, 90), (0.08, 1.0), (0.75, 4 / 3))
        assert 0 <= top <= 60 - h and 0 <= left <= 90 - w and h > 0 and w > 0
    # impossible ratio range -> deterministic centre-crop fallback clamped to the range
    assert zd.RandomResizedCropAndInterpolation.get_params((10, 100), (0.9, 1.0), (1.0, 2.0)) == (0, 40, 10, 20)


# ---------------------------------------------------------------------------------------------------------------------
# auto-augment
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('mode', ['RGB', 'L'])
def test_every_augment_op_at_several_magnitudes(mode):
    img = _rand_img(33, 41, 7, mode)
    random.seed(0)
    for name in aa.NAME_TO_OP:
        for magnitude in (0, 3, 5.5, 9, 10):
            out = aa.AugmentOp(name, prob=1.0, magnitude=magnitude)(img)
            assert isinstance(out, Image.Image) and out.mode == mode and out.size == img.size, (name, magnitude)
            arr = np.asarray(out)
            assert arr.dtype == np.uint8 and arr.shape == np.asarray(img).shape
    # identities and hand-computed results
    x = np.asarray(img).astype(int)
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('Invert', prob=1.)(img)), 255 - x)
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('SolarizeIncreasing', 1., magnitude=0)(img)), x)
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('Solarize', 1., magnitude=5)(img)),
                                  np.where(x >= 128, 255 - x, x))
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('Posterize', 1., magnitude=10)(img)), x & 0b11110000)
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('PosterizeIncreasing', 1., magnitude=5)(img)),
                                  x & 0b11000000)
    assert not np.asarray(aa.AugmentOp('PosterizeIncreasing', 1., magnitude=10)(img)).any()  # 0 bits kept
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('SolarizeAdd', 1., magnitude=10)(img)),
                                  np.where(x < 128, np.minimum(x + 110, 255), x))
    np.testing.assert_array_equal(np.asarray(aa.AugmentOp('ShearX', 1., magnitude=0)(img)), x)
    rotated = np.asarray(aa.AugmentOp('Rotate', 1., magnitude=10, hparams={'interpolation': Image.BILINEAR})(img))
    fill = 128 if mode == 'L' else (128, 128, 128)
    candidates = [np.asarray(img.rotate(d, resample=Image.BILINEAR, fillcolor=fill)) for d in (30., -30.)]
    assert any(np.array_equal(rotated, c) for c in candidates)


def test_augment_ops_match_timm_functions():
    import timm.data.auto_augment as taa

    img = _rand_img(30, 40, 11)
    hp = dict(interpolation=Image.BICUBIC, img_mean=(120, 110, 100))
    kw = dict(resample=Image.BICUBIC, fillcolor=(120, 110, 100))
    pairs = [
        (aa.shear_x, taa.shear_x, 0.2), (aa.shear_y, taa.shear_y, -0.25), (aa.translate_x_rel, taa.translate_x_rel,
                                                                           0.3),
        (aa.translate_y_abs, taa.translate_y_abs, -7), (aa.rotate, taa.rotate, 17.), (aa.color, taa.color, 1.6),
        (aa.contrast, taa.contrast, 0.4), (aa.brightness, taa.brightness, 1.3), (aa.sharpness, taa.sharpness, 0.2),
        (aa.solarize, taa.solarize, 100), (aa.solarize_add, taa.solarize_add, 60), (aa.posterize, taa.posterize, 3),
    ]
    for ours, ref, arg in pairs:
        np.testing.assert_array_equal(np.asarray(ours(img, arg, hparams=hp)), np.asarray(ref(img, arg, **kw)))
    for ours, ref in ((aa.auto_contrast, taa.auto_contrast), (aa.equalize, taa.equalize)):
        np.testing.assert_array_equal(np.asarray(ours(img, hparams=hp)), np.asarray(ref(img)))
    # level -> argument maps agree with timm's for every op, including the random sign (same seed, same draws)
    for name in aa.NAME_TO_OP:
        for level in (0, 2, 5, 6.6, 7.5, 10, 12):
            for hp in ({}, {'translate_const': 100, 'translate_pct': 0.3}):
                random.seed(level)
                ours, ours_state = aa.NAME_TO_OP[name][1](level, hp), random.getstate()
                random.seed(level)
                ref = taa.LEVEL_TO_ARG[name](level, {'translate_const': 250, 'translate_pct': 0.45, **hp}) \
                    if taa.LEVEL_TO_ARG[name] else ()
                assert tuple(ours) == tuple(ref) and [type(v) for v in ours] == [type(v) for v in ref], \
                    (name, level, hp)
                assert ours_state == random.getstate(), (name, 'draws a different number of random numbers')


@pytest.mark.parametrize('policy', ['original', 'originalr', 'v0', 'v0r'])
def test_auto_augment_policy_tables_match_timm(policy):
    import timm.data.auto_augment as taa

    ours = aa.auto_augment_policy(policy)
    ref = taa.auto_augment_policy(policy)
    assert [[(o.name, o.prob, o.magnitude) for o in sub] for sub in ours] == \
           [[(o.name, o.prob, float(o.magnitude)) for o in sub] for sub in ref]


@pytest.mark.parametrize('config', ['rand-m9-mstd0.5-inc1', 'rand-m7-mstd0.5', 'rand-m9-n3-mstd101-p1-mmax12',
                                    'original', 'v0r-mstd0.5', 'augmix-m5-w4-d2', 'augmix-m3-w2-b1'])
def test_policies_valid_and_seed_deterministic(config):
    if config.startswith('rand'):
        tfm = zd.rand_augment_transform(config, {})
    elif config.startswith('augmix'):
        tfm = zd.augment_and_mix_transform(config, {'translate_pct': 0.3})
    else:
        tfm = zd.auto_augment_transform(config, {})
    img = _rand_img(36, 28, 2)

    def run(seed: int) -> List[np.ndarray]:
        random.seed(seed), np.random.seed(seed)
        return [np.asarray(tfm(img)) for _ in range(6)]

    a, b, c = run(1), run(1), run(2)
    for x, y in zip(a, b):
        assert x.shape == (36, 28, 3) and x.dtype == np.uint8
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a, c))
    assert any(not np.array_equal(x, np.asarray(img)) for x in a)


def test_rand_augment_parsing():
    tfm = zd.rand_augment_transform('rand-m7-n3-mstd0.5-inc1-p0.8')
    assert tfm.num_layers == 3 and {op.name for op in tfm.ops} == set(aa.RAND_INCREASING_TRANSFORMS)
    assert all(op.magnitude == 7 and op.prob == 0.8 and op.magnitude_std == 0.5 for op in tfm.ops)
    assert zd.rand_augment_transform('rand-m9-mstd101').ops[0].magnitude_std == float('inf')
    assert {op.name for op in zd.rand_augment_transform('rand-m9').ops} == set(aa.RAND_TRANSFORMS)
    mix = zd.augment_and_mix_transform('augmix-m5-w4-d2')
    assert (mix.width, mix.depth, mix.ops[0].magnitude) == (4, 2, 5)
    for bad in ('rand-q9', 'rand-m', 'randx-m9', 'augmix-z2'):
        with pytest.raises(ValueError, match='option|must start'):
            (zd.augment_and_mix_transform if 'augmix' in bad else zd.rand_augment_transform)(bad)
    with pytest.raises(ValueError, match='Unknown AutoAugment policy'):
        zd.auto_augment_transform('v9')


# ---------------------------------------------------------------------------------------------------------------------
# random erasing / mixup
# ---------------------------------------------------------------------------------------------------------------------

def test_random_erasing_modes_and_splits():
    random.seed(0)
    x = torch.ones(8, 3, 40, 40)
    zd.RandomErasing(1.0, mode='const', device='cpu')(x)
    for i in range(8):
        erased = (x[i] == 0).all(0)
        frac = erased.float().mean().item()
        assert 0.02 - 0.01 <= frac <= 1 / 3 + 0.01  # one rectangle per image within the area range
        rows, cols = erased.nonzero(as_tuple=True)
        assert erased.sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)  # a rectangle
    y = torch.ones(6, 3, 20, 20)
    zd.RandomErasing(1.0, mode='pixel', num_splits=3, max_count=3)(y)
    assert (y[:2] == 1).all() and all((y[i] != 1).any() for i in range(2, 6))
    z = torch.ones(3, 20, 20)
    assert torch.equal(zd.RandomErasing(0.0)(z), torch.ones(3, 20, 20))
    with pytest.raises(TypeError, match='float'):
        zd.RandomErasing(1.0)(torch.zeros(3, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match='mode'):
        zd.RandomErasing(mode='blur')


@pytest.mark.parametrize('kwargs', [
    dict(mode='const'), dict(mode='rand', min_count=1, max_count=4), dict(mode='pixel', min_count=2),
    dict(probability=0.6, mode='pixel', max_count=3, num_splits=2, min_aspect=0.5, max_area=0.5),
])
def test_random_erasing_same_draws_as_timm(kwargs):
    """Same python and torch seeds, same image batch: identical erased pixels, and both RNGs left in the same state."""
    timm_re = pytest.importorskip('timm.data.random_erasing')
    x = torch.randn(6, 3, 24, 30)
    outs = []
    for cls in (zd.RandomErasing, timm_re.RandomErasing):
        random.seed(3)
        torch.manual_seed(3)
        outs.append((cls(**{'probability': 1.0, **kwargs}, device='cpu')(x.clone()), random.random(), torch.rand(1)))
    (ours, our_py, our_pt), (ref, ref_py, ref_pt) = outs
    assert torch.equal(ours, ref) and not torch.equal(ours, x)
    assert our_py == ref_py and torch.equal(our_pt, ref_pt)


def _id_batch(b: int, h: int = 16, w: int = 20) -> torch.Tensor:
    """Image i is constant (i + 1) * 10, so each pixel tells which sample it came from."""
    return torch.arange(1, b + 1, dtype=torch.float32).mul(10).view(b, 1, 1, 1).expand(b, 3, h, w).clone()


@pytest.mark.parametrize('mode', ['batch', 'pair', 'elem'])
def test_cutmix_lam_matches_area_and_targets_sum_to_one(mode):
    np.random.seed(0)
    b, smoothing = 8, 0.1
    mix = zd.Mixup(mixup_alpha=0., cutmix_alpha=1.0, mode=mode, label_smoothing=smoothing, num_classes=b)
    target = torch.arange(b)
    x, soft = mix(_id_batch(b), target)
    torch.testing.assert_close(soft.sum(1), torch.ones(b))
    off = smoothing / b
    lams = []
    for i in range(b):
        own = (x[i, 0] == (i + 1) * 10).float().mean().item()
        other = (x[i, 0] == (b - i) * 10).float().mean().item()
        assert math.isclose(own + other, 1., abs_tol=1e-6)  # only own and mirror pixels
        lam = (soft[i, i].item() - off) / (1 - smoothing)
        assert math.isclose(lam, own, abs_tol=1e-5)  # label weight == fraction of own pixels
        assert math.isclose((soft[i, b - 1 - i].item() - off) / (1 - smoothing), other, abs_tol=1e-5)
        lams.append(lam)
    assert min(lams) < 1.  # something was actually mixed
    if mode == 'batch':
        assert max(lams) - min(lams) < 1e-6
    if mode == 'pair':
        assert all(math.isclose(lams[i], lams[b - 1 - i], abs_tol=1e-6) for i in range(b))


@pytest.mark.parametrize('mode', ['batch', 'elem'])
def test_mixup_blend_matches_lam(mode):
    np.random.seed(1)
    b, nc = 6, 6
    mix = zd.Mixup(mixup_alpha=0.8, mode=mode, label_smoothing=0., num_classes=nc)
    x0 = torch.rand(b, 3, 4, 4)
    target = torch.arange(b)
    x, soft = mix(x0.clone(), target)
    lam = soft[torch.arange(b), target]
    torch.testing.assert_close(soft.sum(1), torch.ones(b))
    torch.testing.assert_close(x, x0 * lam.view(-1, 1, 1, 1) + x0.flip(0) * (1 - lam.view(-1, 1, 1, 1)))
    if mode == 'batch':
        assert torch.allclose(lam, lam[0].expand(b))


def test_fast_collate_mixup_uint8():
    np.random.seed(2)
    b, nc = 4, 4
    imgs = [torch.full((3, 10, 12), 20 * (i + 1), dtype=torch.uint8) for i in range(b)]
    batch = [(img, i) for i, img in enumerate(imgs)]
    cut = zd.FastCollateMixup(mixup_alpha=0., cutmix_alpha=1., label_smoothing=0., num_classes=nc)
    x, soft = cut(batch)
    assert x.dtype == torch.uint8 and x.shape == (b, 3, 10, 12)
    for i in range(b):
        own = (x[i, 0] == 20 * (i + 1)).float().mean().item()
        assert math.isclose(soft[i, i].item(), own, abs_tol=1e-6)
    blend = zd.FastCollateMixup(mixup_alpha=1., label_smoothing=0., num_classes=nc)
    x, soft = blend(batch)
    lam = soft[0, 0].item()
    assert x[0, 0, 0, 0].item() == round(lam * 20 + (1 - lam) * 80)
    torch.testing.assert_close(soft.sum(1), torch.ones(b))
    with pytest.raises(ValueError, match='even batch size'):
        blend(batch[:3])
    blend.mixup_enabled = False
    x, soft = blend(batch)
    assert torch.equal(x, torch.stack(imgs)) and torch.equal(soft, torch.eye(nc))


# ---------------------------------------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('world', [2, 3])
@pytest.mark.parametrize('n', [7, 12, 2])
def test_distributed_samplers_cover_every_index(world, n):
    data = list(range(n))
    exact = [list(zd.OrderedDistributedSampler(data, world, r, pad=False)) for r in range(world)]
    assert sorted(i for shard in exact for i in shard) == data  # every index exactly once
    assert [len(s) for s in exact] == [len(list(s)) for s in
                                       (zd.OrderedDistributedSampler(data, world, r, pad=False) for r in range(world))]
    padded = [list(zd.OrderedDistributedSampler(data, world, r)) for r in range(world)]
    assert len({len(s) for s in padded}) == 1 and set(i for s in padded for i in s) == set(data)
    assert sum(len(s) for s in padded) == math.ceil(n / world) * world
    for epoch in (0, 1):
        shards = []
        for r in range(world):
            s = torch.utils.data.DistributedSampler(data, world, r, shuffle=True, seed=4)
            s.set_epoch(epoch)
            shards.append(list(s))
        flat = [i for s in shards for i in s]
        assert set(flat) == set(data) and len(flat) - n == (-n) % world
    rep = [list(zd.RepeatAugSampler(data, world, r, num_repeats=3, selected_round=0)) for r in range(world)]
    assert all(len(s) == math.ceil(n / world) for s in rep)
    with pytest.raises(ValueError, match='rank'):
        zd.OrderedDistributedSampler(data, world, world)


def test_repeat_aug_sampler_spreads_repeats_over_ranks():
    data = list(range(30))
    world = 3
    samplers = [zd.RepeatAugSampler(data, world, r, num_repeats=3, selected_round=0, seed=1) for r in range(world)]
    full = []
    for s in samplers:
        s.num_selected = s.num_samples  # inspect the whole repeated permutation
        full.append(list(s))
    # with 3 repeats on 3 ranks every rank sees every index exactly once
    for shard in full:
        assert sorted(shard) == data
    samplers[0].set_epoch(1)
    assert list(samplers[0]) != full[0]


# ---------------------------------------------------------------------------------------------------------------------
# loader
# ---------------------------------------------------------------------------------------------------------------------

def test_loader_normalizes_on_cpu_like_reference():
    ds = zd.create_dataset('zoo/digits', split='validation')
    mean, std = (0.3, 0.4, 0.5), (0.2, 0.25, 0.3)
    loader = zd.create_loader(ds, (3, 16, 16), batch_size=32, num_workers=0, mean=mean, std=std, crop_pct=1.0,
                              crop_mode='squash', interpolation='bilinear', device=torch.device('cpu'))
    x, y = next(iter(loader))
    assert x.dtype == torch.float32 and x.device.type == 'cpu' and x.shape == (32, 3, 16, 16)
    for i in range(32):
        pil = Image.fromarray(ds.reader.images[i]).convert('RGB').resize((16, 16), Image.Resampling.BILINEAR)
        expect = (torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.).permute(2, 0, 1)
                  - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
        torch.testing.assert_close(x[i], expect, atol=1e-5, rtol=0)
    assert y.tolist() == ds.reader.targets[:32].tolist()
    # prefetcher off: torchvision ToTensor + Normalize path gives the same numbers
    plain = zd.create_loader(ds, (3, 16, 16), batch_size=32, num_workers=0, mean=mean, std=std, crop_pct=1.0,
                             crop_mode='squash', use_prefetcher=False)
    torch.testing.assert_close(next(iter(plain))[0], x, atol=1e-5, rtol=0)
    assert len(loader) == math.ceil(359 / 32)
    gray = zd.create_dataset('zoo/digits', split='validation', input_img_mode='L')
    gray_loader = zd.create_loader(gray, 8, batch_size=4, num_workers=0, mean=(0.5,), std=(0.5,), device='cpu')
    xg, _ = next(iter(gray_loader))
    assert xg.shape == (4, 1, 8, 8) and xg.min() >= -1 and xg.max() <= 1
    with pytest.raises(ValueError, match='one mean/std value per image channel'):
        next(iter(zd.create_loader(gray, 8, batch_size=4, num_workers=0, device='cpu')))


def test_train_loader_workers_reproducible_and_erasing():
    ds = zd.create_dataset('zoo/digits', split='train')
    kw = dict(input_size=(3, 32, 32), batch_size=64, is_training=True, auto_augment='rand-m9-mstd0.5-inc1',
              re_prob=0.5, num_workers=2, persistent_workers=False, device='cpu')

    def first_batch():
        # torch's seed drives shuffling and worker seeds; Python's drives erasing, done in the main process
        torch.manual_seed(7), random.seed(7)
        return next(iter(zd.create_loader(ds, **kw)))

    (x1, y1), (x2, y2) = first_batch(), first_batch()
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.shape == (64, 3, 32, 32) and x1.dtype == torch.float32
    # const-mode erasing writes exact zeros (the mean) into whole channels of some images
    assert ((x1 == 0).all(1).flatten(1).any(1)).any()
    torch.manual_seed(8)
    x3, _ = next(iter(zd.create_loader(ds, **kw)))
    assert not torch.equal(x1, x3)


def test_loader_with_mixup_collate_and_channels_last():
    ds = zd.create_dataset('zoo/digits', split='train')
    mix = zd.FastCollateMixup(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1, num_classes=10)
    loader = zd.create_loader(ds, 16, batch_size=16, is_training=True, num_workers=0, collate_fn=mix,
                              channels_last=True, device='cpu')
    x, y = next(iter(loader))
    assert x.is_contiguous(memory_format=torch.channels_last) and y.shape == (16, 10)
    torch.testing.assert_close(y.sum(1), torch.ones(16))
    assert loader.mixup_enabled
    loader.mixup_enabled = False
    assert mix.mixup_enabled is False


def test_augmix_dataset_views_and_draw_order_match_timm():
    """The clean view and num_splits - 1 augmented views, with augmentation and final transform called in timm's order
    (both may draw random numbers, e.g. AugMix and random erasing)."""
    timm_dataset = pytest.importorskip('timm.data.dataset')

    class Base(torch.utils.data.Dataset):
        def __init__(self):
            self.transform = None

        def __getitem__(self, i):
            img = torch.full((2,), float(i))
            return (img if self.transform is None else self.transform(img)), i

        def __len__(self):
            return 4

    transforms = (lambda t: t * 2, lambda t: t + random.random(), lambda t: t * random.random())
    views = []
    for cls in (zd.AugMixDataset, timm_dataset.AugMixDataset):
        base = Base()
        base.transform = transforms
        random.seed(0)
        views.append(cls(base, num_splits=3)[2])
    (ours, label), (ref, ref_label) = views
    assert label == ref_label == 2 and len(ours) == 3
    for a, b in zip(ours, ref):
        assert torch.equal(a, b)


def test_augmix_splits_loader():
    ds = zd.AugMixDataset(zd.create_dataset('zoo/digits', split='train'), num_splits=3)
    loader = zd.create_loader(ds, 16, batch_size=4, is_training=True, auto_augment='augmix-m3-w2-d1',
                              num_aug_splits=3, re_prob=1.0, re_split=True, num_workers=0, device='cpu')
    x, y = next(iter(loader))
    assert x.shape == (12, 3, 16, 16) and torch.equal(y[:4], y[4:8])
    with pytest.raises(ValueError, match='AugMixDataset'):
        zd.create_loader(ds.dataset, 16, 4, num_aug_splits=2)


def test_import_zoo_stays_lazy_and_timm_free():
    code = ('import sys, zoo; assert "zoo.data" not in sys.modules, "zoo.data loaded eagerly"; '
            'import zoo.data; assert not any(m == "timm" or m.startswith("timm.") for m in sys.modules), "timm"')
    res = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


def test_distributed_loader_single_process_group(tmp_path: Path):
    import torch.distributed as dist

    if dist.is_initialized():
        pytest.skip('a process group is already initialised in this test process')
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "pg"}', rank=0, world_size=1)
    try:
        ds = zd.create_dataset('zoo/digits', split='validation')
        evl = zd.create_loader(ds, 8, batch_size=100, distributed=True, num_workers=0, device='cpu')
        assert isinstance(evl.sampler, zd.OrderedDistributedSampler)
        assert sum(y.numel() for _, y in evl) == len(ds)
        trn = zd.create_loader(ds, 8, batch_size=16, is_training=True, distributed=True, num_aug_repeats=3,
                               num_workers=0, device='cpu')
        assert isinstance(trn.sampler, zd.RepeatAugSampler) and len(trn.sampler) == 256
    finally:
        dist.destroy_process_group()
