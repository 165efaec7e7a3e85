"""Gemma 4 vision tower: the image encoder of Google's Gemma 4 vision-language models.

Paper / model card: "Gemma 4 Technical Report" (arXiv:2607.02770), https://ai.google.dev/gemma/docs/core/model_card_4.
A ViT over 16 x 16 patches whose pixels are mapped from [0, 1] to [-1, 1] inside the model, with

- a linear patch projection (no bias) plus a learned position table per axis (one row per column index, one per row
  index; the two rows are added), so any aspect ratio up to the table size works without resampling;
- 2-D rotary position embedding on queries and keys: the first half of each head rotates with the column index, the
  second half with the row index (rotate-half pairs, theta 100; RoFormer, Su et al., 2021, arXiv:2104.09864);
- RMS-normalised queries, keys (with a gain) and values (without), and attention logits left unscaled (scale 1),
  since normalised queries and keys already bound them;
- "sandwich" blocks: RMSNorm before and after both the attention and the gated MLP (GELU-tanh gate, as Gemma);
- optional clamps on the inputs and outputs of every projection (the E2B / E4B weights ship finite bounds);
- the VLM read-out ('soft' pool): the patch grid averaged over k x k cells (k = 3), scaled by sqrt(width), and for
  the 31B tower standardised with stored bias / scale.

Two model classes, keyed like the published timm conversions: `Gemma4VitEncoder` (the VLM tower: soft-token output)
and `Gemma4VitClassifier` (`encoder.*` + masked mean pool, a parameter-free RMSNorm, a linear head). Both take raw
images (N, C, H, W) or patchified NaFlex batches (patches + (row, col) coordinates + validity mask); padding tokens
are masked out of attention and pooling.
"""
import math
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers import DropPath
from zoo.layers.attention import attend
from zoo.layers.config import use_fused_attn
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.helpers import to_2tuple
from zoo.layers.rms_norm import RmsNorm
from zoo.layers.rope import apply_rope
from zoo.models._base import Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['Gemma4VitEncoder', 'Gemma4VitClassifier']

InputT = Union[torch.Tensor, Dict[str, torch.Tensor]]
_ENCODER_POOLS = ('soft', 'avg', 'none', '')
_NO_CLASSIFIER = ('Gemma4VitEncoder (the *_enc models) has no classifier (num_classes must be 0); build the classifier '
                  'model, e.g. gemma4_vit_167m instead of gemma4_vit_167m_enc, to get one.')


