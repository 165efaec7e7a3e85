"""Training checkpoints: atomic writes, last / top-k / best / recovery files, and resuming a run.

Checkpoints hold only tensors and plain python values (args are stored as a dict) so that they load with
``torch.load(..., weights_only=True)``: loading never executes pickled code.
"""
import glob
import logging
import operator
import os
import re
import shutil
from argparse import Namespace
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

__all__ = [
    'CheckpointSaver', 'atomic_save', 'clean_state_dict', 'find_resume_checkpoint', 'load_state', 'plain_args',
    'resume_checkpoint', 'unwrap_model',
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


def atomic_save(obj: Dict[str, Any], path: str) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``.

    A crash mid-write leaves the previous file intact: readers never see a truncated checkpoint.
    """
    tmp = f'{path}.tmp-{os.getpid()}'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _atomic_copy(src: str, dst: str) -> None:
    tmp = f'{dst}.tmp-{os.getpid()}'
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def load_state(path: str) -> Dict[str, Any]:
    """Load a checkpoint dict with ``weights_only=True``.

    Raises:
        FileNotFoundError: The path does not exist.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint {path!r} does not exist; check --resume / --checkpoint.')
    return torch.load(path, map_location='cpu', weights_only=True)


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


def find_resume_checkpoint(folder: str) -> str:
    """The most recent of ``last.pth.tar`` and ``recovery-*.pth.tar`` in a run folder.

    Raises:
        FileNotFoundError: No checkpoint in the folder.
    """
    candidates = glob.glob(os.path.join(folder, 'recovery-*.pth.tar')) + glob.glob(os.path.join(folder, 'last.pth.tar'))
    if not candidates:
        raise FileNotFoundError(f'no last.pth.tar or recovery-*.pth.tar in {folder!r} to resume from.')
    return max(candidates, key=os.path.getmtime)


def resume_checkpoint(
        model: nn.Module,
        checkpoint_path: str,
        optimizer: Optional[torch.optim.Optimizer] = None,
        loss_scaler: Optional[Any] = None,
        model_ema: Optional[nn.Module] = None,
        scheduler: Optional[Any] = None,
) -> Dict[str, Any]:
    """Restore a training run from a checkpoint (a file, or a run folder: its newest last / recovery file).

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
    path = find_resume_checkpoint(checkpoint_path) if os.path.isdir(checkpoint_path) else checkpoint_path
    state = load_state(path)
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
