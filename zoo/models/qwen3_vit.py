"""Qwen3 vision transformer: the vision tower of Qwen3-VL, Qwen3.5 / Qwen3.8 and Qwen-Drive.

Papers:
- "Qwen3-VL Technical Report", Qwen team, 2025 (arXiv:2511.21631).
- "Qwen2-VL: Enhancing Vision-Language Model's Perception of the World at Any Resolution", Wang et al., 2024
  (arXiv:2409.12191): 2-D rotary position embedding on the patch grid and the 2 x 2 token-merging projector.
- "Qwen-Drive-1.0", Qwen team, 2026 (arXiv:2609.00111): the Qwen3.5-4B tower after driving-domain training.

A pre-norm ViT without class token: fused qkv with biases, GELU (tanh approximation) MLP, LayerNorm (eps 1e-6), no
final norm. Position is encoded twice: a learned 48 x 48 absolute embedding, bilinearly resampled to the input's
patch grid (corners aligned) on every forward, and axial 2-D RoPE (base 10000, rotate-half pairs) on the patch
indices. The projector ('merger') normalises each token, folds 2 x 2 token blocks (row, column, channel order) and
maps them through a GELU MLP to the language model's width `out_features`.

Names: `qwen3_vit_<size>` is an image classifier on the tower (mean token, affine-free LayerNorm, linear head);
`_merge` keeps the projector in front of that pooling; `_enc` is the tower as released (projector output). The
released temporal patch embedding (a Conv3d over two identical frames for images) is loaded as the equivalent
Conv2d with the two temporal kernel slices summed.
"""
from functools import partial
from typing import Any, Callable, Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers import LayerNorm
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.token_merge import fold_token_grid
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._vlm_tower import (VisionTowerClassifier, VisionTowerEncoder, create_tower, deferred_linear_init,
                                   tower_cfgs)
from zoo.models.eva import EvaBlock

