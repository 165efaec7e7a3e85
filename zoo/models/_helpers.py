"""Reading weight files safely and loading them with errors that say exactly what does not fit."""
import hashlib
import logging
import os
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.models._weights_info import read_weights_info

__all__ = [
    'load_state_dict', 'load_checkpoint', 'clean_state_dict', 'check_sha256', 'load_state_dict_checked',
    'StateDictMismatchError', 'CorruptCheckpointError', 'read_weights_file', 'remap_state_dict',
]

_logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]


# model class -> the checkpoint filter its family builds it with (filled by the builder), so a checkpoint loaded later
# with `load_checkpoint` goes through the same layout conversion as pretrained weights do
_family_filters: Dict[type, Callable[[Dict[str, Any], nn.Module], Dict[str, Any]]] = {}


class StateDictMismatchError(RuntimeError):
    """A checkpoint does not fit a model: lists missing and unexpected keys and shape clashes."""


class CorruptCheckpointError(RuntimeError):
    """A weight or checkpoint file that cannot be read: empty, truncated, damaged or not a checkpoint at all."""


def check_sha256(path: PathLike, expected: Optional[str]) -> None:
    """Refuse a file whose sha256 differs from the one recorded in its pretrained cfg."""
    if not expected:
        return
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    actual = digest.hexdigest()
    if not actual.startswith(expected.lower()):
        raise RuntimeError(
            f'Weight file {path} has sha256 {actual} but its pretrained cfg expects {expected}. The file is corrupt '
            f'or not the published weights: delete it (it will be downloaded again) or pass the right file.')


