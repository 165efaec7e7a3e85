"""Learned and random augmentation policies over PIL operations: RandAugment, AutoAugment and AugMix.

References:
    AutoAugment: Learning Augmentation Policies from Data, Cubuk et al., 2018 (https://arxiv.org/abs/1805.09501).
    RandAugment: Practical automated data augmentation, Cubuk et al., 2019 (https://arxiv.org/abs/1909.13719).
    AugMix: A Simple Data Processing Method to Improve Robustness, Hendrycks et al., 2019
    (https://arxiv.org/abs/1912.02781).

Magnitudes use the common 0..10 level scale. The ``*Increasing`` op variants make every op stronger as the level
grows (the original Posterize/Solarize get weaker, and Color/Contrast/... are symmetric around the identity), which
is what RandAugment's magnitude schedule assumes; select them with ``inc1``. Config strings follow timm's grammar:

    rand-m9-n2-mstd0.5-inc1      RandAugment: m magnitude, n ops per image, mstd magnitude noise std (>100 means
                                 uniform in [0, m]), mmax magnitude clip, inc increasing ops, p per-op probability
    original-mstd0.5 / v0 / v0r  AutoAugment policy ('r' variants use PosterizeIncreasing)
    augmix-m5-w4-d2              AugMix: m magnitude, w width (chains), d depth (-1 = random 1..3), a alpha, b blend

Randomness comes from Python's ``random`` (op choice, probabilities, magnitudes, signs) and, for AugMix's
Dirichlet/Beta weights, NumPy's global generator; seeding both gives identical output.
"""
import random
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

__all__ = [
    'AugmentOp', 'RandAugment', 'AutoAugment', 'AugMixAugment', 'rand_augment_ops', 'rand_augment_transform',
    'auto_augment_policy', 'auto_augment_transform', 'augment_and_mix_transform', 'augmix_ops',
    'RAND_TRANSFORMS', 'RAND_INCREASING_TRANSFORMS', 'AUGMIX_TRANSFORMS', 'NAME_TO_OP',
]

_LEVEL_DENOM = 10.  # levels are expressed on a 0..10 scale
_FILL = (128, 128, 128)
_RANDOM_RESAMPLE = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC)

_DEFAULT_HPARAMS: Dict[str, Any] = dict(translate_const=250, translate_pct=0.45, img_mean=_FILL)


# ---------------------------------------------------------------------------------------------------------------------
# PIL operations
# ---------------------------------------------------------------------------------------------------------------------

def _fill_for(img: Image.Image, fill: Sequence[int]) -> Any:
    bands = len(img.getbands())
    return int(fill[0]) if bands == 1 else tuple(int(v) for v in fill[:bands])


def _geometry_kwargs(img: Image.Image, hparams: Mapping[str, Any]) -> Dict[str, Any]:
    resample = hparams.get('interpolation')
    if resample is None or isinstance(resample, (list, tuple)):
        resample = random.choice(resample or _RANDOM_RESAMPLE)
    # PIL's affine transform and rotate accept only these three filters
    if resample not in (Image.Resampling.NEAREST, Image.Resampling.BILINEAR, Image.Resampling.BICUBIC):
        resample = Image.Resampling.BICUBIC
    return dict(resample=resample, fillcolor=_fill_for(img, hparams.get('img_mean', _FILL)))


def _affine(img: Image.Image, coeffs: Tuple[float, ...], hparams: Mapping[str, Any]) -> Image.Image:
    return img.transform(img.size, Image.Transform.AFFINE, coeffs, **_geometry_kwargs(img, hparams))


def shear_x(img: Image.Image, factor: float, hparams: Mapping[str, Any]) -> Image.Image:
    return _affine(img, (1, factor, 0, 0, 1, 0), hparams)


def shear_y(img: Image.Image, factor: float, hparams: Mapping[str, Any]) -> Image.Image:
    return _affine(img, (1, 0, 0, factor, 1, 0), hparams)


def translate_x_abs(img: Image.Image, pixels: float, hparams: Mapping[str, Any]) -> Image.Image:
    return _affine(img, (1, 0, pixels, 0, 1, 0), hparams)


