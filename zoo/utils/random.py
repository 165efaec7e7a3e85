"""Seeding."""
import random

import numpy as np
import torch

__all__ = ['random_seed']


def random_seed(seed: int = 42, rank: int = 0) -> None:
    """Seed python, numpy and torch; each distributed rank gets ``seed + rank`` so augmentations differ per rank."""
    value = seed + rank
    torch.manual_seed(value)
    np.random.seed(value % 2 ** 32)
    random.seed(value)
