"""The per-epoch training and evaluation loops used by train.py and validate.py.

Kept free of argument parsing so tests and other drivers can call them directly.

Unreadable images: batches from ``zoo.data.create_loader`` carry the samples left out because their image could not
be read (``batch.unreadable``). Training counts them per epoch and stops once they exceed
``TrainOptions.max_unreadable_fraction`` of the epoch; evaluation scores the readable images only and reports
``num_samples`` and ``num_unreadable``.
"""
import contextlib
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Dict, Iterable, List, Optional, Sequence

import torch
import torch.distributed as torch_dist
from torch import nn

from zoo.utils.clip_grad import dispatch_clip_grad
from zoo.utils.distributed import DistInfo
from zoo.utils.metrics import AverageMeter, accuracy
from zoo.utils.progress import ProgressBar

__all__ = ['Runtime', 'TrainOptions', 'UnreadableCount', 'train_one_epoch', 'validate']

_logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Where and how batches run.

    Attributes:
        device: Device of the model and batches.
        dist: Process layout (single process when None).
        autocast: Factory of the autocast context (no-op when AMP is off).
        loss_scaler: AMP loss scaler (float16 on CUDA), or None.
        channels_last: Convert inputs to channels-last memory format.
        prefetched: Batches already arrive on ``device`` (the data prefetcher is on).
        dtype: Floating dtype of the model's weights (``--model-dtype``); inputs are cast to it. None keeps the
            batches' dtype (float32).
    """
    device: torch.device = field(default_factory=lambda: torch.device('cpu'))
    dist: Optional[DistInfo] = None
    autocast: Callable[[], ContextManager] = contextlib.nullcontext
    loss_scaler: Optional[Any] = None
    channels_last: bool = False
    prefetched: bool = False
    dtype: Optional[torch.dtype] = None

    @property
    def world_size(self) -> int:
        return self.dist.world_size if self.dist is not None and self.dist.distributed else 1

    @property
    def primary(self) -> bool:
        return self.dist is None or self.dist.rank == 0


@dataclass
class TrainOptions:
    """Per-update behaviour of :func:`train_one_epoch`.

    Attributes:
        grad_accum_steps: Micro-batches per optimizer update.
        clip_grad: Clip value (None = off).
        clip_mode: 'norm', 'value' or 'agc'.
        log_interval: Log every this many updates.
        recovery_interval: Save a recovery checkpoint every this many batches (0 = off).
        max_unreadable_fraction: Stop with an error once more than this fraction of an epoch's images (per
            process) could not be read (None = never).
        progress_bar: Draw a progress bar (primary process) instead of the periodic log lines.
        first_batch_hook: Called once with the first batch of the epoch as the model sees it (after mixup), e.g.
            to save it as an image.
        distiller: Knowledge distillation: called as ``distiller(inputs, outputs, task_loss)`` and returns the
            loss to train on; ``distiller.task_output(outputs)`` is what the task loss sees (see
            :class:`zoo.loss.DistillationLoss`).
        synchronize_step: Wait for the device after every update, so the logged update time is the device's
            (asynchronous accelerators only; CPU work is synchronous already).
    """
    grad_accum_steps: int = 1
    clip_grad: Optional[float] = None
    clip_mode: str = 'norm'
    log_interval: int = 50
    recovery_interval: int = 0
    max_unreadable_fraction: Optional[float] = 0.01
    progress_bar: bool = False
    first_batch_hook: Optional[Callable[[torch.Tensor], None]] = None
    distiller: Optional[Any] = None
    synchronize_step: bool = False


def device_synchronize(device: torch.device) -> None:
    """Block until the kernels queued on an accelerator have run; a no-op on CPU."""
    if device.type != 'cpu':
        torch.accelerator.synchronize(device)


class UnreadableCount:
    """Unreadable images met during one pass over a loader, optionally refused above a fraction of the pass.

    Args:
        loader: The loader; its sampler's length is the number of images the pass will draw (per process).
        max_fraction: Raise once the count exceeds this fraction of that number (None = never).
        what: Name of the data for messages ('training images').
    """

    def __init__(self, loader: Any, max_fraction: Optional[float] = None, what: str = 'images') -> None:
        sampler = getattr(loader, 'sampler', None)
        self.planned = len(sampler) if sampler is not None and hasattr(sampler, '__len__') else None
        self.max_fraction = max_fraction
        self.what = what
        self.count = 0
        self.examples: List[Any] = []

    def add(self, batch: Any) -> None:
        """Count the unreadable samples left out of ``batch``; raise as soon as the pass is over the limit."""
        found: Sequence[Any] = getattr(batch, 'unreadable', ())
        if not found:
            return
        self.count += len(found)
        self.examples += found[:max(0, 5 - len(self.examples))]
        if self.planned:
            self._check(self.planned)

    def finish(self, num_readable: int) -> None:
        """End of the pass: check the limit against the images actually seen when the loader's size was unknown."""
        if not self.planned:
            self._check(self.count + num_readable)

    def _check(self, total: int) -> None:
        if self.max_fraction is not None and self.count > self.max_fraction * total:
            raise RuntimeError(
                f'{self.count} of the {total} {self.what} of this pass could not be read, more than the allowed '
                f'fraction {self.max_fraction:g} (--max-unreadable-fraction); e.g. {self.describe()}. Fix or '
                f'remove the broken files, or raise --max-unreadable-fraction.')

    def describe(self) -> str:
        """The first few unreadable files with their errors."""
        return '; '.join(f'{u.filename} ({u.error})' for u in self.examples)


