"""StarNet: element-wise multiplication ("star operation") as the source of a network's expressiveness.

Paper: "Rewrite the Stars", Ma et al., CVPR 2024 (arXiv:2403.19967). Multiplying two linear projections of the same
input maps it implicitly into a very high-dimensional non-linear feature space (like a polynomial kernel), so a plain
4-stage conv net built around `act(W1 x) * (W2 x)` is competitive at a small budget. A block is
7x7 depthwise conv + BN -> two 1x1 expansions multiplied (one through ReLU6) -> 1x1 projection + BN -> 7x7 depthwise
conv, with the identity shortcut. Each stage opens with a 3x3 stride-2 conv + BN; the stem is a 3x3 stride-2 conv + BN
+ ReLU6 to 32 channels; a BatchNorm closes the trunk before pooling and a linear classifier.
"""
from typing import Any, Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

from zoo.layers import DropPath, LayerType, create_classifier, get_act_layer
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.weight_init import init_conv_linear_trunc_normal_
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['StarNet', 'StarBlock']


class ConvBN(nn.Sequential):
    """Conv (with bias) followed by an optional BatchNorm; keys `conv`, `bn`."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1,
                 with_bn: bool = True):
        super().__init__()
        self.add_module('conv', nn.Conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=kernel_size // 2,
                                          groups=groups))
        if with_bn:
            self.add_module('bn', nn.BatchNorm2d(out_chs))


class StarBlock(nn.Module):
    """dwconv 7x7 + BN -> act(f1(x)) * f2(x) -> g (1x1 + BN) -> dwconv 7x7, plus the identity shortcut.

    Args:
        dim: channels.
        mlp_ratio: width of the two expansions relative to `dim`.
        drop_path: stochastic depth rate.
        act_layer: activation of the first expansion.
    """

    def __init__(self, dim: int, mlp_ratio: float = 3, drop_path: float = 0.,
                 act_layer: Callable[..., nn.Module] = nn.ReLU6):
        super().__init__()
        hidden = int(mlp_ratio * dim)
        self.dwconv = ConvBN(dim, dim, 7, groups=dim)
        self.f1 = ConvBN(dim, hidden, with_bn=False)
        self.f2 = ConvBN(dim, hidden, with_bn=False)
        self.g = ConvBN(hidden, dim)
        self.dwconv2 = ConvBN(dim, dim, 7, groups=dim, with_bn=False)
        self.act = act_layer()
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x)
        y = self.act(self.f1(y)) * self.f2(y)  # the star operation
        return x + self.drop_path(self.dwconv2(self.g(y)))


class StarStage(CheckpointSequential):
    """3x3 stride-2 ConvBN followed by the blocks (children `0`, `1`, ...); checkpointed per block when asked."""


def make_stages(
        in_chs: int,
        base_dim: int,
        depths: Sequence[int],
        mlp_ratio: float,
        act_layer: Callable[..., nn.Module],
        drop_path_rate: float = 0.,
) -> Tuple[List[StarStage], List[Dict[str, Any]]]:
    """Stages of width `base_dim * 2**i`, each halving the resolution (after the stride-2 stem: 4, 8, 16, 32)."""
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    stages, feature_info = [], []
    prev_chs = in_chs
    for i, depth in enumerate(depths):
        dim = base_dim * 2 ** i
        blocks = [StarBlock(dim, mlp_ratio, drop_path=rates[i][j], act_layer=act_layer) for j in range(depth)]
        stages.append(StarStage(ConvBN(prev_chs, dim, 3, stride=2), *blocks))
        prev_chs = dim
        feature_info.append(dict(num_chs=dim, reduction=2 ** (i + 2), module=f'stages.{i}'))
    return stages, feature_info


class StarNet(ZooModel):
    """StarNet: stem, four stages of star blocks, BatchNorm, pool -> linear classifier.

    Args:
        base_dim: width of the first stage (doubling per stage).
        depths: blocks per stage.
        mlp_ratio: expansion of the star blocks.
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth rate of the last block.
        act_layer: activation of the stem and the star operation.
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm',))
    classifier_name = 'head'
    groups = dict(stem=r'^stem\.\d+', blocks=[(r'^stages\.(\d+)\.(\d+)', None), (r'norm', (99999,))])

    def __init__(
            self,
            base_dim: int = 32,
            depths: Sequence[int] = (3, 3, 12, 5),
            mlp_ratio: float = 4,
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            act_layer: LayerType = nn.ReLU6,
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
    ):
        super().__init__()
        act_layer = get_act_layer(act_layer)
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.drop_rate = drop_rate
        stem_chs = 32

        self.stem = nn.Sequential(ConvBN(in_chans, stem_chs, 3, stride=2), act_layer())
        stages, self.feature_info = make_stages(stem_chs, base_dim, depths, mlp_ratio, act_layer, drop_path_rate)
        self.stages = nn.Sequential(*stages)
        self.num_features = self.head_hidden_size = self.feature_info[-1]['num_chs']
        self.norm = nn.BatchNorm2d(self.num_features)
        self.global_pool, self.head = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.apply(init_conv_linear_trunc_normal_)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.stages(self.stem(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        return pooled if pre_logits else self.head(pooled)



def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """The official ma-xu/Rewrite-the-Stars checkpoints keep timm's keys under a `state_dict` entry."""
    return state_dict.get('state_dict', state_dict)


def _create_starnet(variant: str, pretrained: bool = False, **kwargs: Any) -> StarNet:
    return build_model_with_cfg(
        StarNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', first_conv='stem.0.conv', classifier='head', pool_size=(7, 7), crop_pct=0.875,
               interpolation='bicubic', license='apache-2.0', origin_url='https://github.com/ma-xu/Rewrite-the-Stars',
               paper_name='Rewrite the Stars', paper_ids='arXiv:2403.19967')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'starnet_s1.in1k': _cfg(),
    'starnet_s2.in1k': _cfg(),
    'starnet_s3.in1k': _cfg(),
    'starnet_s4.in1k': _cfg(),
    # the paper's very small networks, published without weights
    'starnet_s050.untrained': _cfg(hf_hub_id=None),
    'starnet_s100.untrained': _cfg(hf_hub_id=None),
    'starnet_s150.untrained': _cfg(hf_hub_id=None),
})


def _starnet(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any]) -> StarNet:
    return _create_starnet(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def starnet_s1(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s1', pretrained, dict(base_dim=24, depths=(2, 2, 8, 3)), kwargs)


@register_model
def starnet_s2(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s2', pretrained, dict(base_dim=32, depths=(1, 2, 6, 2)), kwargs)


@register_model
def starnet_s3(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s3', pretrained, dict(base_dim=32, depths=(2, 2, 8, 4)), kwargs)


@register_model
def starnet_s4(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s4', pretrained, dict(base_dim=32, depths=(3, 3, 12, 5)), kwargs)


@register_model
def starnet_s050(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s050', pretrained, dict(base_dim=16, depths=(1, 1, 3, 1), mlp_ratio=3), kwargs)


@register_model
def starnet_s100(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s100', pretrained, dict(base_dim=20, depths=(1, 2, 4, 1), mlp_ratio=4), kwargs)


@register_model
def starnet_s150(pretrained: bool = False, **kwargs) -> StarNet:
    return _starnet('starnet_s150', pretrained, dict(base_dim=24, depths=(1, 2, 4, 2), mlp_ratio=3), kwargs)
