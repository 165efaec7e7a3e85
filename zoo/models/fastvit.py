"""FastViT and the MobileCLIP image encoders: a hybrid conv / attention backbone built for structural
re-parameterisation.

Papers: "FastViT: A Fast Hybrid Vision Transformer using Structural Reparameterization", Vasu et al., ICCV 2023
(arXiv:2303.14189); "MobileCLIP: Fast Image-Text Models through Multi-Modal Reinforced Training", Vasu et al., CVPR
2024 (arXiv:2311.17049); "MobileCLIP2: Improving Multi-Modal Reinforced Training" (arXiv:2508.20691).

The network is a MetaFormer over NCHW maps. A stride-4 stem of MobileOne blocks (arXiv:2206.04040), then stages whose
token mixer is either RepMixer (a depthwise conv minus its BN-only twin, scaled and added to the input; one depthwise
conv at inference) or multi-head self-attention after a norm (the last stage(s) of the SA / MA / MCi models, preceded
by a re-parameterisable conditional position encoding, CPVT arXiv:2102.10882). Every block has a conv FFN (7x7
depthwise conv-BN, then two 1x1 convs). Stages are joined by a large-kernel depthwise conv with a parallel 3x3 branch
(RepLKNet, arXiv:2203.06717) followed by a 1x1 MobileOne block; a depthwise MobileOne block with squeeze-excite widens
the last stage before the classifier.

`reparameterize()` on each block (or `zoo.models.reparameterize_model` on the model) folds every parallel branch into
one biased conv (`reparam_conv`); the folded state_dict has the keys of timm's re-parameterised model, and
`inference_mode=True` builds that folded layout directly. The MCi models are the MobileCLIP image towers: their
"classifier" is the CLIP projection (512 or 768 outputs).
"""
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.layers import DropPath, LayerType, trunc_normal_
from zoo.layers.activations import get_act_layer
from zoo.layers.attention import Attention
from zoo.layers.classifier import ClassifierHead
from zoo.layers.conv_bn_act import ConvNormAct
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.layer_scale import LayerScale
from zoo.layers.norm import LayerNorm2d
from zoo.layers.rep_branches import fold_conv_bn_branches
from zoo.layers.squeeze_excite import SEModule
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import fuse_conv_bn, identity_kernel

__all__ = ['FastVit', 'MobileOneBlock', 'ReparamLargeKernelConv', 'RepMixer', 'RepConditionalPosEnc']

_OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
_OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _groups(group_size: int, channels: int) -> int:
    """Conv groups for `group_size` channels per group (0: a dense conv, 1: depthwise)."""
    if not group_size:
        return 1
    if channels % group_size:
        raise ValueError(f'group_size {group_size} does not divide {channels} channels.')
    return channels // group_size


def _conv_bn(in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, groups: int = 1) -> ConvNormAct:
    return ConvNormAct(in_chs, out_chs, kernel_size, stride=stride, groups=groups, apply_act=False)


