"""All-MLP vision models: MLP-Mixer, ResMLP, gMLP (and the GLU-gated "gmixer" variants).

Papers:
- MLP-Mixer: "MLP-Mixer: An all-MLP Architecture for Vision", Tolstikhin et al., 2021 (arXiv:2105.01601).
- ResMLP: "ResMLP: Feedforward networks for image classification with data-efficient training", Touvron et al.,
  2021 (arXiv:2105.03404).
- gMLP: "Pay Attention to MLPs", Liu et al., 2021 (arXiv:2105.08050).
- GLU gating (gmixer): "GLU Variants Improve Transformer", Shazeer, 2020 (arXiv:2002.05202).

All share one isotropic pipeline: patch embedding (`stem`), a stack of residual blocks mixing across tokens and
across channels, a final norm, average pooling over tokens and a linear head. The blocks differ in how tokens are
mixed: an MLP over the token axis (Mixer), a single linear over the token axis with affine "norms" and LayerScale
(ResMLP), or a spatial gating unit inside the channel MLP (gMLP). Token mixing acts on a fixed number of patches,
so these models only accept the input size they were built for.

Layer names (`stem.proj`, `blocks.N.{norm1, mlp_tokens, linear_tokens, ls1, norm2, mlp_channels}`, `norm`, `head`)
follow the published checkpoints.
"""
import math
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, IMAGENET_INCEPTION_MEAN, IMAGENET_INCEPTION_STD
from zoo.layers import DropPath, lecun_normal_, to_2tuple
from zoo.layers.mlp import GatedMlp, GluMlp, Mlp
from zoo.layers.patch_embed import PatchEmbed
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['MlpMixer', 'MixerBlock', 'ResBlock', 'SpatialGatingBlock', 'Affine']

# LayerNorm with the eps the JAX Mixer / gMLP weights were trained with
_LayerNorm6 = partial(nn.LayerNorm, eps=1e-6)


def _stochastic_depth(rate: float) -> nn.Module:
    return DropPath(rate) if rate > 0. else nn.Identity()


