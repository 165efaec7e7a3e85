"""Weights and configs on the Hugging Face Hub (or a local folder in the same layout), and plain URL downloads.

A zoo / timm Hub repo holds `config.json` (architecture, num_classes, num_features, global_pool, label_names,
pretrained_cfg, model_args) and `model.safetensors` (or a legacy `pytorch_model.bin`). huggingface_hub is imported
only when a download or upload actually happens, so it costs `import zoo` nothing. It honours `HF_ENDPOINT`,
`HF_HUB_OFFLINE` and the HF cache.

Every source fails the same way when the weights cannot be had: a :class:`WeightsUnavailableError` naming the
source, why (HF_HUB_OFFLINE, an unreachable server, a missing file) and what to do. Offline mode covers plain URL
weights too. An unreachable Hub is detected with one short request instead of huggingface_hub's retries, and the
local cache is used as huggingface_hub would use it.

A weight file from the Hub is checked against the hash the Hub published for it: the HF cache names each blob by
the file's ETag, the sha256 of an LFS file (the git blob sha1 of a small file). The check runs once per blob; a
marker `<blob>.zoo-verified` beside it records the size and modification time that were verified.
"""
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import torch
import torch.nn as nn

from zoo.models._weights_info import WeightsInfo
from zoo.models._helpers import CorruptCheckpointError
from zoo.version import __version__

__all__ = [
    'download_hf_weights', 'download_url_weights', 'load_model_config_from_hf', 'load_model_config_from_path',
    'save_for_hf', 'push_to_hub', 'parse_hub_id', 'verify_hub_file', 'HF_WEIGHTS_NAME', 'HF_SAFE_WEIGHTS_NAME',
    'WeightsUnavailableError',
]

_logger = logging.getLogger(__name__)

HF_WEIGHTS_NAME = 'pytorch_model.bin'
HF_SAFE_WEIGHTS_NAME = 'model.safetensors'
HF_CONFIG_NAME = 'config.json'

# seconds to wait for a server before calling it unreachable (connect, and the first answer)
NETWORK_TIMEOUT = 5.
# how long a probe result stands, so that loading several models does not probe each time
_PROBE_TTL = 60.
_probes: Dict[str, Tuple[float, Optional[str]]] = {}

_SHA256_NAME = re.compile(r'[0-9a-f]{64}')
_GIT_SHA1_NAME = re.compile(r'[0-9a-f]{40}')
_VERIFIED_SUFFIX = '.zoo-verified'


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights (or a Hub config) are neither in the local cache nor downloadable right now."""


def parse_hub_id(hf_hub_id: str) -> Tuple[str, Optional[str]]:
    """'org/repo@rev' -> ('org/repo', 'rev')."""
    repo_id, _, revision = hf_hub_id.partition('@')
    if repo_id.count('/') != 1 or not all(repo_id.split('/')):
        raise ValueError(f'Bad Hub repo id {hf_hub_id!r}: expected "org/name" optionally followed by "@revision".')
    return repo_id, revision or None


def _offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it, also when it was set after huggingface_hub was imported."""
    from huggingface_hub import constants
    value = os.environ.get('HF_HUB_OFFLINE') or os.environ.get('TRANSFORMERS_OFFLINE') or ''
    return constants.HF_HUB_OFFLINE or value.upper() in ('1', 'ON', 'YES', 'TRUE')


def _hub_unreachable() -> Optional[str]:
    """Why the Hub endpoint cannot be reached (None when it answers), probed with one short request.

    huggingface_hub retries a failed connection with back-off for about 25 s per file; one request with a short
    timeout tells the same thing in at most NETWORK_TIMEOUT seconds.
    """
    from huggingface_hub import constants, get_session
    endpoint = constants.ENDPOINT
    checked = _probes.get(endpoint)
    if checked is not None and time.monotonic() - checked[0] < _PROBE_TTL:
        return checked[1]
    reason = None
    try:
        get_session().head(endpoint, timeout=NETWORK_TIMEOUT)  # any HTTP answer, even an error status, will do
    except Exception as e:  # httpx / requests connection errors and timeouts differ between versions
        reason = f'{endpoint} cannot be reached ({type(e).__name__}: {e})'
        _logger.warning('The Hub at %s cannot be reached (%s); using the local cache only.', endpoint, e)
    _probes[endpoint] = (time.monotonic(), reason)
    return reason


