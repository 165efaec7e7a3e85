"""RepGhostNet: GhostNet with re-parameterised feature re-use.

"RepGhost: A Hardware-Efficient Ghost Module via Re-parameterization", Chen et al., 2022 (arXiv:2211.06088). The
ghost module no longer concatenates the primary features with their cheap depthwise "ghosts"; it *adds* a BN of the
primary features to the depthwise conv's output (feature re-use moved from concat to add) and applies the ReLU after
the sum. At inference `reparameterize()` folds that BN branch into the depthwise conv (a BN-only branch is an
identity kernel, RepVGG-style), so the module is two plain convs. The network layout (stages, feature levels, head)
is GhostNet's (`zoo.models.ghostnet`), with half the expansion widths and a final conv twice the last expansion.
"""
from typing import Any, Callable, Dict, Optional

import torch
import torch.nn as nn

from zoo.layers.activations import LayerType
from zoo.layers.rep_branches import fold_conv_bn_branches
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.ghostnet import GhostBottleneck, GhostNet

__all__ = ['RepGhostNet', 'RepGhostModule', 'RepGhostBottleneck']

# per stage, its bottlenecks as (dw kernel, expansion width, output width, SE ratio, stride)
_REPGHOST_STAGES = (
    ((3, 8, 16, 0, 1),),
    ((3, 24, 24, 0, 2),),
    ((3, 36, 24, 0, 1),),
    ((5, 36, 40, 0.25, 2),),
    ((5, 60, 40, 0.25, 1),),
    ((3, 120, 80, 0, 2),),
    ((3, 100, 80, 0, 1), (3, 120, 80, 0, 1), (3, 120, 80, 0, 1), (3, 240, 112, 0.25, 1), (3, 336, 112, 0.25, 1)),
    ((5, 336, 160, 0.25, 2),),
    ((5, 480, 160, 0, 1), (5, 480, 160, 0.25, 1), (5, 480, 160, 0, 1), (5, 480, 160, 0.25, 1)),
)


class RepGhostModule(nn.Module):
    """1x1 conv + BN (+ ReLU), then depthwise conv + BN plus a BN of its input (re-parameterisable), then ReLU.

    Args:
        in_chs: input channels.
        out_chs: output channels (the primary and the cheap conv have this width).
        kernel_size: kernel of the primary conv.
        dw_size: kernel of the cheap depthwise conv.
        stride: stride of the primary conv.
        relu: apply ReLU after the primary conv and after the sum (the projection module has none).
        reparam: train with the BN re-use branch (`fusion_bn`); False builds the module without it.
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, dw_size: int = 3, stride: int = 1,
                 relu: bool = True, reparam: bool = True):
        super().__init__()
        self.primary_conv = nn.Sequential(
            nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, bias=False), nn.BatchNorm2d(out_chs),
            nn.ReLU(inplace=True) if relu else nn.Identity())
        self.fusion_bn = nn.Sequential(nn.BatchNorm2d(out_chs)) if reparam else None
        self.cheap_operation: nn.Module = nn.Sequential(
            nn.Conv2d(out_chs, out_chs, dw_size, 1, dw_size // 2, groups=out_chs, bias=False),
            nn.BatchNorm2d(out_chs))
        self.relu = nn.ReLU() if relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        primary = self.primary_conv(x)
        out = self.cheap_operation(primary)
        if self.fusion_bn is not None:
            out = out + self.fusion_bn(primary)
        return self.relu(out)

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the BN re-use branch and the depthwise conv + BN into one depthwise conv with a bias."""
        if not isinstance(self.cheap_operation, nn.Sequential):
            return
        conv, bn = self.cheap_operation
        identity = None if self.fusion_bn is None else self.fusion_bn[0]
        self.cheap_operation = fold_conv_bn_branches([(conv, bn)], identity=identity)
        self.fusion_bn = None


