"""Training checkpoints: atomic writes, last / top-k / best / recovery files, and resuming a run.

Checkpoints hold only tensors and plain python values (args are stored as a dict) so that they load with
``torch.load(..., weights_only=True)``: loading never executes pickled code.

Every file is written to ``<name>.tmp-<pid>`` and renamed, so a kill or a full disk never damages the previous file.
A saver removes temp files that an interrupted earlier process left in its folder: one run writes to one folder
(train.py never lets two runs share one), so a temp file of another process is always stale.
"""
import errno
import glob
import logging
import operator
import os
import re
import shutil
from argparse import Namespace
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Tuple

import torch
from torch import nn

from zoo.models._helpers import CorruptCheckpointError, read_weights_file

__all__ = [
    'CheckpointSaver', 'atomic_save', 'clean_state_dict', 'find_resume_checkpoint', 'load_state', 'plain_args',
    'remove_stale_temp_files', 'resume_candidates', 'resume_checkpoint', 'unwrap_model',
]

_logger = logging.getLogger(__name__)

CHECKPOINT_VERSION = 2


def unwrap_model(model: nn.Module) -> nn.Module:
    """Strip DDP / EMA (``.module``) and ``torch.compile`` (``._orig_mod``) wrappers."""
    while True:
        if hasattr(model, 'module') and isinstance(model.module, nn.Module):
            model = model.module
        elif hasattr(model, '_orig_mod'):
            model = model._orig_mod
        else:
            return model