def _to_device(x: torch.Tensor, target: torch.Tensor, rt: Runtime) -> tuple:
    if not rt.prefetched:
        x, target = x.to(rt.device), target.to(rt.device)
    if rt.dtype is not None and x.is_floating_point():
        x = x.to(rt.dtype)
    if rt.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, target


def _sum_over_ranks(values: Sequence[float], rt: Runtime) -> torch.Tensor:
    buf = torch.tensor(values, dtype=torch.float64)
    if rt.world_size > 1:
        torch_dist.all_reduce(buf, op=torch_dist.ReduceOp.SUM)
    return buf


def _zero_loss(output: Any) -> torch.Tensor:
    """A loss of 0 connected to every output, for a batch with no readable image (keeps DDP ranks in step)."""
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    return sum(o.sum() for o in outputs) * 0.


def _mean_lr(optimizer: torch.optim.Optimizer) -> float:
    lrs = [g['lr'] for g in optimizer.param_groups]
    return sum(lrs) / len(lrs)  # groups differ under layer-wise decay


def train_one_epoch(
        epoch: int,
        model: nn.Module,
        loader: Iterable,
        optimizer: torch.optim.Optimizer,
        loss_fn: nn.Module,
        rt: Runtime,
        opts: TrainOptions,
        lr_scheduler: Optional[Any] = None,
        saver: Optional[Any] = None,
        model_ema: Optional[Any] = None,
        mixup_fn: Optional[Callable] = None,
        num_updates_total: Optional[int] = None,
) -> Dict[str, float]:
    """Train for one epoch.

    Args:
        epoch: Epoch index.
        model: Model (possibly DDP wrapped).
        loader: Training batches.
        optimizer: Optimizer.
        loss_fn: Training loss.
        rt: Runtime (device, distribution, AMP).
        opts: Update options.
        lr_scheduler: Scheduler; ``step_update`` is called after every optimizer update.
        saver: :class:`CheckpointSaver` for recovery checkpoints (primary rank only).
        model_ema: EMA model updated after every optimizer update.
        mixup_fn: Batch-level mixup / cutmix (when not done in the collate function).
        num_updates_total: Updates done before this epoch (defaults to ``epoch * updates_per_epoch``).

    Returns:
        ``{'loss': mean training loss over all samples and ranks, 'num_unreadable': images skipped}``.

    Raises:
        RuntimeError: More unreadable images than ``opts.max_unreadable_fraction`` allows.
    """
    accum = max(1, opts.grad_accum_steps)
    num_batches = len(loader)  # type: ignore[arg-type]
    updates_per_epoch = (num_batches + accum - 1) // accum
    num_updates = epoch * updates_per_epoch if num_updates_total is None else num_updates_total
    last_batch = num_batches - 1
    last_accum_start = num_batches - (num_batches % accum or accum)
    model.train()
    loss_meter, data_time, update_time = AverageMeter(), AverageMeter(), AverageMeter()
    loss_sum, sample_count = 0., 0
    end = update_start = time.time()
    optimizer.zero_grad()
    unreadable = UnreadableCount(loader, opts.max_unreadable_fraction, 'training images')
    bar = ProgressBar(num_batches, f'Train {epoch}', enabled=opts.progress_bar and rt.primary)
    bar_done = 0
    for batch_idx, batch in enumerate(loader):
        data_time.update(time.time() - end)
        unreadable.add(batch)
        x, target = batch
        is_update = (batch_idx + 1) % accum == 0 or batch_idx == last_batch
        # the final accumulation window may be short: scale its micro-batch losses by its true size
        window = accum if batch_idx < last_accum_start else num_batches - last_accum_start
        x, target = _to_device(x, target, rt)
        empty = x.shape[0] == 0
        if mixup_fn is not None and not empty:
            if x.shape[0] % 2 and getattr(batch, 'unreadable', ()):
                # mixup pairs samples: an odd batch left by unreadable images gives up one more sample
                x, target = x[:-1], target[:-1]
            x, target = mixup_fn(x, target)
        if batch_idx == 0 and opts.first_batch_hook is not None and rt.primary:
            opts.first_batch_hook(x)
        sync_ctx = model.no_sync if hasattr(model, 'no_sync') and not is_update else contextlib.nullcontext
        with sync_ctx():
            with rt.autocast():
                output = model(x)
                # no readable image: still step with the other ranks, contributing nothing
                # token distillation trains the class head alone on the labels
                task_output = output if opts.distiller is None else opts.distiller.task_output(output)
                loss = _zero_loss(output) if empty else loss_fn(task_output, target)
                if opts.distiller is not None and not empty:
                    loss = opts.distiller(x, output, loss)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise FloatingPointError(
                    f'loss is {loss_value} at epoch {epoch} batch {batch_idx}; lower --lr, enable --clip-grad or '
                    'check the data.')
            scaled = loss / window
            params = model.parameters()
            if rt.loss_scaler is not None:
                rt.loss_scaler(scaled, optimizer, clip_grad=opts.clip_grad, clip_mode=opts.clip_mode,
                               parameters=params, need_update=is_update)
            else:
                # second-order optimizers (adahessian) differentiate the gradients once more
                scaled.backward(create_graph=getattr(optimizer, 'is_second_order', False))
                if is_update:
                    if opts.clip_grad is not None:
                        dispatch_clip_grad(params, opts.clip_grad, mode=opts.clip_mode)
                    optimizer.step()
        batch = x.shape[0]
        loss_meter.update(loss_value, batch)
        loss_sum += loss_value * batch
        sample_count += batch
        if is_update:
            optimizer.zero_grad()
            num_updates += 1
            if model_ema is not None:
                model_ema.update(model, step=num_updates)
            if lr_scheduler is not None:
                lr_scheduler.step_update(num_updates=num_updates, metric=loss_meter.avg)
            if opts.synchronize_step:
                device_synchronize(rt.device)
            update_time.update(time.time() - update_start)
            update_start = time.time()
            update_idx = batch_idx // accum
            if bar.active:
                bar.step(batch_idx + 1 - bar_done, loss=loss_meter.avg, lr=_mean_lr(optimizer),
                         img_s=round(batch * accum * rt.world_size / max(update_time.val, 1e-9), 1))
                bar_done = batch_idx + 1
            elif rt.primary and (update_idx % opts.log_interval == 0 or batch_idx == last_batch):
                lr = _mean_lr(optimizer)
                rate = batch * accum * rt.world_size / max(update_time.val, 1e-9)
                _logger.info(
                    'Train: %d [%*d/%d (%3.0f%%)]  Loss: %.4f (%.4f)  Time: %.3fs, %6.1f/s  LR: %.3e  '
                    'Data: %.3f (%.3f)',
                    epoch, len(str(updates_per_epoch)), update_idx, updates_per_epoch,
                    100. * (update_idx + 1) / updates_per_epoch, loss_meter.val, loss_meter.avg, update_time.val,
                    rate, lr, data_time.val, data_time.avg)
        if (saver is not None and opts.recovery_interval and (batch_idx + 1) % opts.recovery_interval == 0
                and is_update and batch_idx != last_batch):
            saver.save_recovery(epoch, batch_idx=batch_idx)
        end = time.time()
    bar.close()
    if hasattr(optimizer, 'sync_lookahead'):
        optimizer.sync_lookahead()
    unreadable.finish(sample_count)
    loss_total, count, num_unreadable = _sum_over_ranks([loss_sum, sample_count, unreadable.count], rt).tolist()
    if num_unreadable and rt.primary:
        _logger.warning('Epoch %d: skipped %d unreadable training images (%.3f%%); e.g. %s', epoch, num_unreadable,
                        100. * num_unreadable / max(num_unreadable + count, 1), unreadable.describe())
    return OrderedDict(loss=loss_total / max(count, 1), num_unreadable=int(num_unreadable))


