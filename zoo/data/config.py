"""Resolve the preprocessing config (input size, interpolation, normalisation, crop) of a model or of CLI args.

Precedence, per key: explicit ``args`` > the model's ``pretrained_cfg`` (``default_cfg`` as a fallback) > defaults
((3, 224, 224), bicubic, ImageNet mean/std, crop_pct 0.875, crop_mode 'center').
"""
import argparse
import logging
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import torch.nn as nn

from zoo.constants import DEFAULT_CROP_MODE, DEFAULT_CROP_PCT, IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

__all__ = ['resolve_data_config', 'resolve_model_data_config']

_logger = logging.getLogger(__name__)

ArgsLike = Union[Mapping[str, Any], argparse.Namespace, None]
_CROP_MODES = ('center', 'squash', 'border')


def _as_dict(args: ArgsLike) -> Dict[str, Any]:
    if args is None:
        return {}
    if isinstance(args, argparse.Namespace):
        return vars(args)
    if isinstance(args, Mapping):
        return dict(args)
    raise TypeError(f'args must be a dict or argparse.Namespace, got {type(args).__name__}.')


def _get_pretrained_cfg(model: Optional[nn.Module]) -> Dict[str, Any]:
    if model is None:
        return {}
    # unwrap DDP / compiled wrappers that hide the attributes of the real model
    inner = getattr(model, 'module', None) or getattr(model, '_orig_mod', None)
    for m in (model, inner):
        if m is None:
            continue
        cfg = getattr(m, 'pretrained_cfg', None) or getattr(m, 'default_cfg', None)
        if cfg:
            return dict(cfg)
    return {}


def _channel_tuple(value: Union[float, Sequence[float]], in_chans: int, key: str) -> Tuple[float, ...]:
    values = (float(value),) if isinstance(value, (int, float)) else tuple(float(v) for v in value)
    if len(values) == 1:
        return values * in_chans
    if len(values) != in_chans:
        raise ValueError(f'{key} has {len(values)} values but the input has {in_chans} channels; '
                         f'pass one value per channel or a single value to broadcast.')
    return values


def resolve_data_config(
        args: ArgsLike = None,
        pretrained_cfg: Optional[Mapping[str, Any]] = None,
        model: Optional[nn.Module] = None,
        use_test_size: bool = False,
        verbose: bool = False,
) -> Dict[str, Any]:
    """Resolve the data config used to build transforms for a model.

    Args:
        args: Dict or argparse namespace with any of timm's train.py names: ``input_size`` (C, H, W), ``img_size``
            (int or (H, W)), ``in_chans``, ``interpolation``, ``mean``, ``std``, ``crop_pct``, ``crop_mode``.
            ``None`` values count as unset.
        pretrained_cfg: Model pretrained cfg dict; read from ``model`` when not given.
        model: Model whose ``pretrained_cfg`` (or ``default_cfg``) supplies defaults.
        use_test_size: Prefer ``test_input_size`` / ``test_crop_pct`` of the pretrained cfg when present.
        verbose: Log the resolved config.

    Returns:
        Dict with keys ``input_size``, ``interpolation``, ``mean``, ``std``, ``crop_pct``, ``crop_mode``.
    """
    a = {k: v for k, v in _as_dict(args).items() if v is not None}
    cfg = dict(pretrained_cfg) if pretrained_cfg else _get_pretrained_cfg(model)

    in_chans = 3
    if 'in_chans' in a:
        in_chans = int(a['in_chans'])
    elif 'chans' in a:
        in_chans = int(a['chans'])
    elif cfg.get('input_size'):
        in_chans = int(cfg['input_size'][0])

    input_size: Tuple[int, int, int] = (in_chans, 224, 224)
    if 'input_size' in a:
        if len(a['input_size']) != 3:
            raise ValueError(f"input_size must be (C, H, W), got {a['input_size']!r}; use img_size for (H, W).")
        input_size = tuple(int(v) for v in a['input_size'])
        in_chans = input_size[0]
    elif 'img_size' in a:
        size = a['img_size']
        hw = (int(size), int(size)) if isinstance(size, (int, float)) else tuple(int(v) for v in size)
        if len(hw) != 2:
            raise ValueError(f'img_size must be an int or (H, W), got {size!r}.')
        input_size = (in_chans, *hw)
    elif use_test_size and cfg.get('test_input_size'):
        input_size = (in_chans, *(int(v) for v in cfg['test_input_size'][-2:]))
    elif cfg.get('input_size'):
        input_size = (in_chans, *(int(v) for v in cfg['input_size'][-2:]))

    interpolation = a.get('interpolation') or cfg.get('interpolation') or 'bicubic'
    mean = _channel_tuple(a.get('mean', cfg.get('mean', IMAGENET_DEFAULT_MEAN)), in_chans, 'mean')
    std = _channel_tuple(a.get('std', cfg.get('std', IMAGENET_DEFAULT_STD)), in_chans, 'std')

    if 'crop_pct' in a:
        crop_pct = float(a['crop_pct'])
    elif use_test_size and cfg.get('test_crop_pct'):
        crop_pct = float(cfg['test_crop_pct'])
    else:
        crop_pct = float(cfg.get('crop_pct') or DEFAULT_CROP_PCT)
    if not 0. < crop_pct <= 1.5:
        raise ValueError(f'crop_pct must be in (0, 1.5], got {crop_pct}; 0.875 is the usual ImageNet value.')

    crop_mode = a.get('crop_mode') or cfg.get('crop_mode') or DEFAULT_CROP_MODE
    if crop_mode not in _CROP_MODES:
        raise ValueError(f'crop_mode must be one of {_CROP_MODES}, got {crop_mode!r}.')

    data_config = dict(input_size=input_size, interpolation=interpolation, mean=mean, std=std,
                       crop_pct=crop_pct, crop_mode=crop_mode)
    if verbose:
        _logger.info('Data processing configuration: %s', data_config)
    return data_config


def resolve_model_data_config(
        model: nn.Module,
        args: ArgsLike = None,
        pretrained_cfg: Optional[Mapping[str, Any]] = None,
        use_test_size: bool = False,
        verbose: bool = False,
) -> Dict[str, Any]:
    """Same as :func:`resolve_data_config` with the model first (the usual inference call)."""
    return resolve_data_config(args=args, pretrained_cfg=pretrained_cfg, model=model,
                               use_test_size=use_test_size, verbose=verbose)