class _TokenChannelBlock(nn.Module):
    """Two pre-norm residual branches: one mixing across tokens (`norm1`), one across channels (`norm2`).

    Subclasses say what each branch computes; the token branch receives and returns (B, N, C) and transposes
    internally, since its linear layers act on the token axis.
    """
    norm1: nn.Module
    norm2: nn.Module
    drop_path: nn.Module

    def mix_tokens(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def mix_channels(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for norm, branch in ((self.norm1, self.mix_tokens), (self.norm2, self.mix_channels)):
            x = x + self.drop_path(branch(norm(x)))
        return x


class MixerBlock(_TokenChannelBlock):
    """Mixer block: x + token_mlp(norm(x)^T)^T, then x + channel_mlp(norm(x)).

    Args:
        dim: token width (channels).
        seq_len: number of tokens.
        mlp_ratio: hidden ratio (relative to `dim`) of the token MLP and of the channel MLP.
        mlp_layer: MLP class for both mixers.
        norm_layer: norm factory.
        act_layer: MLP activation.
        drop: dropout inside the MLPs.
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            dim: int,
            seq_len: int,
            mlp_ratio: Union[float, Tuple[float, float]] = (0.5, 4.0),
            mlp_layer: Type[nn.Module] = Mlp,
            norm_layer: Callable[[int], nn.Module] = _LayerNorm6,
            act_layer: Type[nn.Module] = nn.GELU,
            drop: float = 0.,
            drop_path: float = 0.,
    ):
        super().__init__()
        # one ratio may serve both MLPs; the paper's (D_S, D_C) = (0.5, 4) x width is the default pair
        hidden = [int(ratio * dim) for ratio in to_2tuple(mlp_ratio)]
        mlp = partial(mlp_layer, act_layer=act_layer, drop=drop)
        self.norm1 = norm_layer(dim)
        self.mlp_tokens = mlp(seq_len, hidden[0])
        self.drop_path = _stochastic_depth(drop_path)
        self.norm2 = norm_layer(dim)
        self.mlp_channels = mlp(dim, hidden[1])

    def mix_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp_tokens(x.transpose(-1, -2)).transpose(-1, -2)

    def mix_channels(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp_channels(x)


class Affine(nn.Module):
    """Per-channel alpha * x + beta: ResMLP's replacement for LayerNorm (no statistics, so no train/test gap)."""

    def __init__(self, dim: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.beta, self.alpha, x)


class ResBlock(_TokenChannelBlock):
    """ResMLP block: a linear over tokens and a channel MLP, each after an Affine and scaled by LayerScale.

    Args:
        dim: token width.
        seq_len: number of tokens.
        mlp_ratio: channel MLP hidden ratio.
        mlp_layer: channel MLP class.
        norm_layer: pre-branch "norm" (Affine in ResMLP).
        act_layer: MLP activation.
        init_values: LayerScale init (smaller for deeper nets, per the ResMLP paper).
        drop: dropout inside the MLP.
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            dim: int,
            seq_len: int,
            mlp_ratio: float = 4,
            mlp_layer: Type[nn.Module] = Mlp,
            norm_layer: Callable[[int], nn.Module] = Affine,
            act_layer: Type[nn.Module] = nn.GELU,
            init_values: float = 1e-4,
            drop: float = 0.,
            drop_path: float = 0.,
    ):
        super().__init__()
        self.init_values = init_values
        self.norm1 = norm_layer(dim)
        self.linear_tokens = nn.Linear(seq_len, seq_len)
        self.drop_path = _stochastic_depth(drop_path)
        self.norm2 = norm_layer(dim)
        self.mlp_channels = mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=drop)
        # bare parameters (not LayerScale modules): the published ResMLP checkpoints store them as `lsN`
        self.ls1 = nn.Parameter(torch.empty(dim))
        self.ls2 = nn.Parameter(torch.empty(dim))
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.constant_(self.ls1, self.init_values)
        nn.init.constant_(self.ls2, self.init_values)

    def mix_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.ls1 * self.linear_tokens(x.transpose(-1, -2)).transpose(-1, -2)

    def mix_channels(self, x: torch.Tensor) -> torch.Tensor:
        return self.ls2 * self.mlp_channels(x)


class SpatialGatingUnit(nn.Module):
    """gMLP gate: split channels into (u, v); u * linear_over_tokens(norm(v)).

    Args:
        dim: input width (output is dim // 2).
        seq_len: number of tokens.
        norm_layer: norm on the gating half (PyTorch-default eps, as the published gMLP weights use).
    """

    def __init__(self, dim: int, seq_len: int, norm_layer: Callable[[int], nn.Module] = nn.LayerNorm):
        super().__init__()
        self.norm = norm_layer(dim // 2)
        self.proj = nn.Linear(seq_len, seq_len)

    def init_weights(self) -> None:
        # near-identity gate at init (weights ~0, bias 1), so each block starts close to a plain MLP (gMLP 3.1)
        nn.init.normal_(self.proj.weight, std=1e-6)
        nn.init.ones_(self.proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, v = x.chunk(2, dim=-1)
        v = self.proj(self.norm(v).transpose(-1, -2))
        return u * v.transpose(-1, -2)


class SpatialGatingBlock(nn.Module):
    """gMLP block: x + gated_mlp(norm(x)) with a SpatialGatingUnit between the two channel projections.

    Args:
        dim: token width.
        seq_len: number of tokens.
        mlp_ratio: channel MLP hidden ratio (before gating halves it).
        mlp_layer: gated MLP class.
        norm_layer: pre-branch norm.
        act_layer: MLP activation.
        drop: dropout inside the MLP.
        drop_path: stochastic depth rate.
    """

    def __init__(
            self,
            dim: int,
            seq_len: int,
            mlp_ratio: float = 4,
            mlp_layer: Type[nn.Module] = GatedMlp,
            norm_layer: Callable[[int], nn.Module] = _LayerNorm6,
            act_layer: Type[nn.Module] = nn.GELU,
            drop: float = 0.,
            drop_path: float = 0.,
    ):
        super().__init__()
        self.norm = norm_layer(dim)
        self.mlp_channels = mlp_layer(dim, int(dim * mlp_ratio), act_layer=act_layer,
                                      gate_layer=partial(SpatialGatingUnit, seq_len=seq_len), drop=drop)
        self.drop_path = _stochastic_depth(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self.mlp_channels(self.norm(x)))


def _isotropic_stack(depth: int, make_block: Callable[[], nn.Module]) -> CheckpointSequential:
    """`depth` identical blocks. Unlike ViTs these models use one stochastic-depth rate for every block (the
    reference configs have no linear ramp), and every block mixes the same fixed number of tokens."""
    return CheckpointSequential(*(make_block() for _ in range(depth)))


def _block_feature_info(depth: int, dim: int, reduction: int) -> List[Dict[str, Any]]:
    return [dict(module=f'blocks.{i}', num_chs=dim, reduction=reduction) for i in range(depth)]


def _check_pool(global_pool: str) -> str:
    if global_pool not in ('', 'avg'):
        raise ValueError(f"MlpMixer supports global_pool 'avg' or '', got {global_pool!r}.")
    return global_pool


def _linear_head(in_features: int, num_classes: int) -> nn.Module:
    return nn.Linear(in_features, num_classes) if num_classes > 0 else nn.Identity()


def _init_mixer_module(module: nn.Module, name: str, head_bias: float = 0.) -> None:
    # zero head, xavier linears with tiny MLP biases, lecun-normal patch conv: the MLP-Mixer reference init
    if isinstance(module, nn.Linear):
        if name.startswith('head'):
            nn.init.zeros_(module.weight)
            nn.init.constant_(module.bias, head_bias)
        else:
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                if 'mlp' in name:
                    nn.init.normal_(module.bias, std=1e-6)
                else:
                    nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv2d):
        lecun_normal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif hasattr(module, 'init_weights'):
        # runs after the children (depth-first), so a block's own init (e.g. the gate) wins
        module.init_weights()


class MlpMixer(ZooModel):
    """Patch embedding -> isotropic MLP blocks -> norm -> token average -> linear head.

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        img_size: input size (fixed: token mixing depends on the number of patches).
        in_chans: input image channels.
        patch_size: patch side.
        num_blocks: number of blocks.
        embed_dim: token width.
        mlp_ratio: MLP hidden ratio(s) passed to each block.
        block_layer: block class (MixerBlock, ResBlock, SpatialGatingBlock or a partial of one).
        mlp_layer: MLP class used by the blocks.
        norm_layer: norm factory for blocks and the final norm.
        act_layer: MLP activation.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout inside MLPs.
        drop_path_rate: stochastic depth rate (the same for every block, as in the reference models).
        nlhb: initialise the head bias to -log(num_classes).
        stem_norm: norm the patch embeddings.
        global_pool: 'avg' or '' (no pooling).
    """
    trunk = Trunk(stem=('stem',), levels='blocks', final=('norm',), level_fmt='NLC')
    norm_levels = 'all'
    classifier_name = 'head'
    groups = dict(stem=r'^stem', blocks=[(r'^blocks\.(\d+)', None), (r'^norm', (99999,))])


    def __init__(
            self,
            num_classes: int = 1000,
            img_size: Union[int, Tuple[int, int]] = 224,
            in_chans: int = 3,
            patch_size: int = 16,
            num_blocks: int = 8,
            embed_dim: int = 512,
            mlp_ratio: Union[float, Tuple[float, float]] = (0.5, 4.0),
            block_layer: Callable[..., nn.Module] = MixerBlock,
            mlp_layer: Type[nn.Module] = Mlp,
            norm_layer: Callable[[int], nn.Module] = _LayerNorm6,
            act_layer: Type[nn.Module] = nn.GELU,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            nlhb: bool = False,
            stem_norm: bool = False,
            global_pool: str = 'avg',
    ):
        super().__init__()
        self.num_classes = num_classes
        self.global_pool = _check_pool(global_pool)
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim

        self.stem = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim,
                               norm_layer=norm_layer if stem_norm else None)
        self.blocks = _isotropic_stack(
            num_blocks, partial(block_layer, embed_dim, self.stem.num_patches, mlp_ratio, mlp_layer=mlp_layer,
                                norm_layer=norm_layer, act_layer=act_layer, drop=proj_drop_rate,
                                drop_path=drop_path_rate))
        self.feature_info = _block_feature_info(num_blocks, embed_dim, self.stem.feat_ratio())
        self.norm = norm_layer(embed_dim)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = _linear_head(embed_dim, num_classes)
        self.init_weights(nlhb=nlhb)

    @torch.jit.ignore
    def init_weights(self, nlhb: bool = False) -> None:
        head_bias = -math.log(self.num_classes) if nlhb and self.num_classes > 0 else 0.
        named_apply(partial(_init_mixer_module, head_bias=head_bias), self)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            self.global_pool = _check_pool(global_pool)
        self.head = _linear_head(self.embed_dim, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        # `blocks` checkpoints itself when set_grad_checkpointing() is on
        return self.norm(self.blocks(self.stem(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.global_pool == 'avg':
            x = x.mean(dim=1)
        x = self.head_drop(x)
        return x if pre_logits else self.head(x)

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        h, w = self.stem.dynamic_feat_size(input_hw)
        return x.reshape(x.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    def _replace_head(self, in_features: int) -> None:
        self._reset_head(0, '')


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the facebookresearch/deit ResMLP layout (patch_embed / attn / mlp / gamma_N, flat affine params)."""
    if 'patch_embed.proj.weight' not in state_dict:
        return state_dict
    renames = (('patch_embed.', 'stem.'), ('attn.', 'linear_tokens.'), ('mlp.', 'mlp_channels.'), ('gamma_', 'ls'))
    out = {}
    for key, value in state_dict.items():
        for old, new in renames:
            key = key.replace(old, new)
        if key.endswith(('.alpha', '.beta')):
            value = value.reshape(1, 1, -1)
        out[key] = value
    return out


def _create_mixer(variant: str, pretrained: bool = False, **kwargs) -> MlpMixer:
    # timm's features_only default for these isotropic models is the last three blocks
    return build_model_with_cfg(MlpMixer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _mixer(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> MlpMixer:
    return _create_mixer(variant, pretrained, **dict(model_args, **kwargs))


def _mcfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), fixed_input_size=True, interpolation='bicubic',
               crop_pct=0.875, mean=IMAGENET_INCEPTION_MEAN, std=IMAGENET_INCEPTION_STD, first_conv='stem.proj',
               classifier='head', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'mixer_s32_224.untrained': _mcfg(hf_hub_id=None),
    'mixer_s16_224.untrained': _mcfg(hf_hub_id=None),
    'mixer_b32_224.untrained': _mcfg(hf_hub_id=None),
    'mixer_b16_224.goog_in21k_ft_in1k': _mcfg(),
    'mixer_b16_224.goog_in21k': _mcfg(num_classes=21843),
    'mixer_b16_224.miil_in21k': _mcfg(num_classes=11221, interpolation='bilinear', mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'mixer_b16_224.miil_in21k_ft_in1k': _mcfg(interpolation='bilinear', mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
    'mixer_l32_224.untrained': _mcfg(hf_hub_id=None),
    'mixer_l16_224.goog_in21k_ft_in1k': _mcfg(),
    'mixer_l16_224.goog_in21k': _mcfg(num_classes=21843),
    'gmixer_12_224.untrained': _mcfg(hf_hub_id=None, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'gmixer_24_224.ra3_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_12_224.fb_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_12_224.fb_distilled_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_12_224.fb_dino': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_24_224.fb_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_24_224.fb_distilled_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_24_224.fb_dino': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_36_224.fb_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_36_224.fb_distilled_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_big_24_224.fb_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_big_24_224.fb_distilled_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'resmlp_big_24_224.fb_in22k_ft_in1k': _mcfg(mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD),
    'gmlp_ti16_224.untrained': _mcfg(hf_hub_id=None),
    'gmlp_s16_224.ra3_in1k': _mcfg(),
    'gmlp_b16_224.untrained': _mcfg(hf_hub_id=None),
})

_RESMLP = dict(patch_size=16, embed_dim=384, mlp_ratio=4, norm_layer=Affine)
_GMLP = dict(patch_size=16, num_blocks=30, mlp_ratio=6, block_layer=SpatialGatingBlock, mlp_layer=GatedMlp)
_GMIXER = dict(patch_size=16, embed_dim=384, mlp_ratio=(1.0, 4.0), mlp_layer=GluMlp, act_layer=nn.SiLU)

@register_model
def mixer_s32_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """MLP-Mixer-S/32."""
    return _mixer('mixer_s32_224', pretrained, dict(patch_size=32, num_blocks=8, embed_dim=512), kwargs)


@register_model
def mixer_s16_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """MLP-Mixer-S/16."""
    return _mixer('mixer_s16_224', pretrained, dict(patch_size=16, num_blocks=8, embed_dim=512), kwargs)


@register_model
def mixer_b32_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """MLP-Mixer-B/32."""
    return _mixer('mixer_b32_224', pretrained, dict(patch_size=32, num_blocks=12, embed_dim=768), kwargs)


@register_model
def mixer_b16_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """MLP-Mixer-B/16."""
    return _mixer('mixer_b16_224', pretrained, dict(patch_size=16, num_blocks=12, embed_dim=768), kwargs)


@register_model
def mixer_l32_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """MLP-Mixer-L/32."""
    return _mixer('mixer_l32_224', pretrained, dict(patch_size=32, num_blocks=24, embed_dim=1024), kwargs)


@register_model
def mixer_l16_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """MLP-Mixer-L/16."""
    return _mixer('mixer_l16_224', pretrained, dict(patch_size=16, num_blocks=24, embed_dim=1024), kwargs)


@register_model
def gmixer_12_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """Mixer with SiLU-GLU MLPs, 12 blocks (timm experiment)."""
    return _mixer('gmixer_12_224', pretrained, dict(num_blocks=12, **_GMIXER), kwargs)


@register_model
def gmixer_24_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """Mixer with SiLU-GLU MLPs, 24 blocks (timm experiment)."""
    return _mixer('gmixer_24_224', pretrained, dict(num_blocks=24, **_GMIXER), kwargs)


@register_model
def resmlp_12_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """ResMLP-12."""
    return _mixer('resmlp_12_224', pretrained, dict(num_blocks=12, block_layer=ResBlock, **_RESMLP), kwargs)


@register_model
def resmlp_24_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """ResMLP-24."""
    return _mixer('resmlp_24_224', pretrained,
                  dict(num_blocks=24, block_layer=partial(ResBlock, init_values=1e-5), **_RESMLP), kwargs)


@register_model
def resmlp_36_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """ResMLP-36."""
    return _mixer('resmlp_36_224', pretrained,
                  dict(num_blocks=36, block_layer=partial(ResBlock, init_values=1e-6), **_RESMLP), kwargs)


@register_model
def resmlp_big_24_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """ResMLP-B24/8."""
    model_args = dict(patch_size=8, num_blocks=24, embed_dim=768, mlp_ratio=4,
                      block_layer=partial(ResBlock, init_values=1e-6), norm_layer=Affine)
    return _mixer('resmlp_big_24_224', pretrained, model_args, kwargs)


@register_model
def gmlp_ti16_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """gMLP-Ti."""
    return _mixer('gmlp_ti16_224', pretrained, dict(embed_dim=128, **_GMLP), kwargs)


@register_model
def gmlp_s16_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """gMLP-S."""
    return _mixer('gmlp_s16_224', pretrained, dict(embed_dim=256, **_GMLP), kwargs)


@register_model
def gmlp_b16_224(pretrained: bool = False, **kwargs) -> MlpMixer:
    """gMLP-B."""
    return _mixer('gmlp_b16_224', pretrained, dict(embed_dim=512, **_GMLP), kwargs)

