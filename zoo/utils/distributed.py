"""Distributed helpers: init from torchrun's environment, metric reduction, BN statistics sync, SyncBN conversion.

Launch with ``torchrun`` (see ``distributed_train.sh``); it sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT.
The backend is gloo on CPU and nccl on CUDA.

A collective that waits longer than the process group timeout (``--dist-timeout``) fails instead of hanging for
torch's default 30 minutes; :func:`exit_on_dist_timeout` then finds out, through the rendezvous store, which ranks
stopped answering and ends the process with a message naming them.
"""
import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterator, List, Optional

import torch
import torch.distributed as dist
from torch import nn

__all__ = [
    'DEFAULT_DIST_TIMEOUT', 'DistInfo', 'RankTimeoutError', 'broadcast_object', 'convert_sync_batchnorm',
    'distribute_bn', 'exit_on_dist_timeout', 'init_distributed_device', 'is_primary', 'reduce_tensor',
    'unresponsive_ranks', 'world_info_from_env',
]

_logger = logging.getLogger(__name__)

# long enough for one rank to write a large checkpoint or validate while the others wait at the next collective,
# short enough that a stopped rank does not hold every other GPU for torch's default 30 minutes
DEFAULT_DIST_TIMEOUT = 300.


@dataclass
class DistInfo:
    """Where this process runs.

    Attributes:
        distributed: More than one process.
        world_size: Number of processes.
        rank: Global rank.
        local_rank: Rank on this node (selects the GPU).
        device: Torch device for this process.
    """
    distributed: bool
    world_size: int
    rank: int
    local_rank: int
    device: torch.device


def world_info_from_env() -> tuple:
    """(local_rank, global_rank, world_size) from torchrun / SLURM variables, (0, 0, 1) when absent."""
    def first(*names: str, default: int) -> int:
        for name in names:
            if name in os.environ:
                return int(os.environ[name])
        return default
    local_rank = first('LOCAL_RANK', 'SLURM_LOCALID', default=0)
    rank = first('RANK', 'SLURM_PROCID', default=0)
    world = first('WORLD_SIZE', 'SLURM_NTASKS', default=1)
    return local_rank, rank, world


def init_distributed_device(device: str = 'cuda', dist_backend: Optional[str] = None,
                            dist_url: str = 'env://', timeout: float = DEFAULT_DIST_TIMEOUT) -> DistInfo:
    """Initialise the process group when launched by torchrun, and pick this process's device.

    Args:
        device: Requested device type ('cuda', 'cpu', 'mps'); 'cuda' falls back to 'cpu' without a GPU.
        dist_backend: Process group backend; default gloo on CPU, nccl on CUDA.
        dist_url: Init method.
        timeout: Seconds a collective (or the rendezvous) may wait for the other ranks before it fails.

    Returns:
        The process's :class:`DistInfo`.
    """
    dev_type = device.split(':')[0]
    if dev_type == 'cuda' and not torch.cuda.is_available():
        _logger.info('CUDA is not available: using the CPU.')
        dev_type, device = 'cpu', 'cpu'
    local_rank, rank, world_size = world_info_from_env()
    distributed = world_size > 1
    if timeout <= 0:
        raise ValueError(f'the distributed timeout (--dist-timeout) must be > 0 seconds, got {timeout}.')
    if distributed:
        backend = dist_backend or ('nccl' if dev_type == 'cuda' else 'gloo')
        if not dist.is_initialized():
            dist.init_process_group(backend=backend, init_method=dist_url, world_size=world_size, rank=rank,
                                    timeout=timedelta(seconds=timeout))
        rank, world_size = dist.get_rank(), dist.get_world_size()
    if dev_type == 'cuda':
        torch_device = torch.device(f'cuda:{local_rank}' if distributed else device)
        torch.cuda.set_device(torch_device)
    else:
        torch_device = torch.device(device)
    return DistInfo(distributed, world_size, rank, local_rank, torch_device)


def is_primary(info: DistInfo) -> bool:
    """True on global rank 0 (the process that logs and writes files)."""
    return info.rank == 0


def reduce_tensor(tensor: torch.Tensor, world_size: int) -> torch.Tensor:
    """Mean of ``tensor`` over all processes (a copy; the input is untouched)."""
    out = tensor.detach().clone()
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out / world_size


