"""DeepSeek vision transformer: the vision tower of the DeepSeek-V4 / V4.1 multimodal models.

Paper: "DeepSeek-V4.1-Flash: Pushing the Limits of KV Cache Compression", DeepSeek-AI, 2026 (arXiv:2609.19969).

A pre-norm ViT without class token over 14 x 14 patches: RMSNorm (eps 1e-6), fused qkv and output projection with
biases, a packed SwiGLU MLP without biases (gate first), and a final RMSNorm. Axial 2-D RoPE (base 10000, rotate-half
pairs) on the patch indices is the only position encoding, so any patch grid works. The projector ('aligner') folds
3 x 3 token blocks (channel, row, column order; the grid is zero-padded at the bottom / right to a multiple of 3) and
maps them through fc1, GELU and fc2 to the language model's width `out_features`.

Names: `deepseek_vit_412m` is an image classifier on the tower (mean token, affine-free RMSNorm, linear head);
`_align` keeps the projector in front of that pooling; `_enc` is the tower as released (projector output). The
released patch embedding is a Linear over flattened (C, 14, 14) patches, loaded as the equivalent Conv2d.
"""
from functools import partial
from typing import Any, Dict, Tuple, Union

import torch
import torch.nn as nn

from zoo.layers.rms_norm import RmsNorm
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.token_merge import fold_token_grid
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._vlm_tower import (VisionTowerClassifier, VisionTowerEncoder, create_tower, deferred_linear_init,
                                   tower_cfgs)
from zoo.models.eva import EvaBlock

__all__ = ['DeepseekVitEncoder', 'DeepseekVitClassifier', 'DeepseekVitAligner', 'checkpoint_filter_fn']

SizeT = Union[int, Tuple[int, int]]