def clean_state_dict(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Remove ``module.`` / ``_orig_mod.`` prefixes left by DDP or torch.compile wrappers."""
    return {re.sub(r'^(module\.|_orig_mod\.)+', '', k): v for k, v in state_dict.items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)  # devices, dtypes, paths: keep a readable trace without pickling objects


def plain_args(args: Any) -> Optional[Dict[str, Any]]:
    """Arguments as a dict of plain python values (safe for ``weights_only`` loading)."""
    if args is None:
        return None
    items = vars(args) if isinstance(args, Namespace) else dict(args)
    return {k: _plain(v) for k, v in items.items()}


_TEMP_RE = re.compile(r'\.tmp-(\d+)$')


def _open_for_write(path: str) -> BinaryIO:
    return open(path, 'wb')


def _os_error_in(exc: BaseException) -> Optional[OSError]:
    """The OSError behind ``exc``: torch reports a failed write as a RuntimeError whose context is the OSError."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError) and exc.errno is not None:
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _write_error(path: str, error: OSError) -> OSError:
    folder = os.path.dirname(os.path.abspath(path))
    kept = f'the previous {os.path.basename(path)} is unchanged' if os.path.exists(path) else 'nothing was written'
    if error.errno in (errno.ENOSPC, getattr(errno, 'EDQUOT', errno.ENOSPC)):
        try:
            free = f', {shutil.disk_usage(folder).free / 2 ** 20:.0f} MiB free'
        except OSError:
            free = ''
        why = f'there is no space left on the device (or the disk quota is exhausted{free})'
        fix = 'Free some space or write the run elsewhere (--output)'
    elif error.errno == errno.EFBIG:
        why = 'the file is larger than the file system or the process file-size limit (ulimit -f) allows'
        fix = 'Write the run to another file system (--output) or raise the limit'
    else:
        why = error.strerror or str(error)
        fix = 'Check the folder and its permissions'
    return OSError(error.errno, f'Could not write checkpoint {path}: {why}; {kept}. {fix}.')


def _write_atomically(path: str, write: Callable[[BinaryIO], None]) -> None:
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        with _open_for_write(tmp) as f:
            write(f)
            f.flush()
            # a full disk can surface only when the data reaches it; fsync makes that happen before the rename
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:  # KeyboardInterrupt included: a partial temp file is never left behind
        if os.path.exists(tmp):
            os.remove(tmp)
        os_error = _os_error_in(e)
        if os_error is not None and isinstance(e, Exception):
            raise _write_error(path, os_error) from e
        raise


def atomic_save(obj: Dict[str, Any], path: str) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``.

    A crash mid-write leaves the previous file intact: readers never see a truncated checkpoint.

    Raises:
        OSError: The write failed (e.g. a full disk); the message names ``path`` and the cause.
    """
    _write_atomically(path, lambda f: torch.save(obj, f))


def _atomic_copy(src: str, dst: str) -> None:
    def copy(f: BinaryIO) -> None:
        with open(src, 'rb') as source:
            shutil.copyfileobj(source, f, 1 << 20)
    _write_atomically(dst, copy)


def remove_stale_temp_files(folder: str) -> List[str]:
    """Delete ``*.pth.tar.tmp-<pid>`` files that another (interrupted) process left in ``folder``.

    Returns:
        The removed paths.
    """
    removed = []
    for path in glob.glob(os.path.join(glob.escape(folder), '*.pth.tar.tmp-*')):
        match = _TEMP_RE.search(path)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            size = os.path.getsize(path)
            os.remove(path)
        except OSError as e:
            _logger.warning('Could not remove the leftover temp file %s: %s', path, e)
            continue
        _logger.warning('Removed %s (%.1f MiB), left by an interrupted save.', path, size / 2 ** 20)
        removed.append(path)
    return removed


def load_state(path: str) -> Dict[str, Any]:
    """Load a checkpoint dict with ``weights_only=True``.

    Raises:
        FileNotFoundError: The path does not exist.
        CorruptCheckpointError: The file is empty, truncated or not a checkpoint.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint {path!r} does not exist; check --resume / --checkpoint.')
    state = read_weights_file(path)
    if not isinstance(state, dict):
        raise CorruptCheckpointError(f'{path} holds a {type(state).__name__}, not a checkpoint dict.')
    return state


class CheckpointSaver:
    """Write ``last.pth.tar`` every epoch, keep the ``max_history`` best epochs and ``model_best.pth.tar``, and
    periodic ``recovery-<epoch>-<batch>.pth.tar`` files mid-epoch.

    Existing ``checkpoint-*`` files in the folder are re-ranked on construction, so a resumed run keeps its history.

    Args:
        model: Model (wrappers are stripped when saving).
        optimizer: Optimizer.
        args: Training arguments (stored as a plain dict).
        model_ema: Optional EMA model.
        amp_scaler: Optional loss scaler with ``state_dict``.
        scheduler: Optional lr scheduler with ``state_dict``.
        checkpoint_dir: Output folder.
        recovery_dir: Folder for recovery files (default: checkpoint_dir).
        decreasing: Lower metric is better (e.g. loss).
        max_history: Number of top checkpoints to keep.
    """

    def __init__(
            self,
            model: nn.Module,
            optimizer: torch.optim.Optimizer,
            args: Any = None,
            model_ema: Optional[nn.Module] = None,
            amp_scaler: Optional[Any] = None,
            scheduler: Optional[Any] = None,
            checkpoint_dir: str = '',
            recovery_dir: str = '',
            decreasing: bool = False,
            max_history: int = 10,
    ) -> None:
        if max_history < 1:
            raise ValueError(f'max_history (--checkpoint-hist) must be >= 1, got {max_history}.')
        self.model = model
        self.optimizer = optimizer
        self.args = args
        self.model_ema = model_ema
        self.amp_scaler = amp_scaler
        self.scheduler = scheduler
        self.checkpoint_dir = checkpoint_dir
        self.recovery_dir = recovery_dir or checkpoint_dir
        self.decreasing = decreasing
        self.cmp = operator.lt if decreasing else operator.gt
        self.max_history = max_history
        self.extension = '.pth.tar'
        self.last_recovery_file = ''
        # run-level records written into every checkpoint, e.g. the data config and class names of the training data
        self.extra_state: Dict[str, Any] = {}
        for folder in {self.checkpoint_dir, self.recovery_dir}:
            remove_stale_temp_files(folder)
        self.checkpoint_files: List[Tuple[str, float]] = self._scan_history()
        self.best_epoch: Optional[int] = None
        self.best_metric: Optional[float] = None
        if self.checkpoint_files:
            best_path, self.best_metric = self.checkpoint_files[0]
            self.best_epoch = int(re.findall(r'checkpoint-(\d+)', best_path)[0])

    def _path(self, name: str) -> str:
        return os.path.join(self.checkpoint_dir, name + self.extension)

    def _scan_history(self) -> List[Tuple[str, float]]:
        found = []
        for path in glob.glob(os.path.join(self.checkpoint_dir, 'checkpoint-*' + self.extension)):
            try:
                metric = load_state(path).get('metric')
            except Exception as e:  # an unreadable file is left alone, not ranked
                _logger.warning('Ignoring unreadable checkpoint %s: %s', path, e)
                continue
            if metric is not None:
                found.append((path, float(metric)))
        return sorted(found, key=lambda x: x[1], reverse=not self.decreasing)

    def state(self, epoch: int, metric: Optional[float] = None, **extra: Any) -> Dict[str, Any]:
        """The checkpoint dict for ``epoch``."""
        model = unwrap_model(self.model)
        state: Dict[str, Any] = {
            'epoch': epoch,
            'arch': getattr(self.args, 'model', None) if self.args is not None else None,
            'state_dict': model.state_dict(),
            'optimizer': self.optimizer.state_dict(),
            'version': CHECKPOINT_VERSION,
            'args': plain_args(self.args),
        }
        if self.amp_scaler is not None:
            state['amp_scaler'] = self.amp_scaler.state_dict()
        if self.model_ema is not None:
            state['state_dict_ema'] = unwrap_model(self.model_ema).state_dict()
        if self.scheduler is not None:
            state['scheduler'] = self.scheduler.state_dict()
        if metric is not None:
            state['metric'] = float(metric)
        state.update(self.extra_state)
        state.update(extra)
        return state

    def save_checkpoint(
            self, epoch: int, metric: Optional[float] = None, **extra: Any,
    ) -> Tuple[Optional[float], Optional[int]]:
        """Save ``last``; if ``metric`` ranks in the top ``max_history`` keep a ``checkpoint-<epoch>`` copy and
        refresh ``model_best`` when it is the best so far.

        Returns:
            (best metric, best epoch) so far.
        """
        last = self._path('last')
        atomic_save(self.state(epoch, metric, **extra), last)
        if metric is None:
            return self.best_metric, self.best_epoch
        worst = self.checkpoint_files[-1] if self.checkpoint_files else None
        if len(self.checkpoint_files) < self.max_history or self.cmp(metric, worst[1]):
            if len(self.checkpoint_files) >= self.max_history:
                self._drop(self.checkpoint_files.pop())
            path = self._path(f'checkpoint-{epoch}')
            _atomic_copy(last, path)
            self.checkpoint_files = [(p, m) for p, m in self.checkpoint_files if p != path] + [(path, float(metric))]
            self.checkpoint_files.sort(key=lambda x: x[1], reverse=not self.decreasing)
            _logger.info('Current checkpoints:\n%s', '\n'.join(f'  {p} ({m:.4f})' for p, m in self.checkpoint_files))
            if self.best_metric is None or self.cmp(metric, self.best_metric):
                self.best_epoch, self.best_metric = epoch, float(metric)
                _atomic_copy(last, self._path('model_best'))
        return self.best_metric, self.best_epoch

    @staticmethod
    def _drop(entry: Tuple[str, float]) -> None:
        try:
            os.remove(entry[0])
        except OSError as e:
            _logger.warning('Could not remove old checkpoint %s: %s', entry[0], e)

    def save_recovery(self, epoch: int, batch_idx: int, **extra: Any) -> str:
        """Save a mid-epoch recovery checkpoint, replacing the previous one; returns its path."""
        path = os.path.join(self.recovery_dir, f'recovery-{epoch}-{batch_idx}{self.extension}')
        atomic_save(self.state(epoch, recovery_batch=batch_idx, **extra), path)
        if self.last_recovery_file and self.last_recovery_file != path and os.path.exists(self.last_recovery_file):
            self._drop((self.last_recovery_file, 0.))
        self.last_recovery_file = path
        return path

    def clear_recovery(self) -> None:
        """Remove recovery files once the epoch they cover is completely saved."""
        for path in glob.glob(os.path.join(self.recovery_dir, 'recovery-*' + self.extension)):
            self._drop((path, 0.))
        self.last_recovery_file = ''


def resume_candidates(folder: str) -> List[str]:
    """Checkpoints of a run folder, most recent first: ``recovery-*`` and ``last`` by modification time, then the
    kept ``checkpoint-<epoch>`` files (fallbacks when the newer files cannot be read)."""
    def newest_first(*patterns: str) -> List[str]:
        found = [p for pattern in patterns for p in glob.glob(os.path.join(glob.escape(folder), pattern))]
        return sorted(found, key=os.path.getmtime, reverse=True)
    return newest_first('recovery-*.pth.tar', 'last.pth.tar') + newest_first('checkpoint-*.pth.tar')


def _existing_candidates(folder: str) -> List[str]:
    candidates = resume_candidates(folder)
    if not candidates:
        raise FileNotFoundError(f'no last.pth.tar, recovery-*.pth.tar or checkpoint-*.pth.tar in {folder!r} to '
                                f'resume from.')
    return candidates


def find_resume_checkpoint(folder: str) -> str:
    """The most recent checkpoint of a run folder (the first of :func:`resume_candidates`).

    Raises:
        FileNotFoundError: No checkpoint in the folder.
    """
    return _existing_candidates(folder)[0]


def _load_resume_state(checkpoint_path: str) -> Tuple[str, Dict[str, Any]]:
    """(path, state) of a checkpoint file, or of the newest readable checkpoint in a run folder."""
    if not os.path.isdir(checkpoint_path):
        return checkpoint_path, load_state(checkpoint_path)
    bad = []
    for path in _existing_candidates(checkpoint_path):
        try:
            state = load_state(path)
        except CorruptCheckpointError as e:
            _logger.warning('Cannot resume from %s: %s', path, e)
            bad.append(path)
            continue
        if bad:
            _logger.warning('Resuming from %s, the newest readable checkpoint in %s (skipped unreadable %s).',
                            path, checkpoint_path, ', '.join(os.path.basename(b) for b in bad))
        return path, state
    raise CorruptCheckpointError(
        f'No checkpoint in {checkpoint_path} can be read ({", ".join(os.path.basename(b) for b in bad)} are corrupt '
        f'or truncated); resume from a copy of the run, or start a new run without --resume.')


def resume_checkpoint(
        model: nn.Module,
        checkpoint_path: str,
        optimizer: Optional[torch.optim.Optimizer] = None,
        loss_scaler: Optional[Any] = None,
        model_ema: Optional[nn.Module] = None,
        scheduler: Optional[Any] = None,
) -> Dict[str, Any]:
    """Restore a training run from a checkpoint (a file, or a run folder: its newest readable checkpoint).

    In a folder, a corrupt or truncated newest file is skipped with a warning naming it, and the next most recent
    checkpoint (recovery, last, then the kept ``checkpoint-<epoch>`` files) is used.

    An end-of-epoch checkpoint resumes at the next epoch; a recovery checkpoint (``recovery_batch`` set) restarts the
    interrupted epoch with the weights and optimizer state saved mid-epoch.

    Args:
        model: Model to load into.
        checkpoint_path: Checkpoint file or run folder.
        optimizer: Optimizer to restore.
        loss_scaler: AMP scaler to restore.
        model_ema: EMA model to restore.
        scheduler: LR scheduler to restore.

    Returns:
        Dict with ``start_epoch``, ``path``, ``metric`` (or None) and ``recovery`` (bool).
    """
    path, state = _load_resume_state(checkpoint_path)
    if 'state_dict' not in state:
        raise ValueError(f'{path!r} holds weights only, not a training checkpoint; use --initial-checkpoint for it.')
    unwrap_model(model).load_state_dict(clean_state_dict(state['state_dict']))
    if optimizer is not None and 'optimizer' in state:
        optimizer.load_state_dict(state['optimizer'])
    if loss_scaler is not None and 'amp_scaler' in state:
        loss_scaler.load_state_dict(state['amp_scaler'])
    if model_ema is not None and 'state_dict_ema' in state:
        unwrap_model(model_ema).load_state_dict(clean_state_dict(state['state_dict_ema']))
    if scheduler is not None and 'scheduler' in state:
        scheduler.load_state_dict(state['scheduler'])
    recovery = 'recovery_batch' in state
    start_epoch = int(state.get('epoch', -1)) + (0 if recovery else 1)
    _logger.info('Resumed %s from %s (epoch %d)', 'recovery' if recovery else 'checkpoint', path, start_epoch)
    return {'start_epoch': start_epoch, 'path': path, 'metric': state.get('metric'), 'recovery': recovery}
