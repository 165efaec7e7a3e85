"""RepViT: a mobile CNN redesigned with the macro / micro choices of lightweight ViTs.

Paper: "RepViT: Revisiting Mobile CNN From ViT Perspective", Wang et al., CVPR 2024 (arXiv:2307.09283).

A MobileNetV3-style inverted residual is split the way a ViT block is: a *token mixer* (a re-parameterisable
depthwise 3x3 whose training-time form is dw3x3-BN + dw1x1(-BN) + identity, optionally followed by a BN) and a
*channel mixer* (a residual 1x1 expand -> GELU -> 1x1 project, section 3.1). Squeeze-excitation sits in every other
block. Stages are separated by a downsampling unit (a block, a stride-2 depthwise conv, a 1x1 channel projection and
a residual FFN, section 3.2) and the stem is two stride-2 3x3 convs. The released models are trained with
distillation and classify with two BN -> linear heads (`head.head`, `head.head_dist`) whose logits are averaged.

At inference `reparameterize_model` folds every conv -> BN pair into one biased conv, the token mixer's three
branches into one depthwise 3x3 (RepVGG algebra, `zoo.models._reparam`) and the two heads into one linear layer; the
folded state_dict is timm's deployed (`fuse()`) layout. Deviation from timm: `forward` never returns a tuple (timm
returns both heads' logits in training mode when `distilled_training` is set); `forward_head_distilled` gives both.
"""
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers import LayerType, get_act_layer
from zoo.layers.squeeze_excite import SEModule
from zoo.models._base import Trunk, ZooModel, check_num_classes, check_pooled_head
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import BatchNormLinear, fuse_conv_bn, identity_kernel, sum_kernels

__all__ = ['RepVit', 'RepVggDw', 'RepViTBlock', 'RepVitClassifier', 'RepVitHeadMixin']


