"""Stochastic-depth schedules (Huang et al., 2016, "Deep Networks with Stochastic Depth", arXiv:1603.09382)."""
from typing import List, Sequence

__all__ = ['stagewise_drop_path_rates']


def stagewise_drop_path_rates(drop_path_rate: float, depths: Sequence[int]) -> List[List[float]]:
    """Drop-path rates rising linearly from 0 at the first block to `drop_path_rate` at the last, grouped by stage.

    Args:
        drop_path_rate: rate of the network's last block.
        depths: blocks per stage.

    Returns:
        One list of per-block rates per stage.
    """
    total = sum(depths)
    rates = [drop_path_rate * i / (total - 1) if total > 1 else 0. for i in range(total)]
    out, start = [], 0
    for depth in depths:
        out.append(rates[start:start + depth])
        start += depth
    return out