__all__ = ['Qwen3VitEncoder', 'Qwen3VitClassifier', 'Qwen3VitMerger', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


class Qwen3VitMerger(nn.Module):
    """The VLM projector: LayerNorm per token, 2 x 2 token fold, fc1 + GELU, fc2 to the language model's width.

    Args:
        dim: token width.
        merge_size: side of the folded token blocks.
        out_features: language-model width; 0 leaves out fc2 (the output is then the folded hidden width).
        norm_layer: per-token norm.
    """

    def __init__(self, dim: int, merge_size: int = 2, out_features: int = 0,
                 norm_layer: Callable[[int], nn.Module] = LayerNorm):
        super().__init__()
        self.merge_size = merge_size
        self.hidden_size = dim * merge_size * merge_size
        self.out_features = out_features or self.hidden_size
        self.norm = norm_layer(dim)
        self.fc1 = nn.Linear(self.hidden_size, self.hidden_size)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(self.hidden_size, out_features) if out_features else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(B, H, W, C) tokens -> (B, H * W / merge_size^2, out_features); `pre_logits` stops before fc2."""
        x = self.act(self.fc1(fold_token_grid(self.norm(x), self.merge_size)))
        return x if pre_logits else self.fc2(x)


class Qwen3VitEncoder(VisionTowerEncoder):
    """The Qwen3 vision tower. `forward_features` gives the patch tokens (B, H, W, C) for any input whose patch grid
    divides by `merge_size`; `forward` applies `global_pool`: 'merge' (projector), 'avg' or '' (the tokens).

    Args:
        img_size: nominal input size (any size works: both position embeddings follow the input grid).
        patch_size: patch side.
        in_chans: input channels.
        num_classes: must be 0 (the tower has no classifier).
        out_features: projector output width (the language model's); 0 leaves out its last projection.
        global_pool: 'merge', 'avg' or ''.
        embed_dim, depth, num_heads, mlp_ratio: trunk size.
        merge_size: projector fold size.
        pos_embed_grid_size: side of the learned absolute embedding grid.
        rope_temperature: rotary frequency base.
        norm_eps: LayerNorm eps.
        act_layer: MLP activation (default GELU, tanh approximation).
        proj_drop_rate, attn_drop_rate, drop_path_rate: dropout inside blocks; stochastic depth of the last block.
    """
    projector_name = 'merger'
    projector_pool = 'merge'
    groups = dict(stem=r'^patch_embed|pos_embed|rope', blocks=[(r'^blocks\.(\d+)', None), (r'^merger', (99999,))])
    no_weight_decay_names = ('pos_embed',)

    def __init__(
            self,
            img_size: SizeT = 768,
            patch_size: int = 16,
            in_chans: int = 3,
            num_classes: int = 0,
            out_features: int = 0,
            global_pool: str = 'merge',
            embed_dim: int = 1152,
            depth: int = 27,
            num_heads: int = 16,
            mlp_ratio: float = 4304 / 1152,
            merge_size: int = 2,
            pos_embed_grid_size: int = 48,
            rope_temperature: float = 10000.,
            norm_eps: float = 1e-6,
            act_layer: Optional[Callable[[], nn.Module]] = None,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
    ):
        super().__init__()
        self._build_embed(img_size, patch_size, in_chans, num_classes, global_pool, embed_dim, num_heads,
                          rope_temperature)
        self.out_features = out_features
        self.pos_embed_grid_size = pos_embed_grid_size  # resampled to the input grid in `_embed`
        self.pos_embed = nn.Parameter(torch.zeros(1, pos_embed_grid_size ** 2, embed_dim))
        norm_layer = partial(LayerNorm, eps=norm_eps)
        dpr = stagewise_drop_path_rates(drop_path_rate, [depth])[0]
        with deferred_linear_init():  # _finish initialises the Linear layers
            self.blocks = nn.ModuleList([
                EvaBlock(embed_dim, num_heads, mlp_ratio=mlp_ratio, attn_type='rope', num_prefix_tokens=0,
                         rotate_half=True, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate, drop_path=dpr[i],
                         act_layer=act_layer or partial(nn.GELU, approximate='tanh'), norm_layer=norm_layer)
                for i in range(depth)])
            self.norm = nn.Identity()
            self.merger = Qwen3VitMerger(embed_dim, merge_size, out_features, norm_layer) \
                if global_pool == 'merge' else None
        self._finish()
        nn.init.trunc_normal_(self.pos_embed, std=.02)


class Qwen3VitClassifier(VisionTowerClassifier):
    """Image classifier on the Qwen3 tower; `encoder_pool='merge'` pools the projector's tokens. Arguments as for
    `VisionTowerClassifier`, plus those of `Qwen3VitEncoder`."""
    encoder_cls = Qwen3VitEncoder
    pooled_norm = LayerNorm
    groups = dict(stem=r'^encoder\.(?:patch_embed|pos_embed|rope)',
                  blocks=[(r'^encoder\.blocks\.(\d+)', None), (r'^encoder\.merger|^norm|^head', (99999,))])


_SOURCE_PREFIXES = ('vlm.model.visual.', 'model.visual.', 'visual.')
_SOURCE_RENAMES = (('merger.linear_fc1.', 'merger.fc1.'), ('merger.linear_fc2.', 'merger.fc2.'),
                   ('.mlp.linear_fc1.', '.mlp.fc1.'), ('.mlp.linear_fc2.', '.mlp.fc2.'))


def _encoder_state_dict(state_dict: Dict[str, torch.Tensor], model: Qwen3VitEncoder) -> Dict[str, torch.Tensor]:
    """The tower's tensors from a zoo/timm encoder checkpoint or a released VLM checkpoint (shard)."""
    out = {}
    for key, value in state_dict.items():
        source = next((p for p in _SOURCE_PREFIXES + ('encoder.',) if key.startswith(p)), None)
        if source is not None:
            key = key[len(source):]
        elif not key.startswith(('patch_embed.', 'pos_embed', 'blocks.', 'merger.')):
            continue  # the language model
        if key.startswith(('rotary_pos_emb', 'deepstack_merger_list')):
            continue  # a computed table; Qwen3-VL's mid-depth projectors are not part of the tower
        for old, new in _SOURCE_RENAMES:
            key = key.replace(old, new)
        if key == 'patch_embed.proj.weight' and value.ndim == 5:
            # an image is the same frame twice, so the temporal kernel acts as the sum of its slices; summed in float64
            # and left there, so the (bfloat16) slices are rounded once, to the model's dtype, when loaded
            value = value.double().sum(dim=2)
        elif key == 'pos_embed.weight':
            key, value = 'pos_embed', value.unsqueeze(0)
        if key.startswith('merger.') and (model.merger is None or (
                key.startswith('merger.fc2.') and isinstance(model.merger.fc2, nn.Identity))):
            continue
        out[key] = value
    return out


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Load a released Qwen VLM checkpoint (its `visual` tensors; the language model is dropped), a tower checkpoint
    into a classifier (under `encoder.`), or a classifier checkpoint as it is."""
    if isinstance(model, Qwen3VitEncoder):
        return _encoder_state_dict(state_dict, model)
    own = {k: v for k, v in state_dict.items() if k.startswith(('norm.', 'head.'))}
    tower = _encoder_state_dict({k: v for k, v in state_dict.items() if k not in own}, model.encoder)
    return {**{f'encoder.{k}': v for k, v in tower.items()}, **own}


def _cfg(source: str, out_features: int, **kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 768, 768), fixed_input_size=False, crop_pct=1.0, crop_mode='squash',
               interpolation='bicubic', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), num_classes=0,
               license='apache-2.0', origin_url=f'https://huggingface.co/Qwen/{source}', out_features=out_features)
    cfg.update(kwargs)
    return cfg


# (architecture, tag): the released VLM the tower comes from and its language-model width (the projector output)
_SOURCES = {
    ('qwen3_vit_88m', 'qwen3_5_0_8b'): _cfg('Qwen3.5-0.8B', 1024),
    ('qwen3_vit_306m', 'qwen3_5_2b'): _cfg('Qwen3.5-2B', 2048),
    ('qwen3_vit_306m', 'qwen3_5_4b'): _cfg('Qwen3.5-4B', 2560),
    ('qwen3_vit_416m', 'qwen3_8_27b'): _cfg('Qwen3.8-27B', 5120),
    ('qwen3_vit_416m', 'qwen3_8_flash_next'): _cfg('Qwen3.8-Flash-Next', 2560, license='qwen-community-1.0'),
    ('qwen3_vit_416m', 'qwen3_5_27b'): _cfg('Qwen3.5-27B', 5120),
    ('qwen3_vit_416m', 'qwen3_5_9b'): _cfg('Qwen3.5-9B', 4096),
    ('qwen3_vit_306m', 'qwen3_vl_4b'): _cfg('Qwen3-VL-4B-Instruct', 2560),
    ('qwen3_vit_416m', 'qwen3_vl_8b'): _cfg('Qwen3-VL-8B-Instruct', 4096),
    ('qwen3_vit_416m', 'qwen3_vl_32b'): _cfg('Qwen3-VL-32B-Instruct', 5120),
    ('qwen3_vit_416m', 'qwen3_vl_30b_a3b'): _cfg('Qwen3-VL-30B-A3B-Instruct', 2048),
    ('qwen3_vit_416m', 'qwen3_vl_235b_a22b'): _cfg('Qwen3-VL-235B-A22B-Instruct', 4096),
    ('qwen3_vit_306m', 'qwen_drive_1_0_4b'): _cfg('Qwen-Drive-1.0-4B', 2560),
}


def _qwen3_vit(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> nn.Module:
    return create_tower(variant, pretrained, dict(model_args, **kwargs), Qwen3VitEncoder, Qwen3VitClassifier,
                        _SOURCES, checkpoint_filter_fn)


default_cfgs = generate_default_cfgs(tower_cfgs(_SOURCES, '_merge'))

_88M = dict(embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.)
_306M = dict(embed_dim=1024, depth=24, num_heads=16, mlp_ratio=4.)
_416M = dict(embed_dim=1152, depth=27, num_heads=16, mlp_ratio=4304 / 1152)


@register_model
def qwen3_vit_88m(pretrained: bool = False, **kwargs: Any) -> Qwen3VitClassifier:
    """Classifier on the Qwen3.5-0.8B tower (12 x 768)."""
    return _qwen3_vit('qwen3_vit_88m', pretrained, _88M, kwargs)


@register_model
def qwen3_vit_88m_merge(pretrained: bool = False, **kwargs: Any) -> Qwen3VitClassifier:
    """Classifier on the Qwen3.5-0.8B tower and its projector (1024 wide)."""
    return _qwen3_vit('qwen3_vit_88m_merge', pretrained, _88M, kwargs)


@register_model
def qwen3_vit_88m_enc(pretrained: bool = False, **kwargs: Any) -> Qwen3VitEncoder:
    """The Qwen3.5-0.8B tower with its projector."""
    return _qwen3_vit('qwen3_vit_88m_enc', pretrained, _88M, kwargs)


@register_model
def qwen3_vit_306m(pretrained: bool = False, **kwargs: Any) -> Qwen3VitClassifier:
    """Classifier on the Qwen3.5-2B / 4B, Qwen3-VL-4B and Qwen-Drive tower (24 x 1024)."""
    return _qwen3_vit('qwen3_vit_306m', pretrained, _306M, kwargs)


@register_model
def qwen3_vit_306m_merge(pretrained: bool = False, **kwargs: Any) -> Qwen3VitClassifier:
    """Classifier on the 24 x 1024 tower and its projector."""
    return _qwen3_vit('qwen3_vit_306m_merge', pretrained, _306M, kwargs)


@register_model
def qwen3_vit_306m_enc(pretrained: bool = False, **kwargs: Any) -> Qwen3VitEncoder:
    """The 24 x 1024 tower with its projector."""
    return _qwen3_vit('qwen3_vit_306m_enc', pretrained, _306M, kwargs)


@register_model
def qwen3_vit_416m(pretrained: bool = False, **kwargs: Any) -> Qwen3VitClassifier:
    """Classifier on the Qwen3.5-9B / 27B, Qwen3.8 and Qwen3-VL-8B and larger tower (27 x 1152)."""
    return _qwen3_vit('qwen3_vit_416m', pretrained, _416M, kwargs)


@register_model
def qwen3_vit_416m_merge(pretrained: bool = False, **kwargs: Any) -> Qwen3VitClassifier:
    """Classifier on the 27 x 1152 tower and its projector."""
    return _qwen3_vit('qwen3_vit_416m_merge', pretrained, _416M, kwargs)


@register_model
def qwen3_vit_416m_enc(pretrained: bool = False, **kwargs: Any) -> Qwen3VitEncoder:
    """The 27 x 1152 tower with its projector."""
    return _qwen3_vit('qwen3_vit_416m_enc', pretrained, _416M, kwargs)
