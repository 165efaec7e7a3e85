"""Distributed helpers: init from torchrun's environment, metric reduction, BN statistics sync, SyncBN conversion.

Launch with ``torchrun`` (see ``distributed_train.sh``); it sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT.
The backend is gloo on CPU and nccl on CUDA.
"""
import logging
import os
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist
from torch import nn

__all__ = [
    'DistInfo', 'broadcast_object', 'convert_sync_batchnorm', 'distribute_bn', 'init_distributed_device',
    'is_primary', 'reduce_tensor', 'world_info_from_env',
]

_logger = logging.getLogger(__name__)


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
                            dist_url: str = 'env://') -> DistInfo:
    """Initialise the process group when launched by torchrun, and pick this process's device.

    Args:
        device: Requested device type ('cuda', 'cpu', 'mps'); 'cuda' falls back to 'cpu' without a GPU.
        dist_backend: Process group backend; default gloo on CPU, nccl on CUDA.
        dist_url: Init method.

    Returns:
        The process's :class:`DistInfo`.
    """
    dev_type = device.split(':')[0]
    if dev_type == 'cuda' and not torch.cuda.is_available():
        _logger.info('CUDA is not available: using the CPU.')
        dev_type, device = 'cpu', 'cpu'
    local_rank, rank, world_size = world_info_from_env()
    distributed = world_size > 1
    if distributed:
        backend = dist_backend or ('nccl' if dev_type == 'cuda' else 'gloo')
        if not dist.is_initialized():
            dist.init_process_group(backend=backend, init_method=dist_url, world_size=world_size, rank=rank)
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
