"""Weights and configs on the Hugging Face Hub (or a local folder in the same layout), and plain URL downloads.

A zoo / timm Hub repo holds `config.json` (architecture, num_classes, num_features, global_pool, label_names,
pretrained_cfg, model_args) and `model.safetensors` (or a legacy `pytorch_model.bin`). huggingface_hub is imported
only when a download or upload actually happens, so it costs `import zoo` nothing. It honours `HF_ENDPOINT`,
`HF_HUB_OFFLINE` and the HF cache.
"""
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import torch
import torch.nn as nn

from zoo.models._weights_info import WeightsInfo

__all__ = [
    'download_hf_weights', 'download_url_weights', 'load_model_config_from_hf', 'load_model_config_from_path',
    'save_for_hf', 'push_to_hub', 'parse_hub_id', 'HF_WEIGHTS_NAME', 'HF_SAFE_WEIGHTS_NAME',
]

_logger = logging.getLogger(__name__)

HF_WEIGHTS_NAME = 'pytorch_model.bin'
HF_SAFE_WEIGHTS_NAME = 'model.safetensors'
HF_CONFIG_NAME = 'config.json'


def parse_hub_id(hf_hub_id: str) -> Tuple[str, Optional[str]]:
    """'org/repo@rev' -> ('org/repo', 'rev')."""
    repo_id, _, revision = hf_hub_id.partition('@')
    if repo_id.count('/') != 1 or not all(repo_id.split('/')):
        raise ValueError(f'Bad Hub repo id {hf_hub_id!r}: expected "org/name" optionally followed by "@revision".')
    return repo_id, revision or None


def _hf_download(repo_id: str, filename: str, revision: Optional[str], cache_dir: Optional[str]) -> str:
    from huggingface_hub import hf_hub_download
    return hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir)


def download_hf_weights(hf_hub_id: str, filename: Optional[str] = None, cache_dir: Optional[str] = None) -> Path:
    """Fetch (or find in the cache) a repo's weights: model.safetensors first, then pytorch_model.bin."""
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, OfflineModeIsEnabled
    repo_id, revision = parse_hub_id(hf_hub_id)
    candidates = [filename] if filename else [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]
    errors = []
    for name in candidates:
        try:
            return Path(_hf_download(repo_id, name, revision, cache_dir))
        except (EntryNotFoundError, LocalEntryNotFoundError, OfflineModeIsEnabled) as e:
            errors.append(f'{name}: {type(e).__name__}')
    offline = os.environ.get('HF_HUB_OFFLINE', '').lower() in ('1', 'true', 'yes', 'on')
    hint = ('HF_HUB_OFFLINE is set and the cache holds none of them; download once online or point '
            'pretrained_cfg_overlay=dict(file=...) at a local file.') if offline else (
        'Check the repo id, your connection / HF_ENDPOINT, or pass pretrained_cfg_overlay=dict(file=...).')
    raise RuntimeError(f'No weights found in Hub repo {hf_hub_id!r} ({"; ".join(errors)}). {hint}')


def download_url_weights(url: str, cache_dir: Optional[str] = None, sha256: Optional[str] = None) -> Path:
    """Download a weight file once into the torch hub checkpoint cache (atomically, hash checked by torch)."""
    if cache_dir is None:
        cache_dir = os.path.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(cache_dir, exist_ok=True)
    filename = os.path.basename(urlparse(url).path)
    target = Path(cache_dir) / filename
    if not target.exists():
        _logger.info('Downloading %s to %s', url, target)
        # download_url_to_file writes to a temp file and renames it, so a broken download leaves no partial file
        torch.hub.download_url_to_file(url, str(target), hash_prefix=None, progress=False)
    return target


def _split_config(config: Dict[str, Any]) -> Tuple[Dict[str, Any], str, Dict[str, Any]]:
    """Hub config.json -> (pretrained_cfg dict, architecture, model_args)."""
    config = dict(config)
    pretrained_cfg = dict(config.pop('pretrained_cfg', None) or {})
    architecture = config.pop('architecture', None) or pretrained_cfg.get('architecture')
    if not architecture:
        raise RuntimeError('config.json has no "architecture": it is not a zoo / timm model repo.')
    model_args = dict(config.pop('model_args', None) or {})
    for key in ('num_classes', 'global_pool'):
        if key in config:
            model_args.setdefault(key, config[key])
    label_names = config.get('label_names') or pretrained_cfg.get('label_names')
    if label_names:
        pretrained_cfg['label_names'] = label_names
        model_args.setdefault('num_classes', len(label_names))
    if config.get('label_descriptions'):
        pretrained_cfg['label_descriptions'] = config['label_descriptions']
    if 'num_classes' in model_args:
        pretrained_cfg['num_classes'] = model_args['num_classes']
    return pretrained_cfg, architecture, model_args


def load_model_config_from_hf(hf_hub_id: str, cache_dir: Optional[str] = None) -> Tuple[Dict[str, Any], str, Dict[str, Any]]:
    """Read a Hub repo's config.json; the returned cfg points its weights at that repo (and revision)."""
    repo_id, revision = parse_hub_id(hf_hub_id)
    path = _hf_download(repo_id, HF_CONFIG_NAME, revision, cache_dir)
    with open(path, encoding='utf-8') as f:
        pretrained_cfg, architecture, model_args = _split_config(json.load(f))
    for key in ('url', 'file', 'hf_hub_filename'):
        pretrained_cfg.pop(key, None)
    pretrained_cfg['hf_hub_id'] = hf_hub_id
    pretrained_cfg['source'] = 'hf-hub'
    return pretrained_cfg, architecture, model_args