def _folded_conv(like: nn.Conv2d, kernel: torch.Tensor, bias: torch.Tensor) -> nn.Conv2d:
    """A biased conv with `like`'s geometry holding the folded (kernel, bias)."""
    conv = nn.Conv2d(like.in_channels, like.out_channels, like.kernel_size, like.stride, like.padding, like.dilation,
                     like.groups, bias=True, device=like.weight.device, dtype=like.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(kernel)
        conv.bias.copy_(bias)
    return conv


class ConvNorm(nn.Sequential):
    """Conv (no bias) -> BatchNorm2d; a zero `bn_weight_init` starts a residual branch as the identity."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1,
                 bn_weight_init: float = 1.):
        super().__init__()
        self.c = nn.Conv2d(in_chs, out_chs, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_chs)
        nn.init.constant_(self.bn.weight, bn_weight_init)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        return _folded_conv(self.c, *fuse_conv_bn(self.c.weight, self.bn))


class RepVggDw(nn.Module):
    """Depthwise kxk-BN + depthwise 1x1 + identity, then a BN (the RepViT token mixer).

    Args:
        dim: channels.
        kernel_size: kernel of the main depthwise conv.
        legacy: the layout of the first released models (m1, m2, m3): the 1x1 branch has its own BN and there is no
            BN after the sum.
    """

    def __init__(self, dim: int, kernel_size: int, legacy: bool = False):
        super().__init__()
        self.conv = ConvNorm(dim, dim, kernel_size, groups=dim)
        self.conv1: nn.Module = ConvNorm(dim, dim, 1, groups=dim) if legacy else nn.Conv2d(dim, dim, 1, groups=dim)
        self.bn = nn.Identity() if legacy else nn.BatchNorm2d(dim)
        self.legacy = legacy

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x) + self.conv1(x) + x)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        """One depthwise conv with a bias equal to the module in eval mode."""
        main = self.conv.c
        if self.legacy:
            pointwise = fuse_conv_bn(self.conv1.c.weight, self.conv1.bn)
        else:
            pointwise = (self.conv1.weight.float(), self.conv1.bias.float())
        identity = identity_kernel(main.in_channels, main.groups, (1, 1), main.weight)
        kernel, bias = sum_kernels(
            [fuse_conv_bn(main.weight, self.conv.bn), pointwise, (identity, torch.zeros_like(pointwise[1]))],
            main.kernel_size)
        if not self.legacy:
            kernel, bias = fuse_conv_bn(kernel, self.bn, bias)
        return _folded_conv(main, kernel, bias)


class RepVitMlp(nn.Module):
    """1x1 expand -> activation -> 1x1 project (each conv with a BN)."""

    def __init__(self, dim: int, hidden_dim: int, act_layer: LayerType):
        super().__init__()
        self.conv1 = ConvNorm(dim, hidden_dim)
        self.act = act_layer()
        self.conv2 = ConvNorm(hidden_dim, dim, bn_weight_init=0.)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.act(self.conv1(x)))


class RepViTBlock(nn.Module):
    """Token mixer (re-parameterisable depthwise conv) -> optional SE -> residual channel-mixer MLP."""

    def __init__(self, dim: int, mlp_ratio: float, kernel_size: int, use_se: bool, act_layer: LayerType,
                 legacy: bool = False):
        super().__init__()
        self.token_mixer = RepVggDw(dim, kernel_size, legacy)
        self.se = SEModule(dim, rd_ratio=0.25) if use_se else nn.Identity()
        self.channel_mixer = RepVitMlp(dim, int(dim * mlp_ratio), act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.se(self.token_mixer(x))
        return x + self.channel_mixer(x)


class RepVitStem(nn.Module):
    """Two stride-2 3x3 conv-BN layers with an activation between them (stride 4)."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: LayerType):
        super().__init__()
        self.conv1 = ConvNorm(in_chs, out_chs // 2, 3, stride=2)
        self.act1 = act_layer()
        self.conv2 = ConvNorm(out_chs // 2, out_chs, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.act1(self.conv1(x)))


class RepVitDownsample(nn.Module):
    """A block (no SE), a stride-2 depthwise conv, a 1x1 channel projection and a residual FFN (section 3.2)."""

    def __init__(self, in_dim: int, mlp_ratio: float, out_dim: int, kernel_size: int, act_layer: LayerType,
                 legacy: bool = False):
        super().__init__()
        self.pre_block = RepViTBlock(in_dim, mlp_ratio, kernel_size, False, act_layer, legacy)
        self.spatial_downsample = ConvNorm(in_dim, in_dim, kernel_size, stride=2, groups=in_dim)
        self.channel_downsample = ConvNorm(in_dim, out_dim)
        self.ffn = RepVitMlp(out_dim, int(out_dim * mlp_ratio), act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.channel_downsample(self.spatial_downsample(self.pre_block(x)))
        return x + self.ffn(x)


class RepVitStage(nn.Module):
    """An optional downsampling unit, then blocks that alternate with and without SE (starting with SE)."""

    def __init__(self, in_dim: int, out_dim: int, depth: int, mlp_ratio: float, act_layer: LayerType,
                 kernel_size: int = 3, downsample: bool = True, legacy: bool = False):
        super().__init__()
        if not downsample and in_dim != out_dim:
            raise ValueError(f'A stage without downsampling keeps its width: in_dim {in_dim} != out_dim {out_dim}.')
        self.downsample = (RepVitDownsample(in_dim, mlp_ratio, out_dim, kernel_size, act_layer, legacy)
                           if downsample else nn.Identity())
        self.blocks = nn.Sequential(*[
            RepViTBlock(out_dim, mlp_ratio, kernel_size, i % 2 == 0, act_layer, legacy) for i in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class RepVitClassifier(nn.Module):
    """The (optionally distilled) classifier: BN -> linear, and a second one (`head_dist`) for distillation.

    `forward` returns the class logits, or the average of both heads' logits when distilled (how the paper
    evaluates); `forward_distilled` returns both for training against a teacher.
    """

    def __init__(self, dim: int, num_classes: int, distillation: bool = False, drop: float = 0.):
        super().__init__()
        self.num_classes = num_classes
        self.head_drop = nn.Dropout(drop)
        self.head = self._classifier(dim, num_classes)
        self.head_dist = self._classifier(dim, num_classes) if distillation else None

    @staticmethod
    def _classifier(dim: int, num_classes: int) -> nn.Module:
        return BatchNormLinear(dim, num_classes, linear_key='l') if num_classes > 0 else nn.Identity()

    @property
    def distillation(self) -> bool:
        """Whether there is a distillation head (`head_dist`)."""
        return self.head_dist is not None

    def forward_distilled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if not self.distillation:
            raise RuntimeError('This classifier has no distillation head; build it with distillation=True.')
        x = self.head_drop(x)
        return self.head(x), self.head_dist(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.distillation:
            x_cls, x_dist = self.forward_distilled(x)
            return (x_cls + x_dist) / 2
        return self.head(self.head_drop(x))

    @torch.no_grad()
    def fuse(self) -> nn.Module:
        """One linear layer equal to the head (both heads averaged when distilled) in eval mode."""
        if self.num_classes == 0:
            return nn.Identity()
        fused = self.head.fuse()
        if self.distillation:
            dist = self.head_dist.fuse()
            fused.weight.add_(dist.weight).mul_(0.5)
            fused.bias.add_(dist.bias).mul_(0.5)
        return fused


def _check_pool(global_pool: str, num_classes: int) -> None:
    if global_pool not in ('', 'avg'):
        raise ValueError(f"This model pools by averaging: global_pool must be 'avg' or '' (no pooling), "
                         f"got {global_pool!r}.")
    check_pooled_head(global_pool, num_classes)


class RepVitHeadMixin:
    """Average pooling -> dropout (`head_drop`) -> `RepVitClassifier` (`head`), for a `ZooModel` that sets
    `global_pool`, `head_drop`, `head` and `num_features` in `__init__` (RepViT, iFormer)."""
    global_pool: str
    num_classes: int
    num_features: int
    head_drop: nn.Module
    head: RepVitClassifier
    training: bool
    _check_pool = staticmethod(_check_pool)

    def reset_classifier(self, num_classes: int, global_pool: Optional[str] = None,
                         distillation: bool = False) -> None:
        """A new head for `num_classes` (0 removes it); like timm, without a distillation head unless asked."""
        pool = self.global_pool if global_pool is None else global_pool
        _check_pool(pool, check_num_classes(num_classes))
        self.num_classes, self.global_pool = num_classes, pool
        self.head = RepVitClassifier(self.num_features, num_classes, distillation)
        self.head.train(self.training)

    def _replace_head(self, in_features: int) -> None:
        self.global_pool = ''
        self.head = RepVitClassifier(in_features, 0)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if self.global_pool == 'avg':
            x = x.mean((2, 3))
        return self.head_drop(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self._pool(x)
        return x if pre_logits else self.head(x)

    def forward_head_distilled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits of the class head and of the distillation head (from `forward_features` output)."""
        return self.head.forward_distilled(self._pool(x))


class RepVit(RepVitHeadMixin, ZooModel):
    """RepViT: a conv stem, four stages of RepViT blocks, average pooling and a (distilled) BN-linear head.

    Args:
        in_chans: input image channels.
        embed_dim: width of each stage.
        depth: blocks per stage (after the downsampling unit of stages 1+).
        mlp_ratio: channel-mixer expansion (one value or one per stage).
        global_pool: 'avg', or '' to return unpooled maps from `forward_head(pre_logits=True)`.
        kernel_size: kernel of the depthwise convs.
        num_classes: classifier outputs; 0 removes the classifier.
        act_layer: activation of the stem and the channel mixers.
        distillation: add the distillation head `head.head_dist` (the released weights have it).
        drop_rate: dropout before the classifier.
        legacy: the token-mixer layout of the first released models (m1, m2, m3).
    """
    grad_checkpointing = checkpoint_flag('stages')
    trunk = Trunk(stem=('stem',), levels='stages')
    classifier_name = 'head'
    groups = dict(
        stem=r'^stem',
        blocks=[(r'^stages\.(\d+)\.downsample', (0,)), (r'^stages\.(\d+)\.blocks\.(\d+)', None)],
        coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            embed_dim: Sequence[int] = (48,),
            depth: Sequence[int] = (2,),
            mlp_ratio: float = 2,
            global_pool: str = 'avg',
            kernel_size: int = 3,
            num_classes: int = 1000,
            act_layer: LayerType = nn.GELU,
            distillation: bool = True,
            drop_rate: float = 0.,
            legacy: bool = False,
    ):
        super().__init__()
        _check_pool(global_pool, num_classes)
        act_layer = get_act_layer(act_layer)
        self.num_classes = check_num_classes(num_classes)
        self.global_pool = global_pool
        self.drop_rate = drop_rate
        mlp_ratios = tuple(mlp_ratio) if isinstance(mlp_ratio, (tuple, list)) else (mlp_ratio,) * len(embed_dim)

        self.stem = RepVitStem(in_chans, embed_dim[0], act_layer)
        stride, in_dim = 4, embed_dim[0]
        stages, self.feature_info = [], []
        for i, (dim, d, ratio) in enumerate(zip(embed_dim, depth, mlp_ratios)):
            stages.append(RepVitStage(in_dim, dim, d, ratio, act_layer, kernel_size, downsample=i > 0,
                                      legacy=legacy))
            stride *= 2 if i > 0 else 1
            self.feature_info.append(dict(num_chs=dim, reduction=stride, module=f'stages.{i}'))
            in_dim = dim
        self.stages = CheckpointSequential(*stages)
        self.num_features = self.head_hidden_size = embed_dim[-1]
        self.head_drop = nn.Dropout(drop_rate)
        self.head = RepVitClassifier(self.num_features, num_classes, distillation)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


def _create_repvit(variant: str, pretrained: bool = False, **kwargs: Any) -> RepVit:
    return build_model_with_cfg(RepVit, variant, pretrained,
                                feature_cfg=dict(flatten_sequential=True, out_indices=(0, 1, 2, 3)), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7),
               crop_pct=0.95, interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='stem.conv1.c', classifier=('head.head.l', 'head.head_dist.l'), license='apache-2.0')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'repvit_m1.dist_in1k': _cfg(),
    'repvit_m2.dist_in1k': _cfg(),
    'repvit_m3.dist_in1k': _cfg(),
    'repvit_m0_9.dist_300e_in1k': _cfg(),
    'repvit_m0_9.dist_450e_in1k': _cfg(),
    'repvit_m1_0.dist_300e_in1k': _cfg(),
    'repvit_m1_0.dist_450e_in1k': _cfg(),
    'repvit_m1_1.dist_300e_in1k': _cfg(),
    'repvit_m1_1.dist_450e_in1k': _cfg(),
    'repvit_m1_5.dist_300e_in1k': _cfg(),
    'repvit_m1_5.dist_450e_in1k': _cfg(),
    'repvit_m2_3.dist_300e_in1k': _cfg(),
    'repvit_m2_3.dist_450e_in1k': _cfg(),
})

# (stage widths, stage depths, legacy token mixer) of each model (paper table 9; m0_9 .. m2_3 are the v2 release)
_ARCHS: Dict[str, Tuple[Tuple[int, ...], Tuple[int, ...], bool]] = dict(
    repvit_m1=((48, 96, 192, 384), (2, 2, 14, 2), True),
    repvit_m2=((64, 128, 256, 512), (2, 2, 12, 2), True),
    repvit_m3=((64, 128, 256, 512), (4, 4, 18, 2), True),
    repvit_m0_9=((48, 96, 192, 384), (2, 2, 14, 2), False),
    repvit_m1_0=((56, 112, 224, 448), (2, 2, 14, 2), False),
    repvit_m1_1=((64, 128, 256, 512), (2, 2, 12, 2), False),
    repvit_m1_5=((64, 128, 256, 512), (4, 4, 24, 4), False),
    repvit_m2_3=((80, 160, 320, 640), (6, 6, 34, 2), False),
)


def _repvit(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> RepVit:
    embed_dim, depth, legacy = _ARCHS[variant]
    return _create_repvit(variant, pretrained, **dict(dict(embed_dim=embed_dim, depth=depth, legacy=legacy), **kwargs))


@register_model
def repvit_m1(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m1', pretrained, kwargs)


@register_model
def repvit_m2(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m2', pretrained, kwargs)


@register_model
def repvit_m3(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m3', pretrained, kwargs)


@register_model
def repvit_m0_9(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m0_9', pretrained, kwargs)


@register_model
def repvit_m1_0(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m1_0', pretrained, kwargs)


@register_model
def repvit_m1_1(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m1_1', pretrained, kwargs)


@register_model
def repvit_m1_5(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m1_5', pretrained, kwargs)


@register_model
def repvit_m2_3(pretrained: bool = False, **kwargs) -> RepVit:
    return _repvit('repvit_m2_3', pretrained, kwargs)