def translate_y_abs(img: Image.Image, pixels: float, hparams: Mapping[str, Any]) -> Image.Image:
    return _affine(img, (1, 0, 0, 0, 1, pixels), hparams)


def translate_x_rel(img: Image.Image, pct: float, hparams: Mapping[str, Any]) -> Image.Image:
    return translate_x_abs(img, pct * img.size[0], hparams)


def translate_y_rel(img: Image.Image, pct: float, hparams: Mapping[str, Any]) -> Image.Image:
    return translate_y_abs(img, pct * img.size[1], hparams)


def rotate(img: Image.Image, degrees: float, hparams: Mapping[str, Any]) -> Image.Image:
    return img.rotate(degrees, **_geometry_kwargs(img, hparams))


def auto_contrast(img: Image.Image, hparams: Mapping[str, Any]) -> Image.Image:
    return ImageOps.autocontrast(img)


def invert(img: Image.Image, hparams: Mapping[str, Any]) -> Image.Image:
    return ImageOps.invert(img)


def equalize(img: Image.Image, hparams: Mapping[str, Any]) -> Image.Image:
    return ImageOps.equalize(img)


def solarize(img: Image.Image, thresh: int, hparams: Mapping[str, Any]) -> Image.Image:
    return ImageOps.solarize(img, thresh)


def solarize_add(img: Image.Image, add: int, hparams: Mapping[str, Any], thresh: int = 128) -> Image.Image:
    lut = [min(255, i + add) if i < thresh else i for i in range(256)]
    return img.point(lut * len(img.getbands()))


def posterize(img: Image.Image, bits: int, hparams: Mapping[str, Any]) -> Image.Image:
    if bits >= 8:
        return img
    # via a LUT rather than ImageOps.posterize, which rejects bits=0 (keep nothing: an all-black image)
    mask = ~(2 ** (8 - max(0, bits)) - 1) & 0xFF
    return img.point([i & mask for i in range(256)] * len(img.getbands()))


def _enhance(enhancer: Callable[[Image.Image], ImageEnhance._Enhance]) -> Callable[..., Image.Image]:
    def op(img: Image.Image, factor: float, hparams: Mapping[str, Any]) -> Image.Image:
        return enhancer(img).enhance(factor)
    return op


color = _enhance(ImageEnhance.Color)
contrast = _enhance(ImageEnhance.Contrast)
brightness = _enhance(ImageEnhance.Brightness)
sharpness = _enhance(ImageEnhance.Sharpness)


# ---------------------------------------------------------------------------------------------------------------------
# level (0..10) -> op argument, declared per op
# ---------------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _LevelMap:
    """How an op's level t in [0, 1] (the 0..10 level over 10) becomes its argument:
    ``base + direction * sign * amount`` with ``amount = t * span`` (truncated to an int no larger than ``cap`` for
    integer arguments), ``sign`` a fair coin when ``signed``, and the result floored at ``floor``.

    ``span_key`` reads the span from the hparams instead (translations, in pixels or as a fraction of the size).
    A map with ``span == 0`` and no key means the op takes no argument.
    """
    span: float = 0.
    base: float = 0.
    direction: int = 1
    signed: bool = False
    integer: bool = False
    cap: Optional[int] = None
    floor: Optional[float] = None
    span_key: Optional[str] = None

    def __call__(self, level: float, hparams: Mapping[str, Any]) -> tuple:
        span = float(hparams.get(self.span_key, _DEFAULT_HPARAMS[self.span_key])) if self.span_key else self.span
        if not span:
            return ()
        amount = level / _LEVEL_DENOM * span
        if self.integer:
            amount = int(amount) if self.cap is None else min(self.cap, int(amount))
        if self.signed and random.random() > 0.5:
            amount = -amount
        value = self.base + self.direction * amount
        if self.floor is not None:
            value = max(self.floor, value)
        return (int(value) if self.integer else value),