class DeepseekVitAligner(nn.Module):
    """The VLM projector: 3 x 3 token fold (zero-padded grid), fc1 + GELU, fc2, both at the language model's width.

    Args:
        dim: token width.
        downsample_ratio: side of the folded token blocks.
        out_features: language-model width.
    """

    def __init__(self, dim: int, downsample_ratio: int = 3, out_features: int = 0):
        super().__init__()
        if out_features <= 0:
            raise ValueError(f'The DeepSeek aligner projects to the language model width; out_features must be > 0, '
                             f'got {out_features}.')
        self.downsample_ratio = downsample_ratio
        self.hidden_size = dim * downsample_ratio * downsample_ratio
        self.out_features = out_features
        self.fc1 = nn.Linear(self.hidden_size, out_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(out_features, out_features)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(B, H, W, C) tokens -> (B, ceil(H / r) * ceil(W / r), out_features); `pre_logits` stops before fc2."""
        x = fold_token_grid(x, self.downsample_ratio, channel_major=True, pad=True)
        x = self.act(self.fc1(x))
        return x if pre_logits else self.fc2(x)


class DeepseekVitEncoder(VisionTowerEncoder):
    """The DeepSeek vision tower. `forward_features` gives the final-normalised patch tokens (B, H, W, C); `forward`
    applies `global_pool`: 'align' (projector), 'avg' or '' (the tokens).

    Args:
        img_size: nominal input size (any multiple of the patch size works; see `dynamic_img_pad`).
        patch_size: patch side.
        in_chans: input channels.
        num_classes: must be 0 (the tower has no classifier).
        out_features: projector output width (the language model's); required with the projector.
        global_pool: 'align', 'avg' or ''.
        embed_dim, depth, num_heads, mlp_ratio: trunk size.
        downsample_ratio: projector fold size.
        rope_temperature: rotary frequency base.
        norm_eps: RMSNorm eps.
        proj_drop_rate, attn_drop_rate, drop_path_rate: dropout inside blocks; stochastic depth of the last block.
        dynamic_img_pad: zero-pad inputs at the bottom / right to a multiple of the patch size.
    """
    projector_name = 'aligner'
    projector_pool = 'align'
    groups = dict(stem=r'^patch_embed|rope', blocks=[(r'^blocks\.(\d+)', None), (r'^norm|^aligner', (99999,))])

    def __init__(
            self,
            img_size: SizeT = 546,
            patch_size: int = 14,
            in_chans: int = 3,
            num_classes: int = 0,
            out_features: int = 0,
            global_pool: str = 'align',
            embed_dim: int = 1024,
            depth: int = 32,
            num_heads: int = 16,
            mlp_ratio: float = 2816 / 1024,
            downsample_ratio: int = 3,
            rope_temperature: float = 10000.,
            norm_eps: float = 1e-6,
            proj_drop_rate: float = 0.,
            attn_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            dynamic_img_pad: bool = False,
    ):
        super().__init__()
        self._build_embed(img_size, patch_size, in_chans, num_classes, global_pool, embed_dim, num_heads,
                          rope_temperature, dynamic_img_pad)
        self.out_features = out_features
        norm_layer = partial(RmsNorm, eps=norm_eps)
        dpr = stagewise_drop_path_rates(drop_path_rate, [depth])[0]
        with deferred_linear_init():  # _finish initialises the Linear layers
            self.blocks = nn.ModuleList([
                EvaBlock(embed_dim, num_heads, mlp_ratio=mlp_ratio, swiglu_mlp=True, mlp_bias=False, attn_type='rope',
                         num_prefix_tokens=0, rotate_half=True, proj_drop=proj_drop_rate, attn_drop=attn_drop_rate,
                         drop_path=dpr[i], norm_layer=norm_layer)
                for i in range(depth)])
            self.norm = norm_layer(embed_dim)
            self.aligner = DeepseekVitAligner(embed_dim, downsample_ratio, out_features) \
                if global_pool == 'align' else None
        self._finish()


class DeepseekVitClassifier(VisionTowerClassifier):
    """Image classifier on the DeepSeek tower; `encoder_pool='align'` pools the projector's tokens. Arguments as for
    `VisionTowerClassifier`, plus those of `DeepseekVitEncoder`."""
    encoder_cls = DeepseekVitEncoder
    pooled_norm = RmsNorm
    groups = dict(stem=r'^encoder\.(?:patch_embed|rope)',
                  blocks=[(r'^encoder\.blocks\.(\d+)', None), (r'^encoder\.(?:norm|aligner)|^norm|^head', (99999,))])


_SOURCE_RENAMES = (('.attn.wqkv.', '.attn.qkv.'), ('.attn.wo.', '.attn.proj.'), ('.mlp.w1.', '.mlp.fc1.'),
                   ('.mlp.w2.', '.mlp.fc2.'), ('aligner.w1.', 'aligner.fc1.'), ('aligner.w2.', 'aligner.fc2.'))


def _encoder_state_dict(state_dict: Dict[str, torch.Tensor], model: DeepseekVitEncoder) -> Dict[str, torch.Tensor]:
    """The tower's tensors from a zoo/timm encoder or classifier checkpoint, or a released DeepSeek checkpoint (shard).

    A release keeps the tower under `vision.` / `aligner.` and the language model at the top level, where its `norm.`
    and `head.` would collide with the tower's own names; unprefixed keys count only without any `vision.` key.
    """
    release = any(k.startswith('vision.') for k in state_dict)
    out = {}
    for key, value in state_dict.items():
        if key.startswith('encoder.'):
            key = key[len('encoder.'):]
        elif release:
            if key.startswith('vision.'):
                key = key[len('vision.'):]
            elif not key.startswith('aligner.'):
                continue  # the language model
        elif not key.startswith(('patch_embed.', 'blocks.', 'norm.', 'aligner.')):
            continue
        if key.startswith('aligner.') and model.aligner is None:
            continue
        for old, new in _SOURCE_RENAMES:
            key = key.replace(old, new)
        if key == 'patch_embed.proj.weight' and value.ndim == 2:
            # a Linear over a flattened (C, p, p) patch is a Conv2d with stride p
            value = value.reshape(value.shape[0], -1, *model.patch_embed.patch_size)
        out[key] = value
    return out


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Load a released DeepSeek checkpoint (its vision tensors; the language model is dropped), a tower checkpoint
    into a classifier (under `encoder.`), or a classifier checkpoint as it is."""
    if isinstance(model, DeepseekVitEncoder):
        return _encoder_state_dict(state_dict, model)
    # a classifier's own `norm.` / `head.` exist only beside an `encoder.` namespace; elsewhere `norm.` is the tower's
    # final norm (or, in a release, the language model's)
    release = any(k.startswith('vision.') for k in state_dict)
    classifier = not release and any(k.startswith('encoder.') for k in state_dict)
    own = {k: v for k, v in state_dict.items() if k.startswith(('norm.', 'head.'))} if classifier else {}
    tower = _encoder_state_dict({k: v for k, v in state_dict.items() if k not in own}, model.encoder)
    return {**{f'encoder.{k}': v for k, v in tower.items()}, **own}


def _cfg(source: str, out_features: int, input_size: Tuple[int, int, int]) -> Dict[str, Any]:
    # RoPE is the only position encoding, so the smallest input is a 9 x 9 patch grid (3 x 3 aligner blocks)
    return dict(hf_hub_id='timm/', input_size=input_size, min_input_size=(3, 126, 126), fixed_input_size=False,
                crop_pct=1.0, crop_mode='border', interpolation='bicubic', mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
                num_classes=0, license='mit', origin_url=f'https://huggingface.co/deepseek-ai/{source}',
                out_features=out_features)


# (architecture, tag): the released VLM the tower comes from, its language-model width and its smallest native
# input (the square grid of its preprocessing's `vision_min_pixels`)
_SOURCES = {
    ('deepseek_vit_412m', 'deepseek_v4_1_flash'): _cfg('DeepSeek-V4.1-Flash', 5120, (3, 546, 546)),
    ('deepseek_vit_412m', 'deepseek_v4_flash_vision_exp'): _cfg('DeepSeek-V4-Flash-Vision-Exp', 4096, (3, 392, 392)),
}

default_cfgs = generate_default_cfgs(tower_cfgs(_SOURCES, '_align'))


def _deepseek_vit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> nn.Module:
    return create_tower(variant, pretrained, kwargs, DeepseekVitEncoder, DeepseekVitClassifier, _SOURCES,
                        checkpoint_filter_fn)


@register_model
def deepseek_vit_412m(pretrained: bool = False, **kwargs: Any) -> DeepseekVitClassifier:
    """Classifier on the DeepSeek-V4 / V4.1 tower (32 x 1024)."""
    return _deepseek_vit('deepseek_vit_412m', pretrained, kwargs)


@register_model
def deepseek_vit_412m_align(pretrained: bool = False, **kwargs: Any) -> DeepseekVitClassifier:
    """Classifier on the DeepSeek tower and its aligner."""
    return _deepseek_vit('deepseek_vit_412m_align', pretrained, kwargs)


@register_model
def deepseek_vit_412m_enc(pretrained: bool = False, **kwargs: Any) -> DeepseekVitEncoder:
    """The DeepSeek tower with its aligner."""
    return _deepseek_vit('deepseek_vit_412m_enc', pretrained, kwargs)