def clean_state_dict(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Strip the `module.` prefix DataParallel / DistributedDataParallel checkpoints carry."""
    return OrderedDict((k[7:] if k.startswith('module.') else k, v) for k, v in state_dict.items())


_ZIP_MAGIC, _PICKLE_PROTO = b'PK\x03\x04', b'\x80'


def _head(path: Path, n: int = 9) -> bytes:
    with open(path, 'rb') as f:
        return f.read(n)


def _diagnose(path: Path) -> str:
    """What a file that failed to load looks like, judged from its size and first bytes."""
    size = path.stat().st_size
    if size == 0:
        return 'it is empty (0 bytes)'
    head = _head(path)
    if head.startswith(_ZIP_MAGIC):
        return f'it is a zip archive ({size} bytes) that is not a complete torch checkpoint (truncated or damaged)'
    if head.startswith(_PICKLE_PROTO):
        return f'it is a legacy (pickle) torch file ({size} bytes) that is truncated or damaged'
    if head[8:9] == b'{':  # safetensors: 8-byte little-endian header length, then the JSON header
        needed = 8 + int.from_bytes(head[:8], 'little')
        if needed > size:
            return f'it is a safetensors file cut short (its header alone needs {needed} bytes, the file has {size})'
        return f'it is a safetensors file ({size} bytes) whose header or tensor data is truncated or damaged'
    return f'its content ({size} bytes) is neither a torch checkpoint nor a safetensors file'


def read_weights_file(path: PathLike) -> Any:
    """Load a safetensors file or a torch file without running pickled code.

    Raises:
        CorruptCheckpointError: The file is empty, truncated, damaged or not a checkpoint at all.
        RuntimeError: The file is a readable torch pickle that holds more than tensors and plain values.
    """
    path = Path(path)
    try:
        if path.suffix == '.safetensors':
            from safetensors.torch import load_file
            return load_file(str(path), device='cpu')
        # never unpickle code from a foreign file: only tensors and plain containers are accepted
        return torch.load(str(path), map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        # the weights-only unpickler rejects garbage as well; a refusal of real content needs an intact container
        if 'Weights only load failed' not in str(e) or not _head(path, 4).startswith((_ZIP_MAGIC, _PICKLE_PROTO)):
            raise _corrupt(path, e) from e
        raise RuntimeError(
            f'Could not load {path} safely (weights_only=True): it holds pickled Python objects besides tensors. zoo '
            f'only reads safetensors files or torch checkpoints of tensors and plain values; re-save the weights with '
            f'safetensors (or torch.save of the state_dict alone).') from e
    except Exception as e:  # torch, zipfile and safetensors each raise their own types for a damaged file
        raise _corrupt(path, e) from e


def _corrupt(path: Path, error: Exception) -> CorruptCheckpointError:
    reason = (str(error).strip().splitlines() or [''])[0][:200]
    return CorruptCheckpointError(
        f'Checkpoint file {path} is corrupt or truncated: {_diagnose(path)} ({type(error).__name__}: {reason}). '
        f'An interrupted copy or download leaves such files; copy or download it again, or use another checkpoint.')


def load_state_dict(checkpoint_path: PathLike, use_ema: bool = False, sha256: Optional[str] = None) -> Dict[str, Any]:
    """Read a state_dict from a safetensors file, a raw torch state_dict or a training checkpoint dict.

    A training checkpoint is unwrapped from `state_dict_ema` (when `use_ema` and present), `state_dict`,
    `model` or `model_state_dict`; a `module.` prefix is stripped.
    """
    path = Path(checkpoint_path)
    if not path.is_file():
        raise FileNotFoundError(f'No checkpoint file at {path}.')
    check_sha256(path, sha256)
    checkpoint = read_weights_file(path)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'Checkpoint {path} holds a {type(checkpoint).__name__}, not a state_dict.')
    state_dict = checkpoint
    keys = ['state_dict_ema', 'model_ema'] if use_ema else []
    for key in keys + ['state_dict', 'model', 'model_state_dict']:
        if isinstance(checkpoint.get(key), dict):
            state_dict = checkpoint[key]
            break
    else:
        if use_ema:
            _logger.debug('%s has no EMA weights; loading the plain weights', path)
    return clean_state_dict(state_dict)


def _describe_mismatch(model: nn.Module, state_dict: Dict[str, Any]) -> Tuple[List[str], List[str], List[str]]:
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state_dict.items()
        if k in own and isinstance(v, torch.Tensor) and tuple(v.shape) != tuple(own[k].shape)
    ]
    return missing, unexpected, shapes


def _format_keys(title: str, keys: List[str], limit: int = 12) -> str:
    if not keys:
        return ''
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'\n  {title} ({len(keys)}): {", ".join(keys[:limit])}{more}'


def load_state_dict_checked(
        model: nn.Module,
        state_dict: Dict[str, Any],
        strict: bool = True,
        source: str = 'checkpoint',
        allow_missing: Tuple[str, ...] = (),
        assign: bool = False,
) -> Tuple[List[str], List[str]]:
    """`model.load_state_dict` with one error listing every missing/unexpected key and every shape clash.

    Shape clashes are always errors. With `strict=False` missing and unexpected keys are logged instead; keys in
    `allow_missing` (e.g. a classifier dropped on purpose) may be missing even when strict.
    """
    missing, unexpected, shapes = _describe_mismatch(model, state_dict)
    hard_missing = [k for k in missing if k not in allow_missing]
    if shapes or (strict and (hard_missing or unexpected)):
        raise StateDictMismatchError(
            f'{source} does not fit {type(model).__name__}:'
            + _format_keys('missing keys', hard_missing if strict else [])
            + _format_keys('unexpected keys', unexpected if strict else [])
            + _format_keys('shape mismatches', shapes)
            + '\n  Check that the model name / num_classes / in_chans match the checkpoint, or pass a filter_fn '
              'that converts its layout.')
    if missing or unexpected:
        _logger.info('%s: %d missing and %d unexpected keys ignored', source, len(missing), len(unexpected))
    model.load_state_dict(state_dict, strict=False, assign=assign)
    return missing, unexpected


def remap_state_dict(state_dict: Dict[str, Any], model: nn.Module, allow_reshape: bool = True) -> Dict[str, Any]:
    """Map a state_dict onto a model whose keys differ only in names, by position (same order and sizes)."""
    own = model.state_dict()
    if len(own) != len(state_dict):
        raise StateDictMismatchError(f'Cannot remap by position: {len(state_dict)} tensors vs {len(own)} in model.')
    out = OrderedDict()
    for (ka, va), (kb, vb) in zip(own.items(), state_dict.items()):
        if va.numel() != vb.numel():
            raise StateDictMismatchError(f'Cannot remap {kb} {tuple(vb.shape)} onto {ka} {tuple(va.shape)}.')
        out[ka] = vb.reshape(va.shape) if allow_reshape else vb
    return out


def load_checkpoint(
        model: nn.Module,
        checkpoint_path: PathLike,
        use_ema: bool = True,
        strict: bool = True,
        filter_fn: Optional[Callable[[Dict[str, Any], nn.Module], Dict[str, Any]]] = None,
) -> Tuple[List[str], List[str]]:
    """Load a file written by zoo, timm or torchvision into `model` (EMA weights preferred when present).

    Without an explicit `filter_fn`, the model family's own checkpoint filter converts foreign layouts. The data
    config and class names stored with zoo weights go into `model.pretrained_cfg` (see `zoo.models._weights_info`).
    """
    state_dict = load_state_dict(checkpoint_path, use_ema=use_ema)
    if filter_fn is None:
        filter_fn = _family_filters.get(type(model))
    if filter_fn is not None:
        state_dict = filter_fn(state_dict, model)
    result = load_state_dict_checked(model, state_dict, strict=strict, source=str(checkpoint_path))
    read_weights_info(checkpoint_path).apply_to(model)
    return result