_NO_ARG = _LevelMap()
_SIGNED_TRANSLATE_ABS = _LevelMap(span_key='translate_const', signed=True)
_SIGNED_TRANSLATE_REL = _LevelMap(span_key='translate_pct', signed=True)
_SHEAR = _LevelMap(span=0.3, signed=True)
# the AutoAugment paper's enhancement range is [0.1, 1.9]: level 5 is near identity, 0 and 10 both strong; the
# increasing form is symmetric around 1.0 instead, so a larger level is always a stronger change
_ENHANCE = _LevelMap(span=1.8, base=0.1)
_ENHANCE_INCREASING = _LevelMap(span=0.9, base=1.0, signed=True, floor=0.1)
# posterize keeps 0..4 bits (original paper range: 4..8); solarize thresholds at 0..256, solarize-add adds 0..110
_POSTERIZE = _LevelMap(span=4, integer=True)
_SOLARIZE = _LevelMap(span=256, integer=True, cap=256)

# name -> (op, level-to-args)
NAME_TO_OP: Dict[str, Tuple[Callable[..., Image.Image], Callable[[float, Mapping[str, Any]], tuple]]] = {
    'AutoContrast': (auto_contrast, _NO_ARG),
    'Equalize': (equalize, _NO_ARG),
    'Invert': (invert, _NO_ARG),
    'Rotate': (rotate, _LevelMap(span=30., signed=True)),
    'Posterize': (posterize, _POSTERIZE),
    'PosterizeIncreasing': (posterize, replace(_POSTERIZE, base=4, direction=-1)),
    'PosterizeOriginal': (posterize, replace(_POSTERIZE, base=4)),
    'Solarize': (solarize, _SOLARIZE),
    'SolarizeIncreasing': (solarize, replace(_SOLARIZE, base=256, direction=-1)),
    'SolarizeAdd': (solarize_add, _LevelMap(span=110, integer=True, cap=128)),
    'Color': (color, _ENHANCE),
    'ColorIncreasing': (color, _ENHANCE_INCREASING),
    'Contrast': (contrast, _ENHANCE),
    'ContrastIncreasing': (contrast, _ENHANCE_INCREASING),
    'Brightness': (brightness, _ENHANCE),
    'BrightnessIncreasing': (brightness, _ENHANCE_INCREASING),
    'Sharpness': (sharpness, _ENHANCE),
    'SharpnessIncreasing': (sharpness, _ENHANCE_INCREASING),
    'ShearX': (shear_x, _SHEAR),
    'ShearY': (shear_y, _SHEAR),
    'TranslateX': (translate_x_abs, _SIGNED_TRANSLATE_ABS),
    'TranslateY': (translate_y_abs, _SIGNED_TRANSLATE_ABS),
    'TranslateXRel': (translate_x_rel, _SIGNED_TRANSLATE_REL),
    'TranslateYRel': (translate_y_rel, _SIGNED_TRANSLATE_REL),
}


class AugmentOp:
    """One named augmentation applied with probability ``prob`` at magnitude ``magnitude`` (0..10 scale).

    Args:
        name: Op name, a key of ``NAME_TO_OP``.
        prob: Probability of applying the op.
        magnitude: Level on the 0..10 scale.
        hparams: ``translate_const``, ``translate_pct``, ``img_mean`` (fill colour), ``interpolation`` (PIL
            filter; random bilinear/bicubic when absent), ``magnitude_std``, ``magnitude_max``.
    """

    def __init__(self, name: str, prob: float = 0.5, magnitude: float = 10,
                 hparams: Optional[Mapping[str, Any]] = None) -> None:
        if name not in NAME_TO_OP:
            raise ValueError(f'Unknown augmentation op {name!r}; choose from {sorted(NAME_TO_OP)}.')
        self.name = name
        self.op, self.level_fn = NAME_TO_OP[name]
        self.prob = float(prob)
        self.magnitude = float(magnitude)
        self.hparams = {**_DEFAULT_HPARAMS, **(hparams or {})}
        self.magnitude_std = float(self.hparams.get('magnitude_std', 0))
        self.magnitude_max = float(self.hparams.get('magnitude_max', _LEVEL_DENOM))

    def sample_magnitude(self) -> float:
        magnitude = self.magnitude
        if self.magnitude_std == float('inf'):
            magnitude = random.uniform(0, magnitude)
        elif self.magnitude_std > 0:
            magnitude = random.gauss(magnitude, self.magnitude_std)
        return max(0., min(magnitude, self.magnitude_max))

    def __call__(self, img: Image.Image) -> Image.Image:
        if self.prob < 1.0 and random.random() > self.prob:
            return img
        args = self.level_fn(self.sample_magnitude(), self.hparams)
        return self.op(img, *args, hparams=self.hparams)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(name={self.name}, p={self.prob}, m={self.magnitude}, '
                f'mstd={self.magnitude_std}, mmax={self.magnitude_max})')