@torch.inference_mode()
def validate(
        model: nn.Module,
        loader: Iterable,
        loss_fn: nn.Module,
        rt: Runtime,
        log_interval: int = 50,
        log_suffix: str = '',
        progress_bar: bool = False,
) -> Dict[str, float]:
    """Evaluate loss, top-1 and top-5 accuracy (percent) over the whole loader.

    Sums of correct predictions and losses are reduced over ranks, so the result equals a single-process pass
    over the same samples.

    Args:
        model: Model.
        loader: Evaluation batches.
        loss_fn: Loss (usually plain cross entropy).
        rt: Runtime.
        log_interval: Log every this many batches.
        log_suffix: Appended to the log prefix (e.g. ' (EMA)').
        progress_bar: Draw a progress bar (primary process) instead of the periodic log lines.

    Returns:
        ``{'loss', 'top1', 'top5', 'num_samples', 'num_unreadable'}``: metrics over the readable images only.

    Raises:
        RuntimeError: No image of the loader could be read.
    """
    model.eval()
    totals = torch.zeros(5, dtype=torch.float64)  # loss sum, top1 hits, top5 hits, samples, unreadable
    num_batches = len(loader)  # type: ignore[arg-type]
    unreadable = UnreadableCount(loader)
    start = time.time()
    bar = ProgressBar(num_batches, f'Test{log_suffix}', enabled=progress_bar and rt.primary)
    for batch_idx, batch in enumerate(loader):
        unreadable.add(batch)
        totals[4] = unreadable.count
        x, target = _to_device(*batch, rt)
        n = x.shape[0]
        if n:
            with rt.autocast():
                output = model(x)
            if isinstance(output, (tuple, list)):
                output = output[0]
            output = output.float()
            loss = loss_fn(output, target)
            k = min(5, output.shape[-1])
            top1, top5 = accuracy(output, target, topk=(1, k))
            totals[:4] += torch.tensor([loss.item() * n, top1.item() * n / 100., top5.item() * n / 100., n],
                                       dtype=torch.float64)
        seen = totals[3].clamp(min=1)
        if bar.active:
            rate = totals[3].item() / max(time.time() - start, 1e-9)
            bar.step(loss=(totals[0] / seen).item(), top1=(100 * totals[1] / seen).item(),
                     top5=(100 * totals[2] / seen).item(), img_s=round(rate, 1))
        elif rt.primary and log_interval and (batch_idx % log_interval == 0 or batch_idx == num_batches - 1):
            _logger.info('Test%s: [%d/%d]  Loss: %.4f  Acc@1: %.3f  Acc@5: %.3f  (%.1f img/s)', log_suffix, batch_idx,
                         num_batches - 1, totals[0] / seen, 100 * totals[1] / seen, 100 * totals[2] / seen,
                         totals[3].item() / max(time.time() - start, 1e-9))
    bar.close()
    if rt.world_size > 1:
        torch_dist.all_reduce(totals, op=torch_dist.ReduceOp.SUM)
    num_samples, num_unreadable = int(totals[3].item()), int(totals[4].item())
    if num_unreadable and rt.primary:
        _logger.warning('Evaluation%s skipped %d unreadable images (scored the %d readable ones); e.g. %s',
                        log_suffix, num_unreadable, num_samples, unreadable.describe())
    if not num_samples:
        raise RuntimeError(f'No image of the evaluation data could be read ({num_unreadable} unreadable; e.g. '
                           f'{unreadable.describe()}). Check the data path and the files.')
    # round hit counts: they are integers, the float sums only carry them
    return OrderedDict(
        loss=(totals[0] / num_samples).item(),
        top1=(100. * torch.round(totals[1]) / num_samples).item(),
        top5=(100. * torch.round(totals[2]) / num_samples).item(),
        num_samples=num_samples,
        num_unreadable=num_unreadable,
    )