class RepGhostBottleneck(GhostBottleneck):
    """GhostNet's bottleneck with RepGhost modules (expansion with ReLU, linear projection)."""

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, dw_kernel_size: int = 3, stride: int = 1,
                 se_ratio: float = 0., reparam: bool = True):
        self.reparam = reparam
        super().__init__(in_chs, mid_chs, out_chs, dw_kernel_size, stride, se_ratio=se_ratio)

    def _ghost(self, in_chs: int, out_chs: int, act_layer: Optional[LayerType], use_dfc: bool) -> nn.Module:
        return RepGhostModule(in_chs, out_chs, relu=act_layer is not None, reparam=self.reparam)


class RepGhostNet(GhostNet):
    """RepGhostNet: GhostNet's stem, stages and head with RepGhost bottlenecks.

    Args:
        cfgs: per stage, bottlenecks as (dw kernel, expansion width, output width, SE ratio, stride).
        num_classes: classifier outputs; 0 removes the classifier.
        width: width multiplier (widths rounded to multiples of 4).
        in_chans: input image channels.
        global_pool: 'avg' or 'max', or '' with num_classes=0.
        drop_rate: dropout before the classifier.
        reparam: build the re-parameterisable BN re-use branches (the training form of the published weights).
    """
    final_mult = 2.0

    def __init__(self, cfgs=_REPGHOST_STAGES, num_classes: int = 1000, width: float = 1.0, in_chans: int = 3,
                 global_pool: str = 'avg', drop_rate: float = 0.2, reparam: bool = True):
        self.reparam = reparam
        super().__init__(cfgs, num_classes=num_classes, width=width, in_chans=in_chans, global_pool=global_pool,
                         drop_rate=drop_rate)

    def _block_fn(self, version: str) -> Callable[..., nn.Module]:
        def block(in_chs: int, mid_chs: int, out_chs: int, kernel: int, stride: int, se_ratio: float,
                  idx: int) -> nn.Module:
            return RepGhostBottleneck(in_chs, mid_chs, out_chs, kernel, stride, se_ratio=se_ratio,
                                      reparam=self.reparam)
        return block


def _create_repghostnet(variant: str, pretrained: bool = False, **kwargs: Any) -> RepGhostNet:
    return build_model_with_cfg(RepGhostNet, variant, pretrained, feature_cfg=dict(flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', pool_size=(7, 7), crop_pct=0.875, interpolation='bicubic', first_conv='conv_stem',
               classifier='classifier', license='mit', paper_ids='arXiv:2211.06088',
               origin_url='https://github.com/ChengpengChen/RepGhost')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'repghostnet_050.in1k': _cfg(),
    'repghostnet_058.in1k': _cfg(),
    'repghostnet_080.in1k': _cfg(),
    'repghostnet_100.in1k': _cfg(),
    'repghostnet_111.in1k': _cfg(),
    'repghostnet_130.in1k': _cfg(),
    'repghostnet_150.in1k': _cfg(),
    'repghostnet_200.in1k': _cfg(),
})


def _repghost(variant: str, pretrained: bool, width: float, kwargs: Dict[str, Any]) -> RepGhostNet:
    return _create_repghostnet(variant, pretrained, **dict(dict(width=width), **kwargs))


@register_model
def repghostnet_050(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_050', pretrained, 0.5, kwargs)


@register_model
def repghostnet_058(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_058', pretrained, 0.58, kwargs)


@register_model
def repghostnet_080(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_080', pretrained, 0.8, kwargs)


@register_model
def repghostnet_100(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_100', pretrained, 1.0, kwargs)


@register_model
def repghostnet_111(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_111', pretrained, 1.11, kwargs)


@register_model
def repghostnet_130(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_130', pretrained, 1.3, kwargs)


@register_model
def repghostnet_150(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_150', pretrained, 1.5, kwargs)


@register_model
def repghostnet_200(pretrained: bool = False, **kwargs) -> RepGhostNet:
    return _repghost('repghostnet_200', pretrained, 2.0, kwargs)