def _biased_conv(in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """The single conv a re-parameterisable module folds into (symmetric padding, like its training-time branches)."""
    return create_conv2d(in_chs, out_chs, kernel_size, stride=stride, groups=groups, bias=True)


def _install(conv: nn.Conv2d, kernel: torch.Tensor, bias: torch.Tensor) -> nn.Conv2d:
    with torch.no_grad():
        conv.weight.copy_(kernel)
        conv.bias.copy_(bias)
    return conv


class ChannelScale(LayerScale):
    """LayerScale over NCHW maps with `gamma` stored as (C, 1, 1), the layout of the published FastViT weights."""

    def __init__(self, dim: int, init_values: float = 1e-5):
        super().__init__(dim, init_values)
        self.gamma = nn.Parameter(self.gamma.detach().reshape(dim, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class MobileOneBlock(nn.Module):
    """`num_conv_branches` kxk conv-BN + an optional 1x1 conv-BN "scale" branch + a BN identity branch (when the
    shapes allow), summed, then squeeze-excite and activation (MobileOne, arXiv:2206.04040).

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: kernel of the conv branches.
        stride: stride of the conv branches.
        group_size: channels per conv group (0: dense, 1: depthwise).
        inference_mode: build the folded single conv (`reparam_conv`) directly.
        use_se: squeeze-excite (reduction 1/16, no rounding) after the branch sum.
        use_act: apply `act_layer` at the end.
        use_scale_branch: add the 1x1 branch (only when kernel_size > 1).
        num_conv_branches: number of parallel kxk branches (0 leaves only the identity / scale branches).
        act_layer: activation.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int,
            stride: int = 1,
            group_size: int = 0,
            inference_mode: bool = False,
            use_se: bool = False,
            use_act: bool = True,
            use_scale_branch: bool = True,
            num_conv_branches: int = 1,
            act_layer: LayerType = nn.GELU,
    ):
        super().__init__()
        self.in_chs, self.out_chs, self.kernel_size, self.stride = in_chs, out_chs, kernel_size, stride
        self.groups = _groups(group_size, in_chs)
        self.se = SEModule(out_chs, rd_divisor=1) if use_se else nn.Identity()
        if inference_mode:
            self.reparam_conv = _biased_conv(in_chs, out_chs, kernel_size, stride, self.groups)
        else:
            self.reparam_conv = None
            self.identity = nn.BatchNorm2d(in_chs) if in_chs == out_chs and stride == 1 else None
            self.conv_kxk = nn.ModuleList([
                _conv_bn(in_chs, out_chs, kernel_size, stride, self.groups) for _ in range(num_conv_branches)
            ]) if num_conv_branches > 0 else None
            self.conv_scale = _conv_bn(in_chs, out_chs, 1, stride, self.groups) \
                if kernel_size > 1 and use_scale_branch else None
        self.act = get_act_layer(act_layer)() if use_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reparam_conv is not None:
            return self.act(self.se(self.reparam_conv(x)))
        out = self.identity(x) if self.identity is not None else None
        branches = list(self.conv_kxk or []) + ([self.conv_scale] if self.conv_scale is not None else [])
        for branch in branches:
            out = branch(x) if out is None else out + branch(x)
        return self.act(self.se(out))

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the branches into `reparam_conv` (equal in eval mode) and drop them."""
        if self.reparam_conv is not None:
            return
        branches = [(b.conv, b.bn) for b in list(self.conv_kxk or []) + [self.conv_scale] if b is not None]
        if branches:
            conv = fold_conv_bn_branches(branches, self.identity)
        else:  # identity only (RepMixer's reference branch)
            ref = _biased_conv(self.in_chs, self.out_chs, self.kernel_size, self.stride, self.groups).to(
                self.identity.weight)
            kernel = identity_kernel(self.in_chs, self.groups, ref.kernel_size, ref.weight)
            conv = _install(ref, *fuse_conv_bn(kernel, self.identity))
        del self.identity, self.conv_kxk, self.conv_scale
        self.reparam_conv = conv


class ReparamLargeKernelConv(nn.Module):
    """A large-kernel conv-BN with a parallel small-kernel conv-BN (RepLKNet, arXiv:2203.06717), then squeeze-excite
    and an optional activation.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        kernel_size: the large kernel.
        stride: stride of both branches.
        group_size: channels per group (1: depthwise).
        small_kernel: kernel of the parallel branch; None for none.
        use_se: squeeze-excite (reduction 1/4) after the sum.
        act_layer: activation at the end; None for none (the original FastViT weights were trained without).
        inference_mode: build the folded conv directly.
    """

    def __init__(
            self,
            in_chs: int,
            out_chs: int,
            kernel_size: int,
            stride: int,
            group_size: int,
            small_kernel: Optional[int] = None,
            use_se: bool = False,
            act_layer: Optional[LayerType] = None,
            inference_mode: bool = False,
    ):
        super().__init__()
        groups = _groups(group_size, in_chs)
        if small_kernel is not None and small_kernel > kernel_size:
            raise ValueError(f'small_kernel {small_kernel} must not exceed kernel_size {kernel_size}.')
        if inference_mode:
            self.reparam_conv = _biased_conv(in_chs, out_chs, kernel_size, stride, groups)
        else:
            self.reparam_conv = None
            self.large_conv = _conv_bn(in_chs, out_chs, kernel_size, stride, groups)
            self.small_conv = _conv_bn(in_chs, out_chs, small_kernel, stride, groups) if small_kernel else None
        self.se = SEModule(out_chs, rd_ratio=0.25) if use_se else nn.Identity()
        self.act = get_act_layer(act_layer)() if act_layer is not None else nn.Identity()

    def _branches(self) -> List[nn.Module]:
        """The parallel conv-BN branches (large kernel first), or the one conv `reparameterize` folded them into."""
        if self.reparam_conv is not None:
            return [self.reparam_conv]
        return [branch for branch in (self.large_conv, self.small_conv) if branch is not None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.se(sum(branch(x) for branch in self._branches())))

    @torch.no_grad()
    def reparameterize(self) -> None:
        if self.reparam_conv is not None:
            return
        self.reparam_conv = fold_conv_bn_branches([(branch.conv, branch.bn) for branch in self._branches()])
        del self.large_conv, self.small_conv


class RepMixer(nn.Module):
    """x + gamma * (DWConvBN(x) - BN(x)): spatial mixing whose BN-only reference branch removes the identity that the
    conv branch would otherwise double; at inference one depthwise conv (FastViT, section 3.2.1).

    Args:
        dim: channels.
        kernel_size: depthwise kernel.
        layer_scale_init_value: initial gamma; None for no scaling.
        inference_mode: build the folded conv directly.
    """

    def __init__(self, dim: int, kernel_size: int = 3, layer_scale_init_value: Optional[float] = 1e-5,
                 inference_mode: bool = False):
        super().__init__()
        self.dim, self.kernel_size = dim, kernel_size
        if inference_mode:
            self.reparam_conv = _biased_conv(dim, dim, kernel_size, groups=dim)
        else:
            self.reparam_conv = None
            self.norm = MobileOneBlock(dim, dim, kernel_size, group_size=1, use_act=False, use_scale_branch=False,
                                       num_conv_branches=0)
            self.mixer = MobileOneBlock(dim, dim, kernel_size, group_size=1, use_act=False)
            self.layer_scale = ChannelScale(dim, layer_scale_init_value) \
                if layer_scale_init_value is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reparam_conv is not None:
            return self.reparam_conv(x)
        return x + self.layer_scale(self.mixer(x) - self.norm(x))

    @torch.no_grad()
    def reparameterize(self) -> None:
        if self.reparam_conv is not None:
            return
        self.mixer.reparameterize()
        self.norm.reparameterize()
        mixer, norm = self.mixer.reparam_conv, self.norm.reparam_conv
        kernel, bias = mixer.weight - norm.weight, mixer.bias - norm.bias
        if isinstance(self.layer_scale, ChannelScale):
            gamma = self.layer_scale.gamma.reshape(-1)
            kernel, bias = kernel * gamma.reshape(-1, 1, 1, 1), bias * gamma
        kernel = kernel + identity_kernel(self.dim, self.dim, mixer.kernel_size, mixer.weight).to(kernel)
        self.reparam_conv = _install(_biased_conv(self.dim, self.dim, self.kernel_size, groups=self.dim).to(mixer.weight),
                                     kernel, bias)
        del self.mixer, self.norm, self.layer_scale


class RepConditionalPosEnc(nn.Module):
    """Conditional position encoding x + DWConv(x) (CPVT, arXiv:2102.10882), foldable into one depthwise conv.

    Args:
        dim: input channels.
        dim_out: output channels (a multiple of dim; defaults to dim).
        spatial_shape: kernel size.
        inference_mode: build the folded conv directly.
    """

    def __init__(self, dim: int, dim_out: Optional[int] = None, spatial_shape: Tuple[int, int] = (7, 7),
                 inference_mode: bool = False):
        super().__init__()
        if isinstance(spatial_shape, int):
            spatial_shape = (spatial_shape, spatial_shape)
        self.dim, self.dim_out, self.spatial_shape = dim, dim_out or dim, tuple(spatial_shape)
        conv = nn.Conv2d(dim, self.dim_out, self.spatial_shape, padding=self.spatial_shape[0] // 2, groups=dim)
        if inference_mode:
            self.reparam_conv = conv
        else:
            self.reparam_conv = None
            self.pos_enc = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reparam_conv is not None:
            return self.reparam_conv(x)
        return self.pos_enc(x) + x

    @torch.no_grad()
    def reparameterize(self) -> None:
        if self.reparam_conv is not None:
            return
        conv = self.pos_enc
        kernel = conv.weight + identity_kernel(self.dim, self.dim, self.spatial_shape, conv.weight).to(conv.weight)
        folded = nn.Conv2d(self.dim, self.dim_out, self.spatial_shape, padding=self.spatial_shape[0] // 2,
                           groups=self.dim).to(conv.weight)
        self.reparam_conv = _install(folded, kernel, conv.bias)
        del self.pos_enc


class MapAttention(Attention):
    """Multi-head self-attention over the H * W positions of an NCHW map (heads of `head_dim` channels)."""

    def __init__(self, dim: int, head_dim: int = 32, qkv_bias: bool = False, attn_drop: float = 0.,
                 proj_drop: float = 0.):
        if dim % head_dim:
            raise ValueError(f'dim {dim} must be a multiple of head_dim {head_dim}.')
        super().__init__(dim, num_heads=dim // head_dim, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=proj_drop)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, c, h, w = x.shape
        x = super().forward(x.flatten(2).transpose(1, 2), attn_mask)
        return x.transpose(1, 2).reshape(b, c, h, w)


class ConvMlp(nn.Module):
    """7x7 depthwise conv-BN, then 1x1 expand -> act -> 1x1 project (the FastViT FFN)."""

    def __init__(self, in_chs: int, hidden_chs: int, act_layer: LayerType = nn.GELU, drop: float = 0.):
        super().__init__()
        self.conv = _conv_bn(in_chs, in_chs, 7, groups=in_chs)
        self.fc1 = nn.Conv2d(in_chs, hidden_chs, 1)
        self.act = get_act_layer(act_layer)()
        self.fc2 = nn.Conv2d(hidden_chs, in_chs, 1)
        self.drop = nn.Dropout(drop)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.fc1(self.conv(x))))
        return self.drop(self.fc2(x))


def _scale(dim: int, init_values: Optional[float]) -> nn.Module:
    return ChannelScale(dim, init_values) if init_values is not None else nn.Identity()


def _drop_path(rate: float) -> nn.Module:
    return DropPath(rate) if rate > 0. else nn.Identity()


class RepMixerBlock(nn.Module):
    """RepMixer token mixing, then a scaled conv-FFN residual."""

    def __init__(self, dim: int, kernel_size: int = 3, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 proj_drop: float = 0., drop_path: float = 0., layer_scale_init_value: Optional[float] = 1e-5,
                 inference_mode: bool = False):
        super().__init__()
        self.token_mixer = RepMixer(dim, kernel_size, layer_scale_init_value, inference_mode)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio), act_layer, proj_drop)
        self.layer_scale = _scale(dim, layer_scale_init_value)
        self.drop_path = _drop_path(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.token_mixer(x)
        return x + self.drop_path(self.layer_scale(self.mlp(x)))


class AttentionBlock(nn.Module):
    """Pre-norm self-attention and conv-FFN residuals, each scaled."""

    def __init__(self, dim: int, mlp_ratio: float = 4., act_layer: LayerType = nn.GELU,
                 norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d, proj_drop: float = 0.,
                 drop_path: float = 0., layer_scale_init_value: Optional[float] = 1e-5):
        super().__init__()
        self.norm = norm_layer(dim)
        self.token_mixer = MapAttention(dim)
        self.layer_scale_1 = _scale(dim, layer_scale_init_value)
        self.drop_path1 = _drop_path(drop_path)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio), act_layer, proj_drop)
        self.layer_scale_2 = _scale(dim, layer_scale_init_value)
        self.drop_path2 = _drop_path(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.layer_scale_1(self.token_mixer(self.norm(x))))
        return x + self.drop_path2(self.layer_scale_2(self.mlp(x)))


