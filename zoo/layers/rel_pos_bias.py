"""Relative position biases added to the attention logits of a token grid (optionally with a class token).

- A learned table, one bias per relative offset and head ("Self-Attention with Relative Position Representations",
  Shaw et al., 2018, arXiv:1803.02155; the 2-D table of Swin, Liu et al., 2021, arXiv:2103.14030). BEiT ("BERT
  Pre-Training of Image Transformers", Bao et al., 2021, arXiv:2106.08254, section 2.5) adds three entries for the
  class token: class-to-patch, patch-to-class and class-to-class.
- A small MLP of log-spaced relative coordinates ("Swin Transformer V2", Liu et al., 2021, arXiv:2111.09883,
  section 3.3), which extrapolates to grids of other sizes without resampling. Mode 'swin' is the paper's
  (coordinates normalised by the window, bias = 16 * sigmoid); mode 'cr' feeds sign(d) * log(1 + |d|) and uses the
  MLP output directly.

Both give an additive bias of shape (1, heads, T, T) for the T tokens (prefix + grid). Table resizing on load lives
in `zoo.layers.pos_embed_rel.resize_rel_pos_bias_table`.
"""
import math
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.helpers import to_2tuple
from zoo.layers.mlp import Mlp
from zoo.layers.pos_embed_rel import relative_position_index, resize_rel_pos_bias_table

__all__ = ['RelPosBias', 'RelPosMlp', 'rel_pos_index_with_cls', 'relative_log_coords', 'gather_rel_pos_bias']


def rel_pos_index_with_cls(win_h: int, win_w: int, device=None) -> torch.Tensor:
    """(1 + h*w, 1 + h*w) index into a table of (2h-1)(2w-1) grid offsets followed by three class-token entries."""
    num_offsets = (2 * win_h - 1) * (2 * win_w - 1)
    index = F.pad(relative_position_index(win_h, win_w, device=device), (1, 0, 1, 0))
    index[0, :] = num_offsets  # class token attending to patches
    index[:, 0] = num_offsets + 1  # patches attending to the class token
    index[0, 0] = num_offsets + 2
    return index