def broadcast_object(obj: object, src: int = 0) -> object:
    """Send a picklable python object from ``src`` to every process."""
    holder = [obj]
    dist.broadcast_object_list(holder, src=src)
    return holder[0]


@torch.no_grad()
def distribute_bn(model: nn.Module, world_size: int, reduce: bool = False) -> None:
    """Make BatchNorm running statistics identical on all processes.

    DDP syncs gradients but not buffers computed in forward; without this each rank evaluates with its own
    statistics.

    Args:
        model: The (possibly DDP wrapped) model.
        world_size: Number of processes.
        reduce: Average the statistics (True) or copy rank 0's (False, 'broadcast').
    """
    for name, buf in model.named_buffers(recurse=True):
        if 'running_mean' in name or 'running_var' in name:
            if reduce:
                dist.all_reduce(buf, op=dist.ReduceOp.SUM)
                buf.div_(float(world_size))
            else:
                dist.broadcast(buf, 0)


def convert_sync_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every BatchNorm with ``torch.nn.SyncBatchNorm`` (batch statistics over all processes)."""
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)


class RankTimeoutError(RuntimeError):
    """A collective operation timed out because some rank stopped answering."""


def _is_timeout(exc: BaseException) -> bool:
    """gloo and the c10d store raise RuntimeError / DistError subclasses whose message says the wait timed out."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        text = str(exc).lower()
        if isinstance(exc, (RuntimeError, TimeoutError)) and ('timed out' in text or 'timeout' in text):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def unresponsive_ranks(wait: float = 10.) -> Optional[List[int]]:
    """After a timed-out collective: the ranks that do not report in through the rendezvous store within ``wait``s.

    Every rank whose collective timed out calls this and checks in; a stopped or deadlocked rank never does. The
    store is used from a daemon thread so that a store which itself does not answer (rank 0 hosts it unless torchrun
    does, so a stopped rank 0 takes it along) cannot hang the caller.

    Returns:
        The silent ranks, or None when the store could not be asked.
    """
    rank, world_size = dist.get_rank(), dist.get_world_size()
    result: List[List[int]] = []

    def ask() -> None:
        store = dist.distributed_c10d._get_default_store()
        store.set(f'zoo_timeout/{rank}', '1')
        deadline = time.monotonic() + wait
        while True:
            silent = [r for r in range(world_size) if not store.check([f'zoo_timeout/{r}'])]
            if not silent or time.monotonic() >= deadline:
                result.append(silent)
                return
            time.sleep(0.2)

    thread = threading.Thread(target=ask, name='zoo-rank-check', daemon=True)
    thread.start()
    thread.join(wait + 2.)
    return result[0] if result else None


def _timeout_message(info: DistInfo, timeout: Optional[float], silent: Optional[List[int]]) -> str:
    limit = f'{timeout:g} s (--dist-timeout)' if timeout else 'the process group timeout (--dist-timeout)'
    head = f'Rank {info.rank} of {info.world_size}: a collective operation waited longer than {limit}.'
    if silent:
        ranks = ', '.join(str(r) for r in silent)
        who = (f' Rank{"s" if len(silent) > 1 else ""} {ranks} stopped answering (did not report back after the '
               f'timeout: stopped, deadlocked, e.g. in its data loader, or too slow).')
    elif silent is None and info.rank != 0 and os.environ.get('TORCHELASTIC_USE_AGENT_STORE') != 'True':
        who = (' The rendezvous store hosted by rank 0 does not answer either, so rank 0 has most likely stopped '
               'answering.')
    else:
        who = ' Could not tell which rank stopped answering.'
    return head + who + ' Ending the job; raise --dist-timeout if a rank is legitimately this slow.'


@contextlib.contextmanager
def exit_on_dist_timeout(info: DistInfo, timeout: Optional[float] = None) -> Iterator[None]:
    """Turn a timed-out collective into a :class:`RankTimeoutError` naming the ranks that stopped answering.

    Args:
        info: This process's :class:`DistInfo`.
        timeout: The process group timeout in seconds (for the message).
    """
    try:
        yield
    except Exception as e:
        if not (info.distributed and dist.is_initialized() and _is_timeout(e)):
            raise
        silent = unresponsive_ranks(min(timeout or 10., 10.))
        raise RankTimeoutError(_timeout_message(info, timeout, silent)) from e
