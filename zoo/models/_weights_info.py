"""What trained weights were fed: input preprocessing (the data config) and class names, stored with the weights.

A model trained at 16 px with its own mean/std must be evaluated the same way; the architecture's default cfg does
not know that. zoo stores this record

* in training checkpoints, as the top-level keys ``data_config`` and ``class_names``;
* in safetensors weight files, as the same two keys (JSON strings) in the file's metadata;
* in ``save_for_hf`` folders, inside ``config.json`` (``pretrained_cfg`` keys and ``label_names``).

``load_checkpoint`` applies it to ``model.pretrained_cfg``, so ``resolve_data_config(model=model)`` and a later
``save_for_hf(model, ...)`` use the preprocessing the weights were trained with.
"""
import json
import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

__all__ = ['WeightsInfo', 'read_weights_info', 'save_safetensors_weights', 'export_checkpoint_weights']

_logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
# pretrained_cfg keys that describe the test-time input of some *other* weights: dropped when a record is applied
_STALE_CFG_KEYS = ('test_input_size', 'test_crop_pct', 'test_pool_size')


@dataclass
class WeightsInfo:
    """Preprocessing and classes that a set of weights was trained with (fields left None are unknown)."""
    input_size: Optional[Tuple[int, int, int]] = None
    interpolation: Optional[str] = None
    mean: Optional[Tuple[float, ...]] = None
    std: Optional[Tuple[float, ...]] = None
    crop_pct: Optional[float] = None
    crop_mode: Optional[str] = None
    class_names: Optional[List[str]] = None

    @classmethod
    def from_data_config(cls, data_config: Optional[Mapping[str, Any]],
                         class_names: Optional[Sequence[str]] = None) -> 'WeightsInfo':
        """From a ``resolve_data_config`` dict (unknown keys ignored) and a class list in index order."""
        data_config = dict(data_config or {})
        info = cls(class_names=[str(c) for c in class_names] if class_names else None)
        try:
            if data_config.get('input_size') is not None:
                info.input_size = tuple(int(v) for v in data_config['input_size'])
            for key in ('mean', 'std'):
                if data_config.get(key) is not None:
                    setattr(info, key, tuple(float(v) for v in data_config[key]))
            if data_config.get('crop_pct') is not None:
                info.crop_pct = float(data_config['crop_pct'])
        except (TypeError, ValueError) as e:
            raise ValueError(f'Malformed data config {data_config!r}: {e}') from e
        for key in ('interpolation', 'crop_mode'):
            if data_config.get(key):
                setattr(info, key, str(data_config[key]))
        return info

    @property
    def data_config(self) -> Dict[str, Any]:
        """The known preprocessing keys (``resolve_data_config`` names)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != 'class_names' and getattr(self, f.name) is not None}

    def __bool__(self) -> bool:
        return bool(self.data_config or self.class_names)

    def to_state(self) -> Dict[str, Any]:
        """Plain values for a checkpoint dict (loads with ``weights_only=True``)."""
        state: Dict[str, Any] = {}
        if self.data_config:
            state['data_config'] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.data_config.items()}
        if self.class_names:
            state['class_names'] = list(self.class_names)
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> 'WeightsInfo':
        """From a checkpoint dict, or safetensors metadata whose values are JSON strings."""
        def value(key: str) -> Any:
            v = state.get(key)
            return json.loads(v) if isinstance(v, str) else v
        names = value('class_names')
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError(f'class_names must be a list of strings, got {type(names).__name__}.')
        return cls.from_data_config(value('data_config'), names)

    def update_cfg(self, cfg: Dict[str, Any]) -> Dict[str, Any]:
        """Write the record into a pretrained cfg dict (``class_names`` as ``label_names``); returns ``cfg``."""
        if self.data_config:
            for key in _STALE_CFG_KEYS:
                cfg.pop(key, None)
            cfg.update(self.data_config)
        if self.class_names:
            cfg['label_names'] = list(self.class_names)
        return cfg

    def apply_to(self, model: nn.Module) -> None:
        """Write the record into ``model.pretrained_cfg``."""
        if getattr(model, 'pretrained_cfg', None) is None:
            model.pretrained_cfg = {}
        self.update_cfg(model.pretrained_cfg)


def read_weights_info(path: PathLike) -> WeightsInfo:
    """The record stored with a weight file: a zoo training checkpoint, or safetensors with zoo metadata.

    Files without one (foreign checkpoints, plain state_dicts) give an empty record.
    """
    path = Path(path)
    try:
        if path.suffix == '.safetensors':
            from safetensors import safe_open
            with safe_open(str(path), framework='pt') as f:
                return WeightsInfo.from_state(f.metadata() or {})
        try:
            # mmap: the tensors stay on disk, only the small entries are read
            state = torch.load(str(path), map_location='cpu', weights_only=True, mmap=True)
        except RuntimeError:  # mmap needs the zip format; legacy files load whole
            state = torch.load(str(path), map_location='cpu', weights_only=True)
    except Exception as e:  # the weights themselves are loaded (and errors reported) by the caller
        _logger.debug('no weights info read from %s: %s', path, e)
        return WeightsInfo()
    if not isinstance(state, dict):
        return WeightsInfo()
    try:
        return WeightsInfo.from_state(state)
    except (ValueError, json.JSONDecodeError) as e:
        _logger.warning('Ignoring the malformed data config / class names stored in %s: %s', path, e)
        return WeightsInfo()


def save_safetensors_weights(state_dict: Mapping[str, torch.Tensor], path: PathLike,
                             info: Optional[WeightsInfo] = None) -> Path:
    """Write a weights-only safetensors file whose metadata holds ``info`` (atomically)."""
    from safetensors.torch import save_file

    from zoo.models._hub import _atomic_write
    path = Path(path)
    metadata = {'format': 'pt'}
    for key, value in (info.to_state() if info else {}).items():
        metadata[key] = json.dumps(value)
    tensors = {k: v.detach().contiguous() for k, v in state_dict.items()}
    _atomic_write(path, lambda p: save_file(tensors, str(p), metadata=metadata))
    return path


def export_checkpoint_weights(checkpoint_path: PathLike, path: PathLike, use_ema: bool = False) -> Path:
    """Write the weights of a zoo training checkpoint (EMA ones with ``use_ema``) as safetensors with their record."""
    from zoo.models._helpers import load_state_dict
    state_dict = load_state_dict(checkpoint_path, use_ema=use_ema)
    return save_safetensors_weights(state_dict, path, read_weights_info(checkpoint_path))
