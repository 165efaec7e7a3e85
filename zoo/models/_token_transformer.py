"""Shared trunk and head of isotropic transformers whose blocks take a per-forward argument.

EVA-style models rotate queries and keys with a rotary embedding computed once per forward for the input's grid;
BEiT and the relative-position ViTs add a relative position bias that can be computed once and shared by all blocks.
`TokenTransformer` runs such blocks (`block(x, **self._block_kwargs(context, i))`) in `forward_features` and
`forward_intermediates`, and implements the token head every one of them has: pooling ('token', 'avg', 'max',
'avgmax', an optional attention pool 'map', or none), an optional norm after pooling (`fc_norm`), dropout and a
linear classifier `head`. Subclasses build the modules and write `_embed`.

Attributes a subclass must set: `patch_embed`, `blocks` (ModuleList), `norm`, `fc_norm`, `head_drop`, `head`,
`attn_pool` (None unless 'map' pooling), `num_prefix_tokens`, `embed_dim`, `global_pool`.
"""
import math
from typing import Any, ClassVar, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.models._base import IndicesT, Trunk, ZooModel
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models.vision_transformer import pool_tokens

__all__ = ['TokenTransformer', 'source_grid']


def source_grid(model: nn.Module, patch_weight: Optional[torch.Tensor], num_tokens: int) -> Optional[Tuple[int, int]]:
    """The patch grid a checkpoint's `num_tokens` position embeddings were trained on.

    The model's pretrained cfg names the checkpoint's input size; divided by the checkpoint's patch kernel it gives
    the grid when that accounts for every token (this recovers non-square grids). Otherwise the grid is taken to be
    square; None when `num_tokens` is not a square either.
    """
    if patch_weight is not None and patch_weight.ndim == 4:
        size = (getattr(model, 'pretrained_cfg', None) or {}).get('input_size', (3, 224, 224))[-2:]
        grid = (size[0] // patch_weight.shape[-2], size[1] // patch_weight.shape[-1])
        if grid[0] * grid[1] == num_tokens:
            return grid
    side = int(round(math.sqrt(num_tokens)))
    return (side, side) if side * side == num_tokens else None


class TokenTransformer(ZooModel):
    trunk = Trunk(levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    global_pools: ClassVar[Tuple[str, ...]] = ('', 'avg', 'token')

    num_prefix_tokens: int
    embed_dim: int
    global_pool: str

    def _check_pool(self, global_pool: str, has_class_token: bool) -> None:
        if global_pool not in self.global_pools:
            raise ValueError(f'global_pool must be one of {self.global_pools}, got {global_pool!r}.')
        if global_pool == 'token' and not has_class_token:
            raise ValueError("global_pool='token' needs the class token (class_token=True).")

    # ---- trunk ----

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        """Image (B, C, H, W) -> tokens (B, N, C) and the context every block receives."""
        raise NotImplementedError

    def _block_kwargs(self, context: Any, index: int) -> Dict[str, Any]:
        """Keyword arguments of block `index` given the context from `_embed`."""
        raise NotImplementedError

    def _run_block(self, index: int, x: torch.Tensor, context: Any) -> torch.Tensor:
        block = self.blocks[index]
        kwargs = self._block_kwargs(context, index)
        return maybe_checkpoint(block, x, enabled=self.grad_checkpointing, **kwargs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x, context = self._embed(x)
        for i in range(len(self.blocks)):
            x = self._run_block(i, x, context)
        return self.norm(x)

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """As `ZooModel.forward_intermediates`; the blocks also receive the per-forward context."""
        self._check_output_fmt(output_fmt)
        take, max_index = feature_take_indices(len(self.blocks), indices)
        input_hw = (x.shape[-2], x.shape[-1])
        last = len(self.blocks) - 1
        stop = max_index if (stop_early or intermediates_only) else last
        intermediates = []
        x, context = self._embed(x)
        for i in range(stop + 1):
            x = self._run_block(i, x, context)
            if i in take:
                intermediates.append(self._format_level(x, i, norm, output_fmt, input_hw))
        if intermediates_only:
            return intermediates
        if stop == last:
            x = self.norm(x)
        return x, intermediates

    def _level_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.num_prefix_tokens:]

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        h, w = self.patch_embed.dynamic_feat_size(input_hw)
        return x.reshape(x.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    # ---- head ----

    def pool(self, x: torch.Tensor, pool_type: Optional[str] = None) -> torch.Tensor:
        if self.attn_pool is not None:
            return self.attn_pool(x)
        return pool_tokens(x, self.global_pool if pool_type is None else pool_type, self.num_prefix_tokens)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.head_drop(self.fc_norm(self.pool(x)))
        return x if pre_logits else self.head(x)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            self._check_pool(global_pool, getattr(self, 'cls_token', None) is not None)
            if global_pool == 'map' and self.attn_pool is None:
                raise ValueError("Attention pooling ('map') cannot be added after construction.")
            if global_pool != 'map':
                self.attn_pool = None
            self.global_pool = global_pool
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    def _replace_head(self, in_features: int) -> None:
        self.fc_norm = nn.Identity()
        self.attn_pool = None
        self._reset_head(0, '')

    def _set_grid(self, img_size: Optional[Union[int, Tuple[int, int]]]) -> Tuple[Tuple[int, int], Tuple[int, int]]:
        """Point the patch embedding at a new input size; returns the (previous, new) patch grids."""
        prev_grid = self.patch_embed.grid_size
        self.patch_embed.set_input_size(img_size)
        self._record_input_size(self.patch_embed.img_size)
        return prev_grid, self.patch_embed.grid_size

    # ---- initialisation shared by the BEiT lineage ----

    def _rescale_residual_init(self) -> None:
        """Divide each block's residual output projections by sqrt(2 * depth index) (BEiT / EVA initialisation),
        so the residual stream's variance does not grow with depth at the start of training."""
        with torch.no_grad():
            for i, block in enumerate(self.blocks):
                scale = math.sqrt(2.0 * (i + 1))
                block.attn.proj.weight.div_(scale)
                block.mlp.fc2.weight.div_(scale)

    def _init_head(self, head_init_scale: float) -> None:
        if head_init_scale and isinstance(self.head, nn.Linear):
            nn.init.trunc_normal_(self.head.weight, std=.02)
            with torch.no_grad():
                self.head.weight.mul_(head_init_scale)
                self.head.bias.mul_(head_init_scale)
