"""The training-transform options of train.py (--train-crop-mode, --color-jitter-prob, --grayscale-prob,
--gaussian-blur-prob) against timm's ``create_transform`` under the same random seeds."""
import random

import numpy as np
import pytest
import torch
from PIL import Image

import zoo.data

timm_data = pytest.importorskip('timm.data')


def _images(sizes):
    rng = np.random.default_rng(0)
    return [Image.fromarray((rng.random((h, w, 3)) * 255).astype('uint8')) for h, w in sizes]


def _max_diff(a, b, images, seeds) -> float:
    worst = 0.
    for seed in seeds:
        for im in images:
            random.seed(seed)
            torch.manual_seed(seed)
            x = a(im)
            random.seed(seed)
            torch.manual_seed(seed)
            y = b(im)
            assert x.shape == y.shape
            worst = max(worst, (x - y).abs().max().item())
    return worst


@pytest.mark.parametrize('mode', ['rrc', 'rkrc', 'rkrr'])
@pytest.mark.parametrize('scale', [None, (0.08, 1.0)])
def test_train_crop_modes_and_colour_probs_match_timm(mode, scale) -> None:
    # images larger, smaller and of other aspect than the 64 px output: crops, zooms and reflect padding all occur
    images = _images([(300, 400), (120, 90), (230, 200), (40, 30)])
    kw = dict(is_training=True, train_crop_mode=mode, scale=scale, color_jitter=0.4, color_jitter_prob=0.5,
              grayscale_prob=0.3, interpolation='bilinear')
    ours, ref = zoo.data.create_transform(64, **kw), timm_data.create_transform(64, **kw)
    assert _max_diff(ours, ref, images, range(10)) == 0


def test_gaussian_blur_matches_timm_at_224() -> None:
    kw = dict(is_training=True, color_jitter=0.4, gaussian_blur_prob=0.5, interpolation='bilinear')
    ours, ref = zoo.data.create_transform(224, **kw), timm_data.create_transform(224, **kw)
    assert _max_diff(ours, ref, _images([(240, 260)]), range(4)) == 0


def test_probabilities_have_their_effect() -> None:
    (im,) = _images([(64, 64)])
    base = dict(is_training=True, hflip=0., scale=(1.0, 1.0), ratio=(1.0, 1.0), interpolation='bilinear',
                normalize=False)  # unnormalised uint8: equal grey channels stay equal
    plain = zoo.data.create_transform(32, color_jitter=0., **base)
    # grayscale with p=1: every image has three equal channels; p=0: never
    gray = zoo.data.create_transform(32, color_jitter=0., grayscale_prob=1.0, **base)(im)
    assert torch.equal(gray[0], gray[1]) and torch.equal(gray[1], gray[2])
    assert not torch.equal(plain(im)[0], plain(im)[1])
    # blur with p=1 smooths pixel noise: the neighbour differences shrink
    blurred = zoo.data.create_transform(32, color_jitter=0., gaussian_blur_prob=1.0, **base)
    roughness = [(t(im)[:, :, 1:].float() - t(im)[:, :, :-1].float()).abs().mean().item() for t in (plain, blurred)]
    assert roughness[1] < 0.8 * roughness[0]
    # colour jitter applied to no image (prob 0) is the plain pipeline; to every image (prob 1) it changes them
    never = zoo.data.create_transform(32, color_jitter=0.4, color_jitter_prob=0.0, **base)
    always = zoo.data.create_transform(32, color_jitter=0.4, color_jitter_prob=1.0, **base)
    torch.manual_seed(0)
    assert torch.equal(never(im), plain(im))
    assert not torch.equal(always(im), plain(im))


def test_keep_ratio_crop_keeps_the_whole_picture_without_zoom() -> None:
    """rkrc with a zoom of exactly 1 and no aspect change is the eval-style resize + centre crop."""
    (im,) = _images([(90, 120)])
    rkrc = zoo.data.create_transform(48, is_training=True, train_crop_mode='rkrc', scale=(1., 1.), ratio=(1., 1.),
                                     hflip=0., color_jitter=0., interpolation='bilinear')
    ev = zoo.data.create_transform(48, crop_pct=1.0, interpolation='bilinear')
    assert torch.equal(rkrc(im), ev(im))
    with pytest.raises(ValueError, match='train_crop_mode'):
        zoo.data.create_transform(48, is_training=True, train_crop_mode='rcc')
