"""Factorised ("axial") relative position logits: one learned table per axis, shared by all heads.

From "Attention Augmented Convolutional Networks", Bello et al., 2019 (arXiv:1904.09925), section 3.1.1, as used by
Bottleneck Transformers (arXiv:2101.11605) and HaloNets (arXiv:2103.12731): the logit bias of query position (y, x)
for key position (y', x') is q . r_h[y' - y] + q . r_w[x' - x], with r_h / r_w learned embeddings of the row and
column offsets. Queries may cover fewer positions than keys (HaloNet's blocks see a larger window); offset o is stored
at row o + key_len - 1 of a table with 2 * key_len - 1 rows.
"""
from typing import Tuple

import torch
import torch.nn as nn

from zoo.layers.helpers import to_2tuple

__all__ = ['AxialRelPosEmbed']


def _offset_table(table: torch.Tensor, query_len: int, key_len: int) -> torch.Tensor:
    """(query_len, key_len, dim): the table row of every (query, key) offset along one axis."""
    q = torch.arange(query_len, device=table.device)
    k = torch.arange(key_len, device=table.device)
    return table[k[None, :] - q[:, None] + key_len - 1]


class AxialRelPosEmbed(nn.Module):
    """Relative position logits of queries on a (qh, qw) grid against keys on a (kh, kw) grid.

    Args:
        query_size: (qh, qw) of the query grid.
        key_size: (kh, kw) of the key grid.
        dim_head: query / key channels per head.
        std: initial standard deviation of the tables.
    """

    def __init__(self, query_size: Tuple[int, int], key_size: Tuple[int, int], dim_head: int, std: float = 0.02):
        super().__init__()
        self.query_size = to_2tuple(query_size)
        self.key_size = to_2tuple(key_size)
        self.dim_head = dim_head
        self.height_rel = nn.Parameter(torch.zeros(2 * self.key_size[0] - 1, dim_head))
        self.width_rel = nn.Parameter(torch.zeros(2 * self.key_size[1] - 1, dim_head))
        self.reset_parameters(std)

    def reset_parameters(self, std: float = 0.02) -> None:
        nn.init.trunc_normal_(self.height_rel, std=std)
        nn.init.trunc_normal_(self.width_rel, std=std)

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        """(N, qh * qw, dim_head) queries -> (N, qh * qw, kh * kw) logit biases."""
        (qh, qw), (kh, kw) = self.query_size, self.key_size
        n = q.shape[0]
        q = q.reshape(n, qh, qw, self.dim_head)
        # indexing the small tables first costs key_len dot products per query instead of 2 * key_len - 1
        rel_h = torch.einsum('nyxd,ykd->nyxk', q, _offset_table(self.height_rel, qh, kh))
        rel_w = torch.einsum('nyxd,xkd->nyxk', q, _offset_table(self.width_rel, qw, kw))
        return (rel_h[..., :, None] + rel_w[..., None, :]).reshape(n, qh * qw, kh * kw)