def gather_rel_pos_bias(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Look up a flat (offsets, heads) table at a (T, T) index -> (1, heads, T, T) bias."""
    t = index.shape[0]
    return table[index.reshape(-1)].view(t, t, -1).permute(2, 0, 1).unsqueeze(0).contiguous()


def relative_log_coords(
        window_size: Sequence[int],
        pretrained_window_size: Sequence[int] = (0, 0),
        mode: str = 'cr',
        device=None,
) -> torch.Tensor:
    """Log-spaced relative coordinates (2h-1, 2w-1, 2) of a window, the inputs of `RelPosMlp`."""
    if mode not in ('swin', 'cr'):
        raise ValueError(f"mode must be 'swin' or 'cr', got {mode!r}.")
    axes = [torch.arange(-(s - 1), s, device=device, dtype=torch.float32) for s in window_size]
    coords = torch.stack(torch.meshgrid(*axes, indexing='ij'), dim=-1)
    if mode == 'cr':
        return coords.sign() * coords.abs().log1p()
    # Swin V2: normalise to [-8, 8] by the (pre-training) window, then log2-compress into [-1, 1]
    norm = pretrained_window_size if pretrained_window_size[0] > 0 else window_size
    coords = coords / torch.tensor([norm[0] - 1, norm[1] - 1], dtype=torch.float32, device=device) * 8
    return coords.sign() * torch.log2(1.0 + coords.abs()) / math.log2(8)


class RelPosBias(nn.Module):
    """Learned relative position bias table for a (h, w) grid, optionally with one class token in front.

    Args:
        window_size: token grid (h, w).
        num_heads: attention heads.
        prefix_tokens: 0 or 1 leading class token (three extra table entries).
    """

    def __init__(self, window_size: Sequence[int], num_heads: int, prefix_tokens: int = 0):
        super().__init__()
        if prefix_tokens not in (0, 1):
            raise ValueError(f'RelPosBias supports 0 or 1 prefix (class) token, got {prefix_tokens}.')
        self.prefix_tokens = prefix_tokens
        self.num_heads = num_heads
        self.window_size = to_2tuple(window_size)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(self._table_len(self.window_size), num_heads))
        self.register_buffer('relative_position_index', self._index(self.window_size), persistent=False)

    def _table_len(self, window_size: Tuple[int, int]) -> int:
        return (2 * window_size[0] - 1) * (2 * window_size[1] - 1) + 3 * self.prefix_tokens

    def _index(self, window_size: Tuple[int, int], device=None) -> torch.Tensor:
        make = rel_pos_index_with_cls if self.prefix_tokens else relative_position_index
        return make(*window_size, device=device)

    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)

    def set_window_size(self, window_size: Sequence[int]) -> None:
        """Resize the table to a new grid (BEiT's geometric resampling) and rebuild the index."""
        window_size = to_2tuple(window_size)
        if window_size == self.window_size:
            return
        table = self.relative_position_bias_table
        with torch.no_grad():
            new_table = resize_rel_pos_bias_table(table, window_size, (self._table_len(window_size), self.num_heads),
                                                  old_window_size=self.window_size)
        self.relative_position_bias_table = nn.Parameter(new_table, requires_grad=table.requires_grad)
        self.relative_position_index = self._index(window_size, device=self.relative_position_index.device)
        self.window_size = window_size

    def get_bias(self) -> torch.Tensor:
        return gather_rel_pos_bias(self.relative_position_bias_table, self.relative_position_index)


class RelPosMlp(nn.Module):
    """Relative position bias computed by an MLP from log-spaced relative coordinates.

    Args:
        window_size: token grid (h, w).
        num_heads: attention heads (MLP outputs).
        hidden_dim: MLP hidden width.
        prefix_tokens: leading tokens (class token) that get zero bias.
        mode: 'cr' (log1p coordinates, raw output) or 'swin' (Swin V2 coordinates, 16 * sigmoid output).
        pretrained_window_size: 'swin' mode normalises coordinates by this window when given.
    """

    def __init__(
            self,
            window_size: Sequence[int],
            num_heads: int = 8,
            hidden_dim: int = 128,
            prefix_tokens: int = 0,
            mode: str = 'cr',
            pretrained_window_size: Sequence[int] = (0, 0),
    ):
        super().__init__()
        self.num_heads = num_heads
        self.prefix_tokens = prefix_tokens
        self.mode = mode
        self.pretrained_window_size = tuple(pretrained_window_size)
        # Swin V2 drops the output bias: the sigmoid's offset plays its role
        self.mlp = Mlp(2, hidden_dim, out_features=num_heads, act_layer=nn.ReLU,
                       bias=(True, False) if mode == 'swin' else True, drop=(0.125, 0.))
        self.window_size = None
        self.register_buffer('relative_position_index', None, persistent=False)
        self.register_buffer('rel_coords_log', None, persistent=False)
        self.set_window_size(window_size)

    def set_window_size(self, window_size: Sequence[int]) -> None:
        """Rebuild the coordinate inputs for a new grid (the MLP weights do not depend on it)."""
        window_size = to_2tuple(window_size)
        if window_size == self.window_size:
            return
        device = self.mlp.fc1.weight.device if self.mlp.fc1.weight.device.type != 'meta' else None
        self.window_size = window_size
        self.relative_position_index = relative_position_index(*window_size, device=device)
        self.rel_coords_log = relative_log_coords(window_size, self.pretrained_window_size, self.mode, device=device)

    def get_bias(self) -> torch.Tensor:
        table = self.mlp(self.rel_coords_log).reshape(-1, self.num_heads)
        bias = gather_rel_pos_bias(table, self.relative_position_index)
        if self.mode == 'swin':
            bias = 16 * torch.sigmoid(bias)
        if self.prefix_tokens:
            bias = F.pad(bias, (self.prefix_tokens, 0, self.prefix_tokens, 0))
        return bias