_LOCAL_FILE_HINT = 'load a local file with pretrained_cfg_overlay=dict(file=...)'


def _unavailable(what: str, cache: str, unreachable: Optional[str] = None, missing: Optional[str] = None,
                 local: str = _LOCAL_FILE_HINT) -> WeightsUnavailableError:
    """The one message for weights that cannot be had, whatever the source.

    Args:
        what: The file and where it comes from.
        cache: The local cache that was looked in.
        unreachable: Why the server cannot be reached (None: offline mode, or the server answered).
        missing: What the server answered when it does not have the file.
        local: How to use a local copy instead.
    """
    if missing:
        why = f'the server does not have it ({missing})'
        fix = 'Check the name / repo id and revision, or'
    elif unreachable:
        why = f'it is not in {cache} and {unreachable}'
        fix = 'Check the network connection / HF_ENDPOINT, set HF_HUB_OFFLINE=1 to use only the cache, or'
    else:
        why = f'HF_HUB_OFFLINE is set and {cache} does not hold it'
        fix = 'Download it once with network access (unset HF_HUB_OFFLINE), or'
    return WeightsUnavailableError(f'{what} is not available: {why}. {fix} {local}.')


def _hf_download(repo_id: str, filename: str, revision: Optional[str], cache_dir: Optional[str]) -> str:
    """Fetch a file with huggingface_hub; offline or with an unreachable Hub, from the local cache only."""
    from huggingface_hub import hf_hub_download
    local_only = _offline() or _hub_unreachable() is not None
    return hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir, local_files_only=local_only)


def _hub_fetch(hf_hub_id: str, names: List[str], cache_dir: Optional[str], what: str, **hint: str) -> Path:
    """The first of ``names`` the repo has (from the cache or downloaded), or a :class:`WeightsUnavailableError`."""
    from huggingface_hub import constants
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError
    from huggingface_hub.errors import OfflineModeIsEnabled
    repo_id, revision = parse_hub_id(hf_hub_id)
    errors = []
    for name in names:
        try:
            return Path(_hf_download(repo_id, name, revision, cache_dir))
        except (EntryNotFoundError, LocalEntryNotFoundError, OfflineModeIsEnabled, HfHubHTTPError) as e:
            errors.append(f'{name}: {type(e).__name__}')
    offline = _offline()
    unreachable = None if offline else _hub_unreachable()
    cache = f'the HF cache ({cache_dir or constants.HF_HUB_CACHE})'
    raise _unavailable(f'{what} of Hub repo {hf_hub_id!r} ({" or ".join(names)})', cache, unreachable=unreachable,
                       missing=None if offline or unreachable else '; '.join(errors), **hint)


def download_hf_weights(hf_hub_id: str, filename: Optional[str] = None, cache_dir: Optional[str] = None) -> Path:
    """Fetch (or find in the cache) a repo's weights: model.safetensors first, then pytorch_model.bin.

    The file is checked against the hash the Hub published for it (see :func:`verify_hub_file`).

    Raises:
        WeightsUnavailableError: Offline / unreachable without a cached copy, or the repo has no weight file.
        CorruptCheckpointError: The cached file differs from what the Hub published.
    """
    path = _hub_fetch(hf_hub_id, [filename] if filename else [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME], cache_dir,
                      'The weight file')
    verify_hub_file(path, hf_hub_id)
    return path


def _cached_blob(path: Path) -> Optional[Path]:
    """The ``blobs/<etag>`` entry a cached snapshot file links to; None outside the symlinked cache layout."""
    current = Path(path)
    for _ in range(4):
        if current.parent.name == 'blobs' and (_SHA256_NAME.fullmatch(current.name) or
                                               _GIT_SHA1_NAME.fullmatch(current.name)):
            return current
        if not current.is_symlink():
            return None
        current = Path(os.path.normpath(current.parent / os.readlink(current)))
    return None