class ClippableLinear(nn.Module):
    """Bias-free linear layer whose input and output may be clamped to stored bounds.

    Without `use_clipped` it is a plain linear layer and has no bound buffers (the 570M tower). With it, the four
    scalar buffers start at -inf / +inf (no clamp) and the checkpoint sets them. The models' `set_clamp_enabled`
    switches the clamps off without touching the buffers (fine-tuning through saturated bounds stalls gradients).

    Args:
        in_features: input width.
        out_features: output width.
        use_clipped: keep clamp bounds.
    """

    def __init__(self, in_features: int, out_features: int, use_clipped: bool = False):
        super().__init__()
        self.use_clipped = use_clipped
        self.linear = nn.Linear(in_features, out_features, bias=False)
        if use_clipped:
            for name in ('input_min', 'input_max', 'output_min', 'output_max'):
                self.register_buffer(name, torch.empty(()))
            self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.use_clipped:
            for name, value in (('input_min', -math.inf), ('input_max', math.inf),
                                ('output_min', -math.inf), ('output_max', math.inf)):
                getattr(self, name).fill_(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.use_clipped:
            return self.linear(x)
        x = self.linear(torch.clamp(x, self.input_min, self.input_max))
        return torch.clamp(x, self.output_min, self.output_max)


class AxialRope2d(nn.Module):
    """Rotary angles of (column, row) token coordinates: head channels [0, D/2) follow the column, [D/2, D) the row,
    each half in rotate-half layout with frequencies theta ** (-2i / (D/2)).

    Nothing is stored: the frequencies are recomputed per call (a handful of values), so the module has no buffers
    to materialise or checkpoint.

    Args:
        head_dim: per-head width (a multiple of 4).
        theta: frequency base.
    """

    def __init__(self, head_dim: int, theta: float = 100.):
        super().__init__()
        if head_dim % 4:
            raise ValueError(f'2-D rotary embedding splits each head in two rotate-half halves; head_dim must be a '
                             f'multiple of 4, got {head_dim}.')
        self.head_dim = head_dim
        self.theta = theta

    def forward(self, position_ids: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """(B, N, 2) (column, row) coordinates -> (B, 1, N, 2, D) `[sin, cos]` per axis, for `apply_axial_rope`."""
        half = self.head_dim // 2
        exponents = torch.arange(0, half, 2, device=position_ids.device, dtype=torch.float32) / half
        inv_freq = self.theta ** -exponents
        angles = position_ids.float().unsqueeze(-1) * inv_freq  # (B, N, 2, D / 4)
        angles = torch.cat([angles, angles], dim=-1)
        return torch.cat([angles.sin(), angles.cos()], dim=-1).unsqueeze(1).to(dtype)


def apply_axial_rope(x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
    """Rotate (B, H, N, D) queries / keys: each half of D by its own axis' angles (rotate-half pairs inside it)."""
    return apply_rope(x.unflatten(-1, (2, -1)), emb, rotate_half=True).flatten(-2)


class Gemma4Attention(nn.Module):
    """Multi-head (optionally grouped-query) attention with RMS-normalised q / k / v, 2-D RoPE, logit scale 1.

    Args:
        dim: token width.
        num_heads: query heads.
        head_dim: per-head width.
        num_kv_heads: key / value heads (None: as many as query heads).
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
        norm_eps: eps of the q / k / v norms.
        use_clipped_linears: clamp the projections' inputs and outputs.
    """

    def __init__(self, dim: int, num_heads: int = 12, head_dim: int = 64, num_kv_heads: Optional[int] = None,
                 attn_drop: float = 0., proj_drop: float = 0., norm_eps: float = 1e-6,
                 use_clipped_linears: bool = False):
        super().__init__()
        num_kv_heads = num_kv_heads or num_heads
        if num_heads % num_kv_heads:
            raise ValueError(f'num_heads ({num_heads}) must be a multiple of num_kv_heads ({num_kv_heads}).')
        self.num_heads, self.num_kv_heads, self.head_dim = num_heads, num_kv_heads, head_dim
        self.fused_attn = use_fused_attn()
        self.q_proj = ClippableLinear(dim, num_heads * head_dim, use_clipped_linears)
        self.k_proj = ClippableLinear(dim, num_kv_heads * head_dim, use_clipped_linears)
        self.v_proj = ClippableLinear(dim, num_kv_heads * head_dim, use_clipped_linears)
        self.o_proj = ClippableLinear(num_heads * head_dim, dim, use_clipped_linears)
        self.q_norm = RmsNorm(head_dim, eps=norm_eps)
        self.k_norm = RmsNorm(head_dim, eps=norm_eps)
        self.v_norm = RmsNorm(head_dim, eps=norm_eps, affine=False)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor, rope: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, n, self.num_heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(b, n, self.num_kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_norm(self.v_proj(x).view(b, n, self.num_kv_heads, self.head_dim)).transpose(1, 2)
        q, k = apply_axial_rope(q, rope), apply_axial_rope(k, rope)
        x = attend(q, k, v, attn_mask=attn_mask, dropout_p=self.attn_drop.p if self.training else 0.,
                   fused=self.fused_attn, scale=1.)
        return self.proj_drop(self.o_proj(x.transpose(1, 2).reshape(b, n, -1)))


class GatedMlp(nn.Module):
    """down(act(gate(x)) * up(x)) with GELU-tanh by default (Gemma's GeGLU).

    Args:
        in_features: input (and output) width.
        hidden_features: gated hidden width.
        act_layer: gate activation class (None: GELU with the tanh approximation).
        drop: dropout on the output.
        use_clipped_linears: clamp the projections' inputs and outputs.
    """

    def __init__(self, in_features: int, hidden_features: int, act_layer: Optional[Callable[[], nn.Module]] = None,
                 drop: float = 0., use_clipped_linears: bool = False):
        super().__init__()
        self.gate_proj = ClippableLinear(in_features, hidden_features, use_clipped_linears)
        self.up_proj = ClippableLinear(in_features, hidden_features, use_clipped_linears)
        self.down_proj = ClippableLinear(hidden_features, in_features, use_clipped_linears)
        self.act = act_layer() if act_layer is not None else nn.GELU(approximate='tanh')
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x)))


class Gemma4Block(nn.Module):
    """x + norm2(attn(norm1(x))), then x + norm4(mlp(norm3(x))) (RMSNorm on both sides of each branch).

    Args:
        dim: token width.
        num_heads: query heads.
        head_dim: per-head width.
        intermediate_size: MLP hidden width.
        num_kv_heads: key / value heads.
        norm_eps: eps of every RMSNorm.
        attn_drop: attention-probability dropout.
        proj_drop: dropout after the attention projection.
        drop_path: stochastic depth rate.
        act_layer: MLP gate activation class.
        use_clipped_linears: clamp the projections' inputs and outputs.
    """

    def __init__(self, dim: int, num_heads: int, head_dim: int, intermediate_size: int,
                 num_kv_heads: Optional[int] = None, norm_eps: float = 1e-6, attn_drop: float = 0.,
                 proj_drop: float = 0., drop_path: float = 0., act_layer: Optional[Callable[[], nn.Module]] = None,
                 use_clipped_linears: bool = False):
        super().__init__()
        self.norm1 = RmsNorm(dim, eps=norm_eps)
        self.attn = Gemma4Attention(dim, num_heads, head_dim, num_kv_heads, attn_drop=attn_drop, proj_drop=proj_drop,
                                    norm_eps=norm_eps, use_clipped_linears=use_clipped_linears)
        self.norm2 = RmsNorm(dim, eps=norm_eps)
        self.norm3 = RmsNorm(dim, eps=norm_eps)
        self.mlp = GatedMlp(dim, intermediate_size, act_layer=act_layer, use_clipped_linears=use_clipped_linears)
        self.norm4 = RmsNorm(dim, eps=norm_eps)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor, rope: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.drop_path(self.norm2(self.attn(self.norm1(x), rope, attn_mask)))
        return x + self.drop_path(self.norm4(self.mlp(self.norm3(x))))


class Gemma4PatchEmbed(nn.Module):
    """Patches -> tokens: pixels mapped to [-1, 1], a bias-free linear projection of each (C, ph, pw) patch, plus
    `table[0][column] + table[1][row]`.

    Input forms: raw images (B, C, H, W) (a dense grid); patchified (B, N, ph * pw * C) in NaFlex (ph, pw, C) order,
    or (B, N, ph, pw, C), with `patch_coord` (B, N, 2) (row, column) and optionally `patch_valid` (B, N); or a dict
    with `patches` / `patch_coord` / `patch_valid`. Coordinates of -1 mark padding when no mask is given.

    Args:
        patch_size: patch side (or (h, w)).
        in_chans: input channels.
        embed_dim: token width.
        position_embedding_size: rows of each axis' position table (the largest grid side + 1).
    """

    def __init__(self, patch_size: Union[int, Tuple[int, int]] = 16, in_chans: int = 3, embed_dim: int = 768,
                 position_embedding_size: int = 10240):
        super().__init__()
        self.patch_size = to_2tuple(patch_size)
        self.in_chans = in_chans
        self.position_embedding_size = position_embedding_size
        self.input_proj = nn.Linear(in_chans * self.patch_size[0] * self.patch_size[1], embed_dim, bias=False)
        self.position_embedding_table = nn.Parameter(torch.empty(2, position_embedding_size, embed_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.trunc_normal_(self.position_embedding_table, std=.02, a=-.04, b=.04)

    def _project_image(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        ph, pw = self.patch_size
        h, w = x.shape[-2:]
        if h % ph or w % pw:
            raise ValueError(f'Image size ({h}, {w}) must be a multiple of the patch size {self.patch_size}.')
        # the projection of (C, ph, pw) patches is a stride-patch convolution with the same weights
        weight = self.input_proj.weight.view(-1, self.in_chans, ph, pw)
        x = F.conv2d(2 * (x.to(weight.dtype) - 0.5), weight, stride=(ph, pw))
        return x.flatten(2).transpose(1, 2), (h // ph, w // pw)

    def _project_patches(self, x: torch.Tensor) -> torch.Tensor:
        ph, pw = self.patch_size
        b, n = x.shape[:2]
        if x.ndim == 3:
            x = x.view(b, n, ph, pw, -1)
        # NaFlex patches are (ph, pw, C); the projection was trained on (C, ph, pw)
        x = x.permute(0, 1, 4, 2, 3).reshape(b, n, -1)
        return self.input_proj(2 * (x.to(self.input_proj.weight.dtype) - 0.5))

    def forward(self, x: torch.Tensor, patch_coord: Optional[torch.Tensor] = None,
                patch_valid: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """Returns tokens (B, N, D), (column, row) coordinates (B, N, 2) and the padding mask (B, N) or None."""
        dense = x.ndim == 4 and patch_coord is None
        if x.ndim == 4:
            x, (gh, gw) = self._project_image(x)
            if dense:
                rows, cols = torch.meshgrid(torch.arange(gh, device=x.device), torch.arange(gw, device=x.device),
                                            indexing='ij')
                patch_coord = torch.stack([rows.flatten(), cols.flatten()], -1).expand(x.shape[0], -1, -1)
        elif x.ndim in (3, 5):
            if patch_coord is None:
                raise ValueError('Patchified input needs patch_coord (B, N, 2) with the (row, column) of each patch.')
            x = self._project_patches(x)
        else:
            raise ValueError(f'Expected images (B, C, H, W) or patches (B, N, P*P*C) / (B, N, P, P, C); got a '
                             f'{x.ndim}-D tensor.')
        # a dense image grid has no padding (known without looking at data, so it traces and exports)
        padding = None if dense else resolve_padding(patch_coord, patch_valid)
        position_ids = patch_coord.flip(-1)  # (column, row): the order of the position table and the rotary halves
        pos = position_ids.clamp(min=0)
        pos_embed = self.position_embedding_table[0][pos[..., 0]] + self.position_embedding_table[1][pos[..., 1]]
        if padding is not None:
            pos_embed = pos_embed.masked_fill(padding.unsqueeze(-1), 0.)
        return x + pos_embed.to(x.dtype), position_ids, padding


def _inspectable(t: torch.Tensor) -> bool:
    """Whether data-dependent checks can read `t` (not while tracing / compiling, not on the meta device)."""
    return not (t.is_meta or torch.jit.is_tracing() or torch.compiler.is_compiling())


def resolve_padding(patch_coord: Optional[torch.Tensor], patch_valid: Optional[torch.Tensor]
                    ) -> Optional[torch.Tensor]:
    """The padding mask (True = padding) from an explicit validity mask, or from (-1, -1) coordinates; None when every
    token is valid as far as the inputs say."""
    if patch_valid is not None:
        return ~patch_valid.bool()
    if patch_coord is None or not _inspectable(patch_coord):
        return None
    sentinel = (patch_coord == -1).all(-1)
    return sentinel if bool(sentinel.any()) else None


def _unpack(x: InputT, patch_coord: Optional[torch.Tensor], patch_valid: Optional[torch.Tensor]
            ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
    if isinstance(x, dict):
        return x['patches'], x.get('patch_coord', patch_coord), x.get('patch_valid', patch_valid)
    return x, patch_coord, patch_valid


def soft_token_pool(x: torch.Tensor, position_ids: torch.Tensor, padding: Optional[torch.Tensor],
                    kernel: int) -> torch.Tensor:
    """Average the tokens of each k x k cell of the patch grid (cells in row-major order), padding excluded.

    Every cell is divided by k * k (a cell is always full on a grid whose sides divide by k). N tokens give N / k^2
    outputs; cells beyond a sample's own grid stay zero.
    """
    b, n, d = x.shape
    cells = kernel * kernel
    if n % cells:
        raise ValueError(f'The soft-token pool averages {kernel} x {kernel} cells; {n} tokens do not divide into '
                         f'{cells}-token cells. Use a grid whose sides are multiples of {kernel}.')
    if padding is not None:
        x = x.masked_fill(padding.unsqueeze(-1), 0.)
    pos = position_ids.clamp(min=0)
    grid_w = pos[..., 0].amax(dim=1, keepdim=True) + 1
    if _inspectable(pos):
        grid_h = pos[..., 1].amax(dim=1) + 1
        if bool((grid_w.squeeze(1) % kernel).any() or (grid_h % kernel).any()):
            raise ValueError(f'The soft-token pool needs patch grids whose sides are multiples of {kernel}.')
    cell = pos[..., 0] // kernel + (grid_w // kernel) * (pos[..., 1] // kernel)
    num_out = n // cells
    # cells past the output length (possible only for malformed coordinates) go to a spare row that is dropped
    cell = cell.clamp(max=num_out).unsqueeze(-1).expand(-1, -1, d)
    out = x.new_zeros(b, num_out + 1, d, dtype=torch.float32).scatter_add_(1, cell, x.float())
    return (out[:, :num_out] / cells).to(x.dtype)


def masked_mean(x: torch.Tensor, padding: Optional[torch.Tensor]) -> torch.Tensor:
    """Mean over tokens (B, N, D) -> (B, D), leaving out padding tokens."""
    if padding is None:
        return x.mean(dim=1)
    keep = (~padding).unsqueeze(-1).to(x.dtype)
    return (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1)


def _init_linear(module: nn.Module) -> None:
    # TF-style truncated normal (cut at 2 std) for every projection; layers with their own reset keep it
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=.02, a=-.04, b=.04)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class Gemma4VitEncoder(ZooModel):
    """The Gemma 4 vision tower (see the module docstring).

    Args:
        patch_size: patch side.
        in_chans: input channels.
        num_classes: must be 0 (accepted for the shared create_model arguments).
        global_pool: what `forward` returns: 'soft' (k x k cell averages x sqrt(width), then the stored
            standardisation: the VLM's soft tokens, (B, N / k^2, D)), 'avg' (masked token mean, (B, D)), or
            'none' / '' (the tokens, (B, N, D)).
        embed_dim: token width.
        depth: number of blocks.
        num_heads: query heads.
        head_dim: per-head width.
        num_kv_heads: key / value heads (None: as many as query heads).
        intermediate_size: MLP hidden width.
        norm_eps: eps of every RMSNorm.
        rope_theta: rotary frequency base.
        position_embedding_size: rows of each axis' position table.
        pooling_kernel_size: cell side k of the soft-token pool.
        standardize: keep `std_bias` / `std_scale` buffers applied after the soft-token pool (31B tower).
        use_clipped_linears: clamp every projection's input and output to stored bounds (E2B / E4B tower).
        proj_drop_rate: dropout after the attention projection.
        attn_drop_rate: attention-probability dropout.
        drop_path_rate: stochastic depth rate of the last block (linear in depth).
        act_layer: MLP gate activation class (None: GELU-tanh).
        weight_init: '' for the default init, 'skip' to leave modules as constructed.
    """
    trunk = Trunk(levels='blocks', stem=('patch_embed',), level_fmt='NLC')
    classifier_name = 'head'
    groups = dict(stem=r'^patch_embed|^rotary_emb', blocks=[(r'^blocks\.(\d+)', None), (r'^pooler|^std_', (99999,))])

    def __init__(
            self,
            patch_size: Union[int, Tuple[int, int]] = 16,
            in_chans: int = 3,
            num_classes: int = 0,
            global_pool: str = 'soft',
            embed_dim: int = 768,
            depth: int = 16,
            num_heads: int = 12,
            head_dim: int = 64,
            num_kv_heads: Optional[int] = None,
            intermediate_size: int = 3072,
            norm_eps: float = 1e-6,
            rope_theta: float = 100.,
            position_embedding_size: int = 10240,
            pooling_kernel_size: int = 3,
            standardize: bool = False,
            use_clipped_linears: bool = False,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            act_layer: Optional[Callable[[], nn.Module]] = None,
            weight_init: str = '',
    ):
        super().__init__()
        if global_pool not in _ENCODER_POOLS:
            raise ValueError(f'global_pool must be one of {_ENCODER_POOLS}, got {global_pool!r}.')
        if weight_init not in ('', 'skip'):
            raise ValueError(f"weight_init must be '' or 'skip', got {weight_init!r}.")
        self.in_chans = in_chans
        self.global_pool = global_pool
        if check_num_classes(num_classes):
            raise ValueError(_NO_CLASSIFIER)
        self.num_classes = 0
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 0
        self.output_fmt = 'NLC'
        self.patch_size = to_2tuple(patch_size)
        self.pooling_kernel_size = pooling_kernel_size
        self.grad_checkpointing = False

        self.patch_embed = Gemma4PatchEmbed(self.patch_size, in_chans, embed_dim, position_embedding_size)
        self.rotary_emb = AxialRope2d(head_dim, rope_theta)
        rates = stagewise_drop_path_rates(drop_path_rate, [depth])[0]
        self.blocks = nn.ModuleList([
            Gemma4Block(embed_dim, num_heads, head_dim, intermediate_size, num_kv_heads, norm_eps=norm_eps,
                        attn_drop=attn_drop_rate, proj_drop=proj_drop_rate, drop_path=rate, act_layer=act_layer,
                        use_clipped_linears=use_clipped_linears)
            for rate in rates])
        if standardize:
            self.register_buffer('std_bias', torch.zeros(embed_dim))
            self.register_buffer('std_scale', torch.ones(embed_dim))
        else:
            self.std_bias = self.std_scale = None
        self.head = nn.Identity()  # no classifier: `forward` ends with `global_pool`
        reduction = max(self.patch_size)
        self.feature_info = [dict(num_chs=embed_dim, reduction=reduction, module=f'blocks.{i}') for i in range(depth)]
        if weight_init != 'skip':
            self.init_weights()

    def init_weights(self) -> None:
        for module in self.modules():
            _init_linear(module)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {'patch_embed.position_embedding_table'}

    @torch.jit.ignore
    def get_patch_size(self) -> Tuple[int, int]:
        """The (h, w) patch size, for NaFlex data pipelines."""
        return self.patch_size

    @torch.jit.ignore
    def set_clamp_enabled(self, enabled: bool = True) -> None:
        """Switch the projection clamps on or off (the stored bounds are kept)."""
        for module in self.modules():
            if isinstance(module, ClippableLinear) and hasattr(module, 'input_min'):
                module.use_clipped = enabled

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if num_classes:
            raise ValueError(_NO_CLASSIFIER)
        if global_pool is not None:
            if global_pool not in _ENCODER_POOLS:
                raise ValueError(f'global_pool must be one of {_ENCODER_POOLS}, got {global_pool!r}.')
            self.global_pool = global_pool

    def _replace_head(self, in_features: int) -> None:
        pass  # nothing after the blocks holds parameters

    def _check_image(self, x: torch.Tensor) -> None:
        # the soft pool needs whole k x k cells of patches
        if x.ndim != 4 or self.global_pool != 'soft':
            return
        cell = (self.patch_size[0] * self.pooling_kernel_size, self.patch_size[1] * self.pooling_kernel_size)
        if x.shape[-2] % cell[0] or x.shape[-1] % cell[1]:
            raise ValueError(f'Image size {tuple(x.shape[-2:])} must be a multiple of patch_size x '
                             f'pooling_kernel_size = {cell} for the soft-token pool; resize the image, or use '
                             f"global_pool='avg' / 'none'.")

    def _embed(self, x: InputT, patch_coord: Optional[torch.Tensor], patch_valid: Optional[torch.Tensor]
               ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor], torch.Tensor, Optional[torch.Tensor]]:
        """Tokens, (column, row) ids, padding mask, rotary angles and the attention mask (None without padding)."""
        x, patch_coord, patch_valid = _unpack(x, patch_coord, patch_valid)
        self._check_image(x)
        x, position_ids, padding = self.patch_embed(x, patch_coord, patch_valid)
        rope = self.rotary_emb(position_ids, x.dtype)
        attn_mask = None if padding is None else (~padding)[:, None, None, :]  # keys only; True = attend
        return x, position_ids, padding, rope, attn_mask

    def _run_block(self, block: nn.Module, x: torch.Tensor, rope: torch.Tensor,
                   attn_mask: Optional[torch.Tensor]) -> torch.Tensor:
        return maybe_checkpoint(block, x, rope, attn_mask, enabled=self.grad_checkpointing)

    def forward_features(self, x: InputT, patch_coord: Optional[torch.Tensor] = None,
                         patch_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The patch tokens after the last block, (B, N, D)."""
        x, _, _, rope, attn_mask = self._embed(x, patch_coord, patch_valid)
        for block in self.blocks:
            x = self._run_block(block, x, rope, attn_mask)
        return x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        raise NotImplementedError('Gemma4VitEncoder has no classification head; forward() applies its global_pool, '
                                  'and the gemma4_vit_* classifier models add a head.')

    def pool(self, x: torch.Tensor, position_ids: torch.Tensor, padding: Optional[torch.Tensor]) -> torch.Tensor:
        """Apply `global_pool` to the tokens after the last block."""
        if self.global_pool == 'soft':
            x = soft_token_pool(x, position_ids, padding, self.pooling_kernel_size) * self.embed_dim ** 0.5
            if self.std_bias is not None:
                x = (x - self.std_bias) * self.std_scale
            return x
        if self.global_pool == 'avg':
            return masked_mean(x, padding)
        return x

    def forward(self, x: InputT, patch_coord: Optional[torch.Tensor] = None,
                patch_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        x, position_ids, padding, rope, attn_mask = self._embed(x, patch_coord, patch_valid)
        for block in self.blocks:
            x = self._run_block(block, x, rope, attn_mask)
        return self.pool(x, position_ids, padding)

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: InputT,
            patch_coord: Optional[torch.Tensor] = None,
            patch_valid: Optional[torch.Tensor] = None,
            indices: Optional[Union[int, List[int]]] = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
            output_dict: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]], Dict[str, Any]]:
        """Block outputs at `indices` (the tower has no final norm, so `norm` changes nothing).

        Args:
            x: images (B, C, H, W), or patches with `patch_coord` / `patch_valid` (or a dict of the three).
            patch_coord: (B, N, 2) (row, column) of each patch.
            patch_valid: (B, N), True for real patches.
            indices: None for every block, n for the last n, or a list of block indices.
            norm: accepted for the shared API; there is no final norm.
            stop_early: stop after the last requested block.
            output_fmt: 'NCHW' (images only: the token grid as a map) or 'NLC'.
            intermediates_only: return only the intermediates.
            output_dict: return a dict with 'image_intermediates', 'image_features' (unless intermediates_only) and
                'patch_valid' (the NaFlex contract).
        """
        if output_fmt not in ('NCHW', 'NLC'):
            raise ValueError(f"Gemma4VitEncoder intermediates are 'NCHW' or 'NLC', not {output_fmt!r}.")
        take, max_index = feature_take_indices(len(self.blocks), indices)
        raw, _, _ = _unpack(x, patch_coord, patch_valid)
        if output_fmt == 'NCHW' and raw.ndim != 4:
            raise ValueError("output_fmt='NCHW' needs image input (B, C, H, W); use 'NLC' for patchified input.")
        grid = (raw.shape[-2] // self.patch_size[0], raw.shape[-1] // self.patch_size[1]) if raw.ndim == 4 else None
        x, _, padding, rope, attn_mask = self._embed(x, patch_coord, patch_valid)
        last = max_index if (stop_early or intermediates_only) else len(self.blocks) - 1
        intermediates = []
        for i in range(last + 1):
            x = self._run_block(self.blocks[i], x, rope, attn_mask)
            if i in take:
                y = x
                if output_fmt == 'NCHW':
                    y = y.reshape(y.shape[0], *grid, -1).permute(0, 3, 1, 2).contiguous()
                intermediates.append(y)
        if output_dict:
            out: Dict[str, Any] = dict(image_intermediates=intermediates)
            if not intermediates_only:
                out['image_features'] = x
            out['patch_valid'] = ~padding if padding is not None else torch.ones(
                x.shape[:2], dtype=torch.bool, device=x.device)
            return out
        return intermediates if intermediates_only else (x, intermediates)

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: Optional[Union[int, List[int]]] = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """Drop the blocks after the last of `indices` (there is no norm or head to prune)."""
        take, last = feature_take_indices(len(self.blocks), indices)
        del self.blocks[last + 1:]  # ModuleList slice deletion keeps the remaining blocks' keys
        return take


class Gemma4VitClassifier(ZooModel):
    """A classifier on the Gemma 4 vision tower: `encoder` tokens -> masked mean -> RMSNorm (no gain) -> linear.

    Args:
        num_classes: classifier outputs (0: no classifier).
        global_pool: 'avg' (masked mean over tokens) or 'none' / '' (keep the tokens).
        encoder_pool: the encoder's own pool before the classifier's: '' / 'none', or 'soft' (VLM soft tokens).
        final_norm: RMSNorm (without gain) after pooling.
        drop_rate: dropout before the classifier.
        embed_dim: token width.
        norm_eps: eps of every RMSNorm.
        weight_init: '' for the default init, 'skip' to leave modules as constructed.
        **encoder_args: the other `Gemma4VitEncoder` arguments (patch_size, in_chans, depth, num_heads, ...).
    """
    trunk = Trunk(levels='encoder.blocks', stem=('encoder.patch_embed',), level_fmt='NLC')
    classifier_name = 'head'
    groups = dict(stem=r'^encoder\.patch_embed|^encoder\.rotary_emb', blocks=[(r'^encoder\.blocks\.(\d+)', None)])

    def __init__(
            self,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            encoder_pool: str = '',
            final_norm: bool = True,
            drop_rate: float = 0.,
            embed_dim: int = 768,
            norm_eps: float = 1e-6,
            weight_init: str = '',
            **encoder_args: Any,
    ):
        super().__init__()
        _check_classifier_pool(global_pool)
        if encoder_pool not in ('', 'none', 'soft'):
            raise ValueError(f"encoder_pool must be '', 'none' or 'soft', got {encoder_pool!r}.")
        self.num_classes = check_num_classes(num_classes)
        self.global_pool = global_pool
        self.encoder_pool = encoder_pool
        self.encoder = Gemma4VitEncoder(global_pool=encoder_pool, embed_dim=embed_dim, norm_eps=norm_eps,
                                        weight_init=weight_init, **encoder_args)
        self.in_chans = self.encoder.in_chans
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.patch_size = self.encoder.patch_size
        self.feature_info = self.encoder.feature_info
        self.norm = RmsNorm(embed_dim, eps=norm_eps, affine=False) if final_norm else nn.Identity()
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        if weight_init != 'skip' and isinstance(self.head, nn.Linear):
            _init_linear(self.head)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {f'encoder.{name}' for name in self.encoder.no_weight_decay()}

    @torch.jit.ignore
    def get_patch_size(self) -> Tuple[int, int]:
        return self.encoder.get_patch_size()

    @torch.jit.ignore
    def set_clamp_enabled(self, enabled: bool = True) -> None:
        self.encoder.set_clamp_enabled(enabled)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            _check_classifier_pool(global_pool)
            self.global_pool = global_pool
        device = self.norm.weight.device if getattr(self.norm, 'weight', None) is not None else None
        self.head = nn.Linear(self.embed_dim, num_classes, device=device) if num_classes > 0 else nn.Identity()
        if isinstance(self.head, nn.Linear):
            _init_linear(self.head)

    def _replace_head(self, in_features: int) -> None:
        self._reset_head(0, None)

    def forward_features(self, x: InputT, patch_coord: Optional[torch.Tensor] = None,
                         patch_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Tokens after the last block (B, N, D), or the encoder's soft tokens with encoder_pool='soft'."""
        if self.encoder_pool == 'soft':
            return self.encoder(x, patch_coord, patch_valid)
        return self.encoder.forward_features(x, patch_coord, patch_valid)

    def forward_head(self, x: torch.Tensor, patch_valid: Optional[torch.Tensor] = None,
                     pre_logits: bool = False) -> torch.Tensor:
        """Pool ('avg': mean over valid tokens; `patch_valid` is ignored after the soft pool, whose cells no longer
        line up with the patches), norm, dropout, classifier."""
        if self.global_pool == 'avg':
            use_mask = patch_valid is not None and self.encoder_pool != 'soft'
            x = masked_mean(x, ~patch_valid.bool() if use_mask else None)
        x = self.head_drop(self.norm(x))
        return x if pre_logits else self.head(x)

    def forward(self, x: InputT, patch_coord: Optional[torch.Tensor] = None,
                patch_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        x, patch_coord, patch_valid = _unpack(x, patch_coord, patch_valid)
        padding = resolve_padding(patch_coord, patch_valid)
        features = self.forward_features(x, patch_coord, patch_valid)
        return self.forward_head(features, patch_valid=None if padding is None else ~padding)

    @torch.jit.ignore
    def forward_intermediates(self, x: InputT, patch_coord: Optional[torch.Tensor] = None,
                              patch_valid: Optional[torch.Tensor] = None, indices: Optional[Union[int, List[int]]] = None,
                              norm: bool = False, stop_early: bool = False, output_fmt: str = 'NCHW',
                              intermediates_only: bool = False, output_dict: bool = False
                              ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]], Dict[str, Any]]:
        """The encoder's block outputs (see `Gemma4VitEncoder.forward_intermediates`)."""
        return self.encoder.forward_intermediates(
            x, patch_coord=patch_coord, patch_valid=patch_valid, indices=indices, norm=norm, stop_early=stop_early,
            output_fmt=output_fmt, intermediates_only=intermediates_only, output_dict=output_dict)

    @torch.jit.ignore
    def prune_intermediate_layers(self, indices: Optional[Union[int, List[int]]] = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> List[int]:
        """The encoder drops its later blocks; `prune_head` then leaves this classifier without outputs."""
        if prune_head:  # the only head is this wrapper's classifier; the encoder keeps its pooler for its own use
            self.reset_classifier(0)
        return self.encoder.prune_intermediate_layers(indices, prune_norm=prune_norm, prune_head=False)


def _check_classifier_pool(global_pool: str) -> None:
    if global_pool not in ('avg', 'none', ''):
        raise ValueError(f"The classifier's global_pool must be 'avg', 'none' or '', got {global_pool!r}; the "
                         f"soft-token pool is encoder_pool='soft' (or the *_enc encoder models).")


# key renames from the Hugging Face Gemma4VisionModel layout to this one
_HF_PREFIXES = ('model.vision_tower.', 'model.vision_model.', 'vision_model.', 'vision_tower.')
_HF_RENAMES = (('patch_embedder.', 'patch_embed.'), ('encoder.layers.', 'blocks.'), ('.input_layernorm.', '.norm1.'),
               ('.post_attention_layernorm.', '.norm2.'), ('.pre_feedforward_layernorm.', '.norm3.'),
               ('.post_feedforward_layernorm.', '.norm4.'), ('.self_attn.', '.attn.'))
_ENCODER_KEYS = ('patch_embed.', 'blocks.', 'std_', 'pooler.')


def checkpoint_filter_fn_encoder(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Hugging Face Gemma 4 vision weights (or already converted ones) -> `Gemma4VitEncoder` keys.

    Only keys move: the patch projection is already over (C, ph, pw) patches, and the clamp bounds keep their
    `.linear` / `input_min` ... layout. Rotary buffers and the language-model side of a full VLM checkpoint are
    dropped.
    """
    out = {}
    for key, value in state_dict.items():
        prefix = next((p for p in _HF_PREFIXES if key.startswith(p)), None)
        if prefix is None:
            if key.startswith(_ENCODER_KEYS):
                out[key] = value
            continue
        key = key[len(prefix):]
        if 'rotary_emb' in key:
            continue
        for old, new in _HF_RENAMES:
            key = key.replace(old, new)
        out[key] = value
    return out


def checkpoint_filter_fn_classifier(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Hugging Face or encoder-layout weights -> `Gemma4VitClassifier` keys (`encoder.*`; `norm.*` / `head.*` and
    already prefixed keys pass through)."""
    own = ('norm.', 'head.', 'encoder.')
    out = {k: v for k, v in state_dict.items() if k.startswith(own)}
    encoder = checkpoint_filter_fn_encoder({k: v for k, v in state_dict.items() if not k.startswith(own)}, model)
    out.update({f'encoder.{k}': v for k, v in encoder.items()})
    return out


def _create_gemma4_vit(variant: str, pretrained: bool = False, **kwargs: Any) -> nn.Module:
    encoder = variant.endswith('_enc')
    model_cls = Gemma4VitEncoder if encoder else Gemma4VitClassifier
    filter_fn = checkpoint_filter_fn_encoder if encoder else checkpoint_filter_fn_classifier
    return build_model_with_cfg(model_cls, variant, pretrained, pretrained_filter_fn=filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    # the model maps [0, 1] pixels to [-1, 1] itself, so the data pipeline must not normalise (mean 0, std 1); the
    # minimum size is one soft-token cell of 3 x 3 patches, twice
    cfg = dict(num_classes=0, input_size=(3, 768, 768), min_input_size=(3, 96, 96), pool_size=None, crop_pct=1.0,
               interpolation='bicubic', fixed_input_size=False, mean=(0., 0., 0.), std=(1., 1., 1.),
               first_conv='patch_embed.input_proj', classifier='head', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'gemma4_vit_167m.gemma4_e4b_it': _cfg(hf_hub_id='timm/gemma4_vit_167m.gemma4_e4b_it',
                                          first_conv='encoder.patch_embed.input_proj'),
    'gemma4_vit_570m.gemma4_31b_it': _cfg(hf_hub_id='timm/gemma4_vit_570m.gemma4_31b_it',
                                          first_conv='encoder.patch_embed.input_proj'),
    'gemma4_vit_167m_enc.gemma4_e4b_it': _cfg(hf_hub_id='timm/gemma4_vit_167m_enc.gemma4_e4b_it'),
    'gemma4_vit_570m_enc.gemma4_31b_it': _cfg(hf_hub_id='timm/gemma4_vit_570m_enc.gemma4_31b_it'),
})

# E2B / E4B tower (clamped projections) and 26B / 31B tower (standardised soft tokens)
_ARCH_167M = dict(embed_dim=768, depth=16, num_heads=12, head_dim=64, intermediate_size=3072,
                  use_clipped_linears=True)
_ARCH_570M = dict(embed_dim=1152, depth=27, num_heads=16, head_dim=72, intermediate_size=4304, standardize=True)


@register_model
def gemma4_vit_167m(pretrained: bool = False, **kwargs: Any) -> Gemma4VitClassifier:
    """E2B / E4B vision tower with a mean-pool classifier."""
    return _create_gemma4_vit('gemma4_vit_167m', pretrained, **dict(_ARCH_167M, **kwargs))


@register_model
def gemma4_vit_167m_enc(pretrained: bool = False, **kwargs: Any) -> Gemma4VitEncoder:
    """E2B / E4B vision tower as the VLM uses it (soft tokens)."""
    return _create_gemma4_vit('gemma4_vit_167m_enc', pretrained, **dict(_ARCH_167M, **kwargs))


@register_model
def gemma4_vit_570m(pretrained: bool = False, **kwargs: Any) -> Gemma4VitClassifier:
    """26B / 31B vision tower with a mean-pool classifier (the standardisation belongs to the soft pool only)."""
    return _create_gemma4_vit('gemma4_vit_570m', pretrained, **dict(_ARCH_570M, **kwargs))


@register_model
def gemma4_vit_570m_enc(pretrained: bool = False, **kwargs: Any) -> Gemma4VitEncoder:
    """26B / 31B vision tower as the VLM uses it (standardised soft tokens)."""
    return _create_gemma4_vit('gemma4_vit_570m_enc', pretrained, **dict(_ARCH_570M, **kwargs))