# ---------------------------------------------------------------------------------------------------------------------
# config-string parsing
# ---------------------------------------------------------------------------------------------------------------------

def _parse_config(config_str: str, allowed: Mapping[str, Callable[[str], Any]], kind: str) -> Tuple[str, Dict]:
    parts = config_str.split('-')
    head, options = parts[0], {}
    for part in parts[1:]:
        m = re.fullmatch(r'([a-z]+)(-?[\d.]+|inf)?', part)
        if m is None or m.group(1) not in allowed or m.group(2) is None:
            raise ValueError(f'Bad {kind} option {part!r} in {config_str!r}; expected <key><number> with key in '
                             f'{sorted(allowed)}, e.g. "rand-m9-mstd0.5-inc1".')
        options[m.group(1)] = allowed[m.group(1)](m.group(2))
    return head, options


def _parse_mstd(v: str) -> float:
    std = float(v)
    # a huge std is the conventional way to ask for uniform sampling in [0, m]
    return float('inf') if std > 100 else std


# ---------------------------------------------------------------------------------------------------------------------
# RandAugment
# ---------------------------------------------------------------------------------------------------------------------

RAND_TRANSFORMS = [
    'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize', 'Solarize', 'SolarizeAdd', 'Color', 'Contrast',
    'Brightness', 'Sharpness', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
]
RAND_INCREASING_TRANSFORMS = [
    'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing', 'SolarizeIncreasing', 'SolarizeAdd',
    'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing', 'ShearX', 'ShearY',
    'TranslateXRel', 'TranslateYRel',
]


def rand_augment_ops(magnitude: float = 10, prob: float = 0.5, hparams: Optional[Mapping[str, Any]] = None,
                     transforms: Optional[Sequence[str]] = None) -> List[AugmentOp]:
    """The RandAugment op list at one magnitude."""
    return [AugmentOp(name, prob=prob, magnitude=magnitude, hparams=hparams)
            for name in (transforms or RAND_TRANSFORMS)]


class RandAugment:
    """Apply ``num_layers`` ops drawn uniformly, with replacement, from ``ops`` (as in the paper's reference code).

    Args:
        ops: Candidate ops.
        num_layers: Ops applied per image.
    """

    def __init__(self, ops: Sequence[AugmentOp], num_layers: int = 2) -> None:
        if num_layers < 1 or not ops:
            raise ValueError(f'RandAugment needs at least one op and num_layers >= 1, got {len(ops)} ops and '
                             f'num_layers={num_layers}.')
        self.ops = list(ops)
        self.num_layers = num_layers

    def __call__(self, img: Image.Image) -> Image.Image:
        for op in random.choices(self.ops, k=self.num_layers):
            img = op(img)
        return img

    def __repr__(self) -> str:
        ops = ', '.join(repr(op) for op in self.ops)
        return f'{type(self).__name__}(n={self.num_layers}, ops=[{ops}])'


