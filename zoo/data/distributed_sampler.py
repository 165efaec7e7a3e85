"""Samplers for multi-process training and evaluation.

* :class:`OrderedDistributedSampler`: evaluation; rank ``r`` takes indices ``r, r + R, r + 2R, ...`` of the
  unshuffled set. With ``pad=True`` (default) every rank gets the same count by repeating the first indices (needed
  when ranks exchange tensors of equal size); with ``pad=False`` each index is visited exactly once overall.
* :class:`RepeatAugSampler`: repeated augmentation (Hoffer et al., 2019, https://arxiv.org/abs/1901.09335); each
  sample appears ``num_repeats`` times per epoch, spread over different ranks, while an epoch keeps its usual
  length.

For distributed training use ``torch.utils.data.DistributedSampler``: it shuffles per epoch (``set_epoch``) and
pads by wrapping around, so the shards cover every index, each once except the ``(-len) % R`` padding duplicates.
"""
import math
from typing import Iterator, List, Optional, Sized

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

__all__ = ['OrderedDistributedSampler', 'RepeatAugSampler']


def _world(num_replicas: Optional[int], rank: Optional[int]) -> tuple:
    if num_replicas is None or rank is None:
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError('Pass num_replicas and rank, or initialise torch.distributed first.')
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
    if not 0 <= rank < num_replicas:
        raise ValueError(f'rank must be in [0, {num_replicas}), got {rank}.')
    return num_replicas, rank


class OrderedDistributedSampler(Sampler[int]):
    """Deterministic, unshuffled sharding of a dataset for distributed evaluation.

    Args:
        dataset: Anything with ``len``.
        num_replicas: World size (from torch.distributed when None).
        rank: This process' rank (from torch.distributed when None).
        pad: Repeat leading indices so every rank yields ``ceil(len / num_replicas)`` samples.
    """

    def __init__(self, dataset: Sized, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 pad: bool = True) -> None:
        self.dataset = dataset
        self.num_replicas, self.rank = _world(num_replicas, rank)
        self.pad = pad
        n = len(dataset)
        self.total_size = math.ceil(n / self.num_replicas) * self.num_replicas if pad else n
        self.num_samples = len(range(self.rank, self.total_size, self.num_replicas))

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        indices = list(range(n))
        if self.pad:
            # wrap around (several times when the dataset is smaller than the world)
            indices += [indices[i % n] for i in range(self.total_size - n)]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples


class RepeatAugSampler(Sampler[int]):
    """Shuffled sampler that repeats every index ``num_repeats`` times, each copy on a different rank.

    The epoch length stays ``len(dataset) / num_replicas`` per rank (rounded down to a multiple of
    ``selected_round``), so repeats replace, not add, iterations.

    Args:
        dataset: Anything with ``len``.
        num_replicas: World size; defaults to torch.distributed's, or 1 when it is not initialised.
        rank: This process' rank; defaults to torch.distributed's, or 0.
        shuffle: Shuffle each epoch (seeded by ``seed + epoch``).
        num_repeats: Copies of each index per epoch.
        seed: Base seed shared by all ranks.
        selected_round: Round the per-rank sample count down to a multiple of this (0 disables).
    """

    def __init__(
            self,
            dataset: Sized,
            num_replicas: Optional[int] = None,
            rank: Optional[int] = None,
            shuffle: bool = True,
            num_repeats: int = 3,
            seed: int = 0,
            selected_round: int = 256,
    ) -> None:
        if num_replicas is None and rank is None and not (dist.is_available() and dist.is_initialized()):
            num_replicas, rank = 1, 0
        self.num_replicas, self.rank = _world(num_replicas, rank)
        if num_repeats < 1:
            raise ValueError(f'num_repeats must be >= 1, got {num_repeats}.')
        self.dataset = dataset
        self.shuffle = shuffle
        self.num_repeats = int(num_repeats)
        self.seed = seed
        self.epoch = 0
        n = len(dataset)
        self.num_samples = math.ceil(n * self.num_repeats / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        if selected_round and n // self.num_replicas >= selected_round:
            self.num_selected = n // selected_round * selected_round // self.num_replicas
        else:
            self.num_selected = math.ceil(n / self.num_replicas)

    def set_epoch(self, epoch: int) -> None:
        """Change the shuffle seed; call once per epoch on every rank."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            order: List[int] = torch.randperm(n, generator=g).tolist()
        else:
            order = list(range(n))
        # consecutive copies of a sample land on consecutive ranks after the strided split below
        indices = [i for i in order for _ in range(self.num_repeats)]
        indices += indices[:self.total_size - len(indices)]
        return iter(indices[self.rank:self.total_size:self.num_replicas][:self.num_selected])

    def __len__(self) -> int:
        return self.num_selected