def _file_digest(path: Path, git_blob: bool) -> str:
    digest = hashlib.sha1() if git_blob else hashlib.sha256()
    if git_blob:  # a git object id hashes a 'blob <size>\0' header before the content
        digest.update(b'blob %d\0' % path.stat().st_size)
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify_hub_file(path: Union[str, os.PathLike], source: str = '') -> bool:
    """Check a file from the HF cache against the hash the Hub published for it (its blob's ETag name).

    A verified blob gets a marker holding its size and modification time, so later loads skip the hashing until the
    blob changes. Files outside the symlinked cache layout (no ETag to compare with) are not checked.

    Args:
        path: The path ``hf_hub_download`` returned.
        source: Hub repo id for the error message.

    Returns:
        True when the file was checked (now or earlier), False when there is nothing to check against.

    Raises:
        CorruptCheckpointError: The content does not match the published hash.
    """
    blob = _cached_blob(Path(path))
    if blob is None:
        _logger.debug('%s is not a blob of the HF cache; no published hash to check it against', path)
        return False
    stat = blob.stat()
    stamp = f'{stat.st_size} {stat.st_mtime_ns}'
    marker = blob.with_name(blob.name + _VERIFIED_SUFFIX)
    try:
        if marker.read_text() == stamp:
            return True
    except OSError:
        pass
    git_blob = len(blob.name) == 40
    actual = _file_digest(blob, git_blob)
    if actual != blob.name:
        kind = 'git blob sha1' if git_blob else 'sha256'
        repo_id = parse_hub_id(source)[0] if source else '<repo>'
        raise CorruptCheckpointError(
            f'Weight file {path} from Hub repo {source or "?"} is corrupt: its {kind} is {actual}, but the Hub '
            f'published {blob.name}. Delete the cached copy ({blob} and {path}) and load again to download it '
            f'afresh, or run huggingface_hub.hf_hub_download({repo_id!r}, {Path(path).name!r}, '
            f'force_download=True).')
    try:
        marker.write_text(stamp)
    except OSError as e:  # a read-only shared cache: verify again next time
        _logger.debug('Could not write %s: %s', marker, e)
    return True


def _fetch_url(url: str, target: Path) -> None:
    """Download ``url`` to ``target`` through a temp file, failing within NETWORK_TIMEOUT on a silent server."""
    request = urllib.request.Request(url, headers={'User-Agent': f'zoo/{__version__}'})
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f'.{target.name}.', suffix='.partial')
    try:
        with os.fdopen(fd, 'wb') as f, urllib.request.urlopen(request, timeout=NETWORK_TIMEOUT) as response:
            shutil.copyfileobj(response, f, 1 << 20)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download_url_weights(url: str, cache_dir: Optional[str] = None, sha256: Optional[str] = None) -> Path:
    """Download a weight file once into the torch hub checkpoint cache; honours HF_HUB_OFFLINE like Hub weights.

    Raises:
        WeightsUnavailableError: Offline without a cached copy, or the server cannot be reached.
    """
    if cache_dir is None:
        cache_dir = os.path.join(torch.hub.get_dir(), 'checkpoints')
    filename = os.path.basename(urlparse(url).path)
    target = Path(cache_dir) / filename
    if target.exists():
        return target
    cache = f'the torch hub cache ({cache_dir})'
    if _offline():
        raise _unavailable(f'The weight file {url}', cache)
    os.makedirs(cache_dir, exist_ok=True)
    _logger.info('Downloading %s to %s', url, target)
    try:
        _fetch_url(url, target)
    except urllib.error.HTTPError as e:
        raise _unavailable(f'The weight file {url}', cache, missing=f'HTTP {e.code} {e.reason}') from e
    except (urllib.error.URLError, OSError) as e:  # refused, DNS failure, timeout, reset mid-download
        host = urlparse(url).netloc
        raise _unavailable(f'The weight file {url}', cache,
                           unreachable=f'{host} cannot be reached ({getattr(e, "reason", e)})') from e
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
    path = _hub_fetch(hf_hub_id, [HF_CONFIG_NAME], cache_dir, 'The model config',
                      local='use a local copy of the repo with create_model("local-dir:/path/to/folder")')
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