def rand_augment_transform(config_str: str, hparams: Optional[Mapping[str, Any]] = None) -> RandAugment:
    """Build RandAugment from a string such as ``'rand-m9-n2-mstd0.5-inc1'``.

    Args:
        config_str: ``rand`` followed by dash-separated options: ``m`` magnitude (0..10, default 10), ``n`` ops per
            image (2), ``mstd`` magnitude noise std (0; >100 = uniform), ``mmax`` magnitude clip (10), ``inc`` use
            increasing ops (0), ``p`` per-op probability (0.5).
        hparams: Op hyper-parameters (see :class:`AugmentOp`).
    """
    head, opts = _parse_config(config_str, dict(m=float, n=int, mstd=_parse_mstd, mmax=float, inc=int, p=float),
                               'RandAugment')
    if head != 'rand':
        raise ValueError(f'RandAugment config must start with "rand", got {config_str!r}.')
    hp = {**_DEFAULT_HPARAMS, **(hparams or {})}
    hp['magnitude_std'] = opts.get('mstd', hp.get('magnitude_std', 0))
    hp['magnitude_max'] = opts.get('mmax', hp.get('magnitude_max', _LEVEL_DENOM))
    names = RAND_INCREASING_TRANSFORMS if opts.get('inc', 0) else RAND_TRANSFORMS
    ops = rand_augment_ops(opts.get('m', 10), prob=opts.get('p', 0.5), hparams=hp, transforms=names)
    return RandAugment(ops, num_layers=opts.get('n', 2))


# ---------------------------------------------------------------------------------------------------------------------
# AutoAugment
# ---------------------------------------------------------------------------------------------------------------------

# (op, probability, level) pairs; the ImageNet policy found in the AutoAugment paper (appendix, Table 9)
_POLICY_ORIGINAL = [
    [('PosterizeOriginal', 0.4, 8), ('Rotate', 0.6, 9)],
    [('Solarize', 0.6, 5), ('AutoContrast', 0.6, 5)],
    [('Equalize', 0.8, 8), ('Equalize', 0.6, 3)],
    [('PosterizeOriginal', 0.6, 7), ('PosterizeOriginal', 0.6, 6)],
    [('Equalize', 0.4, 7), ('Solarize', 0.2, 4)],
    [('Equalize', 0.4, 4), ('Rotate', 0.8, 8)],
    [('Solarize', 0.6, 3), ('Equalize', 0.6, 7)],
    [('PosterizeOriginal', 0.8, 5), ('Equalize', 1.0, 2)],
    [('Rotate', 0.2, 3), ('Solarize', 0.6, 8)],
    [('Equalize', 0.6, 8), ('PosterizeOriginal', 0.4, 6)],
    [('Rotate', 0.8, 8), ('Color', 0.4, 0)],
    [('Rotate', 0.4, 9), ('Equalize', 0.6, 2)],
    [('Equalize', 0.0, 7), ('Equalize', 0.8, 8)],
    [('Invert', 0.6, 4), ('Equalize', 1.0, 8)],
    [('Color', 0.6, 4), ('Contrast', 1.0, 8)],
    [('Rotate', 0.8, 8), ('Color', 1.0, 2)],
    [('Color', 0.8, 8), ('Solarize', 0.8, 7)],
    [('Sharpness', 0.4, 7), ('Invert', 0.6, 8)],
    [('ShearX', 0.6, 5), ('Equalize', 1.0, 9)],
    [('Color', 0.4, 0), ('Equalize', 0.6, 3)],
    [('Equalize', 0.4, 7), ('Solarize', 0.2, 4)],
    [('Solarize', 0.6, 5), ('AutoContrast', 0.6, 5)],
    [('Invert', 0.6, 4), ('Equalize', 1.0, 8)],
    [('Color', 0.6, 4), ('Contrast', 1.0, 8)],
    [('Equalize', 0.8, 8), ('Equalize', 0.6, 3)],
]