class PatchEmbed(nn.Module):
    """Stage transition: a strided large-kernel depthwise conv (with a 3x3 branch), then a 1x1 MobileOne block."""

    def __init__(self, patch_size: int, stride: int, in_chs: int, embed_dim: int, act_layer: LayerType = nn.GELU,
                 lkc_use_act: bool = False, use_se: bool = False, inference_mode: bool = False):
        super().__init__()
        self.proj = nn.Sequential(
            ReparamLargeKernelConv(in_chs, embed_dim, patch_size, stride, group_size=1, small_kernel=3, use_se=use_se,
                                   act_layer=act_layer if lkc_use_act else None, inference_mode=inference_mode),
            MobileOneBlock(embed_dim, embed_dim, 1, act_layer=act_layer, inference_mode=inference_mode),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class FastVitStage(nn.Module):
    """Optional downsampling patch embed, optional conditional position encoding, then the stage's blocks."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(
            self,
            dim: int,
            dim_out: int,
            depth: int,
            token_mixer_type: str,
            downsample: bool,
            se_downsample: bool,
            down_patch_size: int,
            down_stride: int,
            use_pos_emb: bool,
            kernel_size: int,
            mlp_ratio: float,
            act_layer: LayerType,
            norm_layer: Callable[[int], nn.Module],
            proj_drop_rate: float,
            drop_path_rates: Sequence[float],
            layer_scale_init_value: Optional[float],
            lkc_use_act: bool,
            inference_mode: bool,
    ):
        super().__init__()
        if not downsample and dim != dim_out:
            raise ValueError(f'A stage without downsampling keeps its width ({dim} != {dim_out}).')
        self.downsample = PatchEmbed(down_patch_size, down_stride, dim, dim_out, act_layer, lkc_use_act,
                                     se_downsample, inference_mode) if downsample else nn.Identity()
        self.pos_emb = RepConditionalPosEnc(dim_out, inference_mode=inference_mode) if use_pos_emb else nn.Identity()
        if token_mixer_type == 'repmixer':
            blocks = [RepMixerBlock(dim_out, kernel_size, mlp_ratio, act_layer, proj_drop_rate, rate,
                                    layer_scale_init_value, inference_mode) for rate in drop_path_rates]
        elif token_mixer_type == 'attention':
            blocks = [AttentionBlock(dim_out, mlp_ratio, act_layer, norm_layer, proj_drop_rate, rate,
                                     layer_scale_init_value) for rate in drop_path_rates]
        else:
            raise ValueError(f"token_mixer_type must be 'repmixer' or 'attention', got {token_mixer_type!r}.")
        self.blocks = CheckpointSequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pos_emb(self.downsample(x))
        return self.blocks(x)


def _stem(in_chs: int, out_chs: int, act_layer: LayerType, inference_mode: bool,
          use_scale_branch: bool) -> nn.Sequential:
    """Stride 4: dense 3x3 s2, depthwise 3x3 s2, pointwise, each a MobileOne block."""
    kw = dict(act_layer=act_layer, inference_mode=inference_mode, use_scale_branch=use_scale_branch)
    return nn.Sequential(
        MobileOneBlock(in_chs, out_chs, 3, stride=2, **kw),
        MobileOneBlock(out_chs, out_chs, 3, stride=2, group_size=1, **kw),
        MobileOneBlock(out_chs, out_chs, 1, **kw),
    )


def _build_stages(embed_dims: Sequence[int], **kw: Any) -> Tuple[nn.Sequential, List[Dict[str, Any]]]:
    """The stages and their feature_info; stochastic depth rises linearly over all blocks."""
    layers, downsamples = kw.pop('layers'), kw.pop('downsamples')
    per_stage = {k: kw.pop(k) for k in ('token_mixers', 'mlp_ratios', 'se_downsamples', 'pos_embs')}
    rates = stagewise_drop_path_rates(kw.pop('drop_path_rate'), layers)
    stages, info, prev, reduction = [], [], embed_dims[0], 4
    for i, depth in enumerate(layers):
        downsample = downsamples[i] or prev != embed_dims[i]
        stages.append(FastVitStage(
            prev, embed_dims[i], depth, per_stage['token_mixers'][i], downsample, per_stage['se_downsamples'][i],
            use_pos_emb=bool(per_stage['pos_embs'][i]), mlp_ratio=per_stage['mlp_ratios'][i],
            drop_path_rates=rates[i], **kw))
        reduction *= 2 if downsample else 1
        prev = embed_dims[i]
        info.append(dict(num_chs=prev, reduction=reduction, module=f'stages.{i}'))
    return nn.Sequential(*stages), info


class FastVit(ZooModel):
    """FastViT / MobileCLIP image encoder.

    Args:
        in_chans: input image channels.
        layers: blocks per stage.
        token_mixers: 'repmixer' or 'attention' per stage.
        embed_dims: width per stage.
        mlp_ratios: FFN expansion per stage.
        downsamples: downsample into each stage (a width change always downsamples).
        se_downsamples: squeeze-excite in each stage's downsampling conv.
        repmixer_kernel_size: RepMixer depthwise kernel.
        num_classes: classifier outputs; 0 removes the classifier.
        pos_embs: per stage, whether a conditional position encoding precedes the blocks.
        down_patch_size: kernel of the downsampling conv.
        down_stride: stride of the downsampling conv.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout in the FFNs.
        drop_path_rate: stochastic depth of the last block.
        layer_scale_init_value: LayerScale init; None disables it.
        lkc_use_act: activation after the downsampling large-kernel conv (the MCi models).
        stem_use_scale_branch: 1x1 branches in the stem blocks.
        cls_ratio: width of the final conv relative to the last stage.
        global_pool: classifier pooling ('' with num_classes=0 for unpooled maps).
        norm_layer: norm before self-attention.
        act_layer: activation.
        inference_mode: build every re-parameterisable module folded.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('final_conv',), final_is_norm=False)
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem',
                  blocks=[(r'^stages\.(\d+).downsample', (0,)), (r'^stages\.(\d+).pos_emb', (0,)),
                          (r'^stages\.(\d+)\.\w+\.(\d+)', None)],
                  coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            layers: Sequence[int] = (2, 2, 6, 2),
            token_mixers: Sequence[str] = ('repmixer',) * 4,
            embed_dims: Sequence[int] = (64, 128, 256, 512),
            mlp_ratios: Sequence[float] = (4.,) * 4,
            downsamples: Sequence[bool] = (False, True, True, True),
            se_downsamples: Sequence[bool] = (False,) * 4,
            repmixer_kernel_size: int = 3,
            num_classes: int = 1000,
            pos_embs: Sequence[bool] = (False,) * 4,
            down_patch_size: int = 7,
            down_stride: int = 2,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            layer_scale_init_value: Optional[float] = 1e-5,
            lkc_use_act: bool = False,
            stem_use_scale_branch: bool = True,
            cls_ratio: float = 2.,
            global_pool: str = 'avg',
            norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
            act_layer: LayerType = nn.GELU,
            inference_mode: bool = False,
    ):
        super().__init__()
        per_stage = dict(token_mixers=token_mixers, mlp_ratios=mlp_ratios, downsamples=downsamples,
                         se_downsamples=se_downsamples, pos_embs=pos_embs, embed_dims=embed_dims)
        wrong = {k: len(v) for k, v in per_stage.items() if len(v) != len(layers)}
        if wrong:
            raise ValueError(f'{len(layers)} stages (layers={tuple(layers)}) but per-stage settings of lengths {wrong}.')
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.stem = _stem(in_chans, embed_dims[0], act_layer, inference_mode, stem_use_scale_branch)
        self.stages, self.feature_info = _build_stages(
            layers=layers, downsamples=downsamples, token_mixers=token_mixers, mlp_ratios=mlp_ratios,
            se_downsamples=se_downsamples, pos_embs=pos_embs, drop_path_rate=drop_path_rate, embed_dims=embed_dims,
            down_patch_size=down_patch_size, down_stride=down_stride, kernel_size=repmixer_kernel_size,
            act_layer=act_layer, norm_layer=norm_layer, proj_drop_rate=proj_drop_rate,
            layer_scale_init_value=layer_scale_init_value, lkc_use_act=lkc_use_act, inference_mode=inference_mode)
        self.num_features = self.head_hidden_size = int(embed_dims[-1] * cls_ratio)
        self.final_conv = MobileOneBlock(embed_dims[-1], self.num_features, 3, group_size=1, use_se=True,
                                         act_layer=act_layer, inference_mode=inference_mode)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_conv(self.stages(self.stem(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: FastVit) -> Dict[str, torch.Tensor]:
    """Convert Apple's checkpoints (ml-fastvit, MobileCLIP, OpenCLIP towers) to this layout.

    The originals hold the network as one flat `network.<i>` sequence in which a patch embed (`.proj`) starts each new
    stage and `.pe` is the stage's position encoding; branch names follow MobileOne (`rbr_*`); a MobileCLIP tower's
    `head.proj` is the CLIP projection (a bias-free matrix, stored transposed).
    """
    if 'stem.0.conv_kxk.0.conv.weight' in state_dict or 'stem.0.reparam_conv.weight' in state_dict:
        return state_dict
    tower = 'module.visual.trunk.'
    if any(k.startswith(tower) for k in state_dict):
        return {k[len(tower):]: v for k, v in state_dict.items() if k.startswith(tower)}
    state_dict = state_dict.get('state_dict', state_dict)
    prefix = 'image_encoder.model.'
    if any(k.startswith(prefix) for k in state_dict):
        state_dict = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    # stage s covers network indices in (starts[s - 1], starts[s]] where starts are the indices holding a patch embed
    starts = sorted({int(m.group(1)) for k in state_dict for m in [re.match(r'network\.(\d+)\.proj', k)] if m})
    renames = (('patch_embed', 'stem'), ('rbr_conv', 'conv_kxk'), ('rbr_scale', 'conv_scale'),
               ('rbr_skip', 'identity'), ('conv_exp', 'final_conv'), ('lkb_origin', 'large_conv'),
               ('convffn', 'mlp'), ('se.reduce', 'se.fc1'), ('se.expand', 'se.fc2'), ('dist_head', 'head_dist'))
    out = {}
    for key, value in state_dict.items():
        for old, new in renames:
            key = key.replace(old, new)
        key = re.sub(r'(layer_scale(_\d)?)$', r'\1.gamma', key)
        if key == 'head.proj' and isinstance(getattr(model.head, 'fc', None), nn.Linear):
            out['head.fc.bias'] = torch.zeros(value.shape[1], dtype=value.dtype)
            key, value = 'head.fc.weight', value.T
        elif key.startswith('head.'):
            key = 'head.fc.' + key[len('head.'):]
        match = re.match(r'network\.(\d+)\.(.*)', key)
        if match:
            index, rest = int(match.group(1)), match.group(2)
            stage = sum(1 for s in starts if s <= index)
            if rest.startswith('proj'):
                key = f'stages.{stage}.downsample.{rest}'
            elif rest.startswith('pe.'):
                key = f'stages.{stage}.pos_emb.pos_enc.{rest[3:]}'
            else:
                key = f'stages.{stage}.blocks.{rest}'
        out[key] = value
    return out


def _create_fastvit(variant: str, pretrained: bool = False, **kwargs: Any) -> FastVit:
    return build_model_with_cfg(FastVit, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=.9,
               interpolation='bicubic', mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
               first_conv=('stem.0.conv_kxk.0.conv', 'stem.0.conv_scale.conv'), classifier='head.fc',
               license='fastvit-license')
    cfg.update(kwargs)
    return cfg


_MCLIP = dict(crop_pct=.95, num_classes=512, mean=(0., 0., 0.), std=(1., 1., 1.), license='apple-amlr')
_MCLIP2_LARGE = dict(_MCLIP, num_classes=768, mean=_OPENAI_CLIP_MEAN, std=_OPENAI_CLIP_STD, pool_size=(4, 4),
                     first_conv='stem.0.conv_kxk.0.conv')
_MCLIP_URL = 'https://docs-assets.developer.apple.com/ml-research/datasets/mobileclip/mobileclip_{}.pt'

default_cfgs = generate_default_cfgs({
    'fastvit_t8.apple_in1k': _cfg(),
    'fastvit_t12.apple_in1k': _cfg(),
    'fastvit_s12.apple_in1k': _cfg(),
    'fastvit_sa12.apple_in1k': _cfg(),
    'fastvit_sa24.apple_in1k': _cfg(),
    'fastvit_sa36.apple_in1k': _cfg(),
    'fastvit_ma36.apple_in1k': _cfg(crop_pct=.95),
    'fastvit_t8.apple_dist_in1k': _cfg(),
    'fastvit_t12.apple_dist_in1k': _cfg(),
    'fastvit_s12.apple_dist_in1k': _cfg(),
    'fastvit_sa12.apple_dist_in1k': _cfg(),
    'fastvit_sa24.apple_dist_in1k': _cfg(),
    'fastvit_sa36.apple_dist_in1k': _cfg(),
    'fastvit_ma36.apple_dist_in1k': _cfg(crop_pct=.95),
    'fastvit_mci0.apple_mclip': _cfg(hf_hub_id='apple/mobileclip_s0_timm', url=_MCLIP_URL.format('s0'), **_MCLIP),
    'fastvit_mci1.apple_mclip': _cfg(hf_hub_id='apple/mobileclip_s1_timm', url=_MCLIP_URL.format('s1'), **_MCLIP),
    'fastvit_mci2.apple_mclip': _cfg(hf_hub_id='apple/mobileclip_s2_timm', url=_MCLIP_URL.format('s2'), **_MCLIP),
    'fastvit_mci0.apple_mclip2_dfndr2b': _cfg(**dict(_MCLIP, crop_pct=1.)),
    'fastvit_mci2.apple_mclip2_dfndr2b': _cfg(**_MCLIP),
    'fastvit_mci3.apple_mclip2_dfndr2b': _cfg(**_MCLIP2_LARGE),
    'fastvit_mci4.apple_mclip2_dfndr2b': _cfg(**_MCLIP2_LARGE),
})

# the published architectures: per-stage depths, widths, FFN ratios and which stages attend (the rest use RepMixer)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    fastvit_t8=dict(layers=(2, 2, 4, 2), embed_dims=(48, 96, 192, 384), mlp_ratios=(3,) * 4),
    fastvit_t12=dict(layers=(2, 2, 6, 2), embed_dims=(64, 128, 256, 512), mlp_ratios=(3,) * 4),
    fastvit_s12=dict(layers=(2, 2, 6, 2), embed_dims=(64, 128, 256, 512), mlp_ratios=(4,) * 4),
    fastvit_sa12=dict(layers=(2, 2, 6, 2), embed_dims=(64, 128, 256, 512), mlp_ratios=(4,) * 4, attn_stages=1),
    fastvit_sa24=dict(layers=(4, 4, 12, 4), embed_dims=(64, 128, 256, 512), mlp_ratios=(4,) * 4, attn_stages=1),
    fastvit_sa36=dict(layers=(6, 6, 18, 6), embed_dims=(64, 128, 256, 512), mlp_ratios=(4,) * 4, attn_stages=1),
    fastvit_ma36=dict(layers=(6, 6, 18, 6), embed_dims=(76, 152, 304, 608), mlp_ratios=(4,) * 4, attn_stages=1),
    fastvit_mci0=dict(layers=(2, 6, 10, 2), embed_dims=(64, 128, 256, 512), mlp_ratios=(3,) * 4, attn_stages=1,
                      se_downsamples=(False, False, True, True), lkc_use_act=True),
    fastvit_mci1=dict(layers=(4, 12, 20, 4), embed_dims=(64, 128, 256, 512), mlp_ratios=(3,) * 4, attn_stages=1,
                      se_downsamples=(False, False, True, True), lkc_use_act=True),
    fastvit_mci2=dict(layers=(4, 12, 24, 4), embed_dims=(80, 160, 320, 640), mlp_ratios=(3,) * 4, attn_stages=1,
                      se_downsamples=(False, False, True, True), lkc_use_act=True),
    fastvit_mci3=dict(layers=(2, 12, 24, 4, 2), embed_dims=(96, 192, 384, 768, 1536), attn_stages=2, mci_large=True),
    fastvit_mci4=dict(layers=(2, 12, 24, 4, 4), embed_dims=(128, 256, 512, 1024, 2048), attn_stages=2,
                      mci_large=True),
)


def _fastvit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> FastVit:
    arch = dict(_ARCHS[variant])
    num_stages, attn_stages = len(arch['layers']), arch.pop('attn_stages', 0)
    arch['token_mixers'] = ('repmixer',) * (num_stages - attn_stages) + ('attention',) * attn_stages
    arch['pos_embs'] = (False,) * (num_stages - attn_stages) + (True,) * attn_stages
    if arch.pop('mci_large', False):  # MobileCLIP2's L / XL towers: five stages, LayerNorm before attention
        arch.update(mlp_ratios=(4,) * 5, se_downsamples=(False,) * 5, downsamples=(False,) + (True,) * 4,
                    lkc_use_act=True, norm_layer=lambda dim: LayerNorm2d(dim, eps=1e-5), stem_use_scale_branch=False)
    return _create_fastvit(variant, pretrained, **dict(arch, **kwargs))


@register_model
def fastvit_t8(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_t8', pretrained, kwargs)


@register_model
def fastvit_t12(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_t12', pretrained, kwargs)


@register_model
def fastvit_s12(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_s12', pretrained, kwargs)


@register_model
def fastvit_sa12(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_sa12', pretrained, kwargs)


@register_model
def fastvit_sa24(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_sa24', pretrained, kwargs)


@register_model
def fastvit_sa36(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_sa36', pretrained, kwargs)


@register_model
def fastvit_ma36(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_ma36', pretrained, kwargs)


@register_model
def fastvit_mci0(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_mci0', pretrained, kwargs)


@register_model
def fastvit_mci1(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_mci1', pretrained, kwargs)


@register_model
def fastvit_mci2(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_mci2', pretrained, kwargs)


@register_model
def fastvit_mci3(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_mci3', pretrained, kwargs)


@register_model
def fastvit_mci4(pretrained: bool = False, **kwargs) -> FastVit:
    return _fastvit('fastvit_mci4', pretrained, kwargs)