def load_model_config_from_path(model_dir: Union[str, os.PathLike]) -> Tuple[Dict[str, Any], str, Dict[str, Any]]:
    """Read a local folder in the Hub layout; the returned cfg points its weights at the folder's file."""
    model_dir = Path(model_dir)
    config_path = model_dir / HF_CONFIG_NAME
    if not config_path.is_file():
        raise FileNotFoundError(
            f'{model_dir} has no {HF_CONFIG_NAME}; a local-dir: model folder needs config.json plus '
            f'{HF_SAFE_WEIGHTS_NAME} (write one with zoo.models.save_for_hf).')
    with open(config_path, encoding='utf-8') as f:
        pretrained_cfg, architecture, model_args = _split_config(json.load(f))
    for name in (HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME):
        if (model_dir / name).is_file():
            weights = model_dir / name
            break
    else:
        raise FileNotFoundError(f'{model_dir} has no {HF_SAFE_WEIGHTS_NAME} or {HF_WEIGHTS_NAME}.')
    for key in ('url', 'hf_hub_id', 'hf_hub_filename'):
        pretrained_cfg.pop(key, None)
    pretrained_cfg['file'] = str(weights)
    pretrained_cfg['source'] = 'local-dir'
    return pretrained_cfg, architecture, model_args


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def save_for_hf(
        model: nn.Module,
        save_directory: Union[str, os.PathLike],
        model_config: Optional[Dict[str, Any]] = None,
        model_args: Optional[Dict[str, Any]] = None,
        safe_serialization: bool = True,
        data_config: Optional[Dict[str, Any]] = None,
        label_names: Optional[Sequence[str]] = None,
) -> Path:
    """Write `config.json` + `model.safetensors` in the layout timm's Hub repos use.

    The preprocessing (input size, interpolation, mean/std, crop) and class names recorded in `config.json` come
    from `data_config` / `label_names` when given, else from `model.pretrained_cfg` (which `load_checkpoint` fills
    from zoo weights), so `create_model('local-dir:...')` evaluates the weights as they were trained.
    Files are written to a temp name and renamed, so an interrupted save never leaves a half-written file.
    """
    from safetensors.torch import save_file
    save_directory = Path(save_directory)
    save_directory.mkdir(parents=True, exist_ok=True)
    pretrained_cfg = dict(getattr(model, 'pretrained_cfg', {}) or {})
    WeightsInfo.from_data_config(data_config, label_names).update_cfg(pretrained_cfg)
    for key in ('url', 'file', 'state_dict', 'hf_hub_id', 'hf_hub_filename', 'source', 'sha256'):
        pretrained_cfg.pop(key, None)
    config = dict(model_config or {})
    config.setdefault('architecture', pretrained_cfg.pop('architecture', None) or type(model).__name__.lower())
    config.setdefault('num_classes', getattr(model, 'num_classes', pretrained_cfg.get('num_classes')))
    config.setdefault('num_features', getattr(model, 'num_features', None))
    global_pool = getattr(model, 'global_pool', None)
    config.setdefault('global_pool', getattr(global_pool, 'pool_type', global_pool if isinstance(global_pool, str) else None))
    if 'label_names' in pretrained_cfg:
        config.setdefault('label_names', pretrained_cfg.pop('label_names'))
    if 'label_descriptions' in pretrained_cfg:
        config.setdefault('label_descriptions', pretrained_cfg.pop('label_descriptions'))
    pretrained_cfg['num_classes'] = config['num_classes']
    config['pretrained_cfg'] = pretrained_cfg
    if model_args:
        config['model_args'] = model_args

    state_dict = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    weights_name = HF_SAFE_WEIGHTS_NAME if safe_serialization else HF_WEIGHTS_NAME
    _atomic_write(save_directory / weights_name, lambda p: (
        save_file(state_dict, str(p), metadata={'format': 'pt'}) if safe_serialization else torch.save(state_dict, p)))
    _atomic_write(save_directory / HF_CONFIG_NAME,
                  lambda p: Path(p).write_text(json.dumps(_jsonable(config), indent=2), encoding='utf-8'))
    return save_directory


def _atomic_write(target: Path, writer) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f'.{target.name}.', suffix='.tmp')
    os.close(fd)
    try:
        writer(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def push_to_hub(
        model: nn.Module,
        repo_id: str,
        commit_message: str = 'Add model',
        token: Optional[str] = None,
        revision: Optional[str] = None,
        private: bool = False,
        create_pr: bool = False,
        model_config: Optional[Dict[str, Any]] = None,
        model_args: Optional[Dict[str, Any]] = None,
) -> str:
    """Save the model in the Hub layout and upload it with huggingface_hub; returns the commit URL."""
    from huggingface_hub import HfApi
    api = HfApi(token=token)
    repo_url = api.create_repo(repo_id, private=private, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        save_for_hf(model, tmpdir, model_config=model_config, model_args=model_args)
        commit = api.upload_folder(
            repo_id=str(getattr(repo_url, 'repo_id', repo_id)), folder_path=tmpdir, commit_message=commit_message,
            revision=revision, create_pr=create_pr)
    return str(commit)