# 'v0': the ImageNet policy used by the TensorFlow EfficientNet / TPU reference training code
_POLICY_V0 = [
    [('Equalize', 0.8, 1), ('ShearY', 0.8, 4)],
    [('Color', 0.4, 9), ('Equalize', 0.6, 3)],
    [('Color', 0.4, 1), ('Rotate', 0.6, 8)],
    [('Solarize', 0.8, 3), ('Equalize', 0.4, 7)],
    [('Solarize', 0.4, 2), ('Solarize', 0.6, 2)],
    [('Color', 0.2, 0), ('Equalize', 0.8, 8)],
    [('Equalize', 0.4, 8), ('SolarizeAdd', 0.8, 3)],
    [('ShearX', 0.2, 9), ('Rotate', 0.6, 8)],
    [('Color', 0.6, 1), ('Equalize', 1.0, 2)],
    [('Invert', 0.4, 9), ('Rotate', 0.6, 0)],
    [('Equalize', 1.0, 9), ('ShearY', 0.6, 3)],
    [('Color', 0.4, 7), ('Equalize', 0.6, 0)],
    [('Posterize', 0.4, 6), ('AutoContrast', 0.4, 7)],
    [('Solarize', 0.6, 8), ('Color', 0.6, 9)],
    [('Solarize', 0.2, 4), ('Rotate', 0.8, 9)],
    [('Rotate', 1.0, 7), ('TranslateYRel', 0.8, 9)],
    [('ShearX', 0.0, 0), ('Solarize', 0.8, 4)],
    [('ShearY', 0.8, 0), ('Color', 0.6, 4)],
    [('Color', 1.0, 0), ('Rotate', 0.6, 2)],
    [('Equalize', 0.8, 4), ('Equalize', 0.0, 8)],
    [('Equalize', 1.0, 4), ('AutoContrast', 0.6, 2)],
    [('ShearY', 0.4, 7), ('SolarizeAdd', 0.6, 7)],
    [('Posterize', 0.8, 2), ('Solarize', 0.6, 10)],
    [('Solarize', 0.6, 8), ('Equalize', 0.6, 1)],
    [('Color', 0.8, 6), ('Rotate', 0.4, 5)],
]


def _with_increasing_posterize(policy: List[List[Tuple[str, float, int]]]) -> List[List[Tuple[str, float, int]]]:
    return [[('PosterizeIncreasing' if n.startswith('Posterize') else n, p, m) for n, p, m in sub] for sub in policy]


_POLICIES = {
    'original': _POLICY_ORIGINAL,
    'originalr': _with_increasing_posterize(_POLICY_ORIGINAL),
    'v0': _POLICY_V0,
    'v0r': _with_increasing_posterize(_POLICY_V0),
}


def auto_augment_policy(name: str = 'v0', hparams: Optional[Mapping[str, Any]] = None) -> List[List[AugmentOp]]:
    """Sub-policies (pairs of ops) of a named AutoAugment policy: ``original``, ``originalr``, ``v0``, ``v0r``."""
    if name not in _POLICIES:
        raise ValueError(f'Unknown AutoAugment policy {name!r}; choose from {sorted(_POLICIES)}.')
    return [[AugmentOp(n, prob=p, magnitude=m, hparams=hparams) for n, p, m in sub] for sub in _POLICIES[name]]


class AutoAugment:
    """Apply one uniformly chosen sub-policy (each of its ops with its own probability and level)."""

    def __init__(self, policy: Sequence[Sequence[AugmentOp]]) -> None:
        self.policy = [list(sub) for sub in policy]

    def __call__(self, img: Image.Image) -> Image.Image:
        for op in random.choice(self.policy):
            img = op(img)
        return img

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_sub_policies={len(self.policy)})'


def auto_augment_transform(config_str: str, hparams: Optional[Mapping[str, Any]] = None) -> AutoAugment:
    """Build AutoAugment from a string such as ``'original'``, ``'v0r'`` or ``'original-mstd0.5'``."""
    name, opts = _parse_config(config_str, dict(mstd=_parse_mstd), 'AutoAugment')
    hp = {**_DEFAULT_HPARAMS, **(hparams or {})}
    hp['magnitude_std'] = opts.get('mstd', hp.get('magnitude_std', 0))
    return AutoAugment(auto_augment_policy(name, hparams=hp))


# ---------------------------------------------------------------------------------------------------------------------
# AugMix
# ---------------------------------------------------------------------------------------------------------------------

# AugMix leaves out colour/contrast/brightness/sharpness: they overlap the ImageNet-C corruptions used to evaluate it
AUGMIX_TRANSFORMS = [
    'AutoContrast', 'Equalize', 'Rotate', 'PosterizeIncreasing', 'SolarizeIncreasing', 'ShearX', 'ShearY',
    'TranslateXRel', 'TranslateYRel',
]


def augmix_ops(magnitude: float = 10, hparams: Optional[Mapping[str, Any]] = None,
               transforms: Optional[Sequence[str]] = None) -> List[AugmentOp]:
    """The AugMix op list (applied with probability 1)."""
    return [AugmentOp(name, prob=1.0, magnitude=magnitude, hparams=hparams)
            for name in (transforms or AUGMIX_TRANSFORMS)]


class AugMixAugment:
    """Mix ``width`` random augmentation chains with Dirichlet weights, then blend with the original (Beta weight).

    Args:
        ops: Candidate ops for the chains.
        alpha: Dirichlet / Beta concentration.
        width: Number of chains.
        depth: Ops per chain; ``-1`` draws 1..3 per chain.
        blended: Blend chains one after another (cheaper, equivalent weights) instead of summing float arrays.
    """

    def __init__(self, ops: Sequence[AugmentOp], alpha: float = 1., width: int = 3, depth: int = -1,
                 blended: bool = False) -> None:
        if width < 1:
            raise ValueError(f'AugMix width must be >= 1, got {width}.')
        self.ops = list(ops)
        self.alpha = float(alpha)
        self.width = int(width)
        self.depth = int(depth)
        self.blended = blended

    def _chain(self, img: Image.Image) -> Image.Image:
        depth = self.depth if self.depth > 0 else random.randint(1, 3)
        for op in random.choices(self.ops, k=depth):
            img = op(img)
        return img

    def __call__(self, img: Image.Image) -> Image.Image:
        weights = np.random.dirichlet([self.alpha] * self.width).astype(np.float32)
        m = float(np.random.beta(self.alpha, self.alpha))
        if self.blended:
            # sequential blending: mixing chain i with weight w_i / (sum of weights so far) reproduces the weighted sum
            mixed, acc = None, 0.
            for w in weights:
                aug = self._chain(img)
                acc += float(w)
                mixed = aug if mixed is None else Image.blend(mixed, aug, float(w) / acc if acc > 0 else 0.)
        else:
            total = np.zeros((img.size[1], img.size[0], len(img.getbands())), dtype=np.float32)
            for w in weights:
                arr = np.asarray(self._chain(img), dtype=np.float32)
                total += w * (arr if arr.ndim == 3 else arr[:, :, None])
            total = np.clip(total, 0, 255).astype(np.uint8)
            mixed = Image.fromarray(total[:, :, 0] if total.shape[2] == 1 else total, mode=img.mode)
        return Image.blend(img, mixed, m)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(alpha={self.alpha}, width={self.width}, depth={self.depth}, ops={len(self.ops)})'


def augment_and_mix_transform(config_str: str, hparams: Optional[Mapping[str, Any]] = None) -> AugMixAugment:
    """Build AugMix from a string such as ``'augmix-m5-w4-d2'``.

    Args:
        config_str: ``augmix`` then options ``m`` magnitude (3), ``w`` width (3), ``d`` depth (-1 = random 1..3),
            ``a`` alpha (1.0), ``b`` blended (0), ``mstd`` magnitude noise std (0).
        hparams: Op hyper-parameters (see :class:`AugmentOp`); ``translate_pct`` 0.3 is customary here.
    """
    head, opts = _parse_config(config_str, dict(m=float, w=int, d=int, a=float, b=int, mstd=_parse_mstd), 'AugMix')
    if head != 'augmix':
        raise ValueError(f'AugMix config must start with "augmix", got {config_str!r}.')
    hp = {**_DEFAULT_HPARAMS, **(hparams or {})}
    hp['magnitude_std'] = opts.get('mstd', hp.get('magnitude_std', 0))
    ops = augmix_ops(opts.get('m', 3), hparams=hp)
    return AugMixAugment(ops, alpha=opts.get('a', 1.), width=opts.get('w', 3), depth=opts.get('d', -1),
                         blended=bool(opts.get('b', 0)))
