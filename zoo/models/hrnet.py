"""HRNet: high-resolution networks for classification.

"Deep High-Resolution Representation Learning for Visual Recognition", Wang et al., 2019 (arXiv:1908.07919).
A two-conv stride-4 stem and a stage of bottlenecks feed a network that keeps its full-resolution branch from start to
end. Each later stage adds one branch at half the resolution of the last (widths C, 2C, 4C, 8C at strides 4-32) and
is built of high-resolution modules: every branch runs its own basic blocks, then each output sums all branches
brought to its resolution (1x1 conv + nearest upsampling from coarser ones, chains of strided 3x3 convs from finer
ones) and applies a ReLU.

The classification head (the paper's HRNetV2 variant for ImageNet) widens each branch with one bottleneck to
128/256/512/1024 channels ("incre" modules), merges them from fine to coarse with strided 3x3 convs, and projects to
2048 channels with a 1x1 conv before pooling. The `_ssld` weights (PaddlePaddle) have no bias in those head convs.

Features: `features_only=True` gives the `HighResolutionNetFeatures` model, whose levels are the stem's first conv
(stride 2) and the four branches, after the incre modules (`feature_location='incre'`, default) or as the branches
leave the last stage (`feature_location=''`). Since all branches leave the last fused module together, no module
produces one level alone: the module-output wrappers ('list', 'dict', 'hook', 'fx') are refused, 'getter'
(`forward_intermediates`) works.
"""
import dataclasses
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.classifier import create_classifier
from zoo.layers.weight_init import he_normal_, init_by_type_, reset_affine_
from zoo.models._base import ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import FeatureInfo, feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.resnet import BasicBlock, Bottleneck

__all__ = ['HighResolutionNet', 'HighResolutionNetFeatures', 'HighResolutionModule', 'HrnetCfg']

BlockT = Type[Union[BasicBlock, Bottleneck]]
HEAD_WIDTHS = (32, 64, 128, 256)  # incre bottleneck widths; x4 expansion gives the paper's 128/256/512/1024
HEAD_TYPES = ('classification', 'incre', '')


@dataclasses.dataclass(frozen=True)
class HrnetCfg:
    """One HRNet architecture.

    Args:
        stage1: (bottlenecks, width) of the single-branch first stage.
        modules: high-resolution modules in stages 2, 3 and 4.
        blocks: basic blocks per branch in every module.
        width: C, the width of the highest-resolution branch (the others are 2C, 4C, 8C).
        stem_width: output channels of the stem's first conv.
    """
    stage1: Tuple[int, int]
    modules: Tuple[int, int, int]
    blocks: int
    width: int
    stem_width: int = 64


def _conv_bn(in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, act: bool = False,
             bias: bool = False) -> nn.Sequential:
    layers = [nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, bias=bias), nn.BatchNorm2d(out_chs)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _residual_layer(block: BlockT, in_chs: int, planes: int, depth: int) -> nn.Sequential:
    """`depth` blocks of `planes`; the first projects the shortcut when the width changes."""
    out_chs = planes * block.expansion
    downsample = _conv_bn(in_chs, out_chs, 1) if in_chs != out_chs else None
    blocks = [block(in_chs, planes, downsample=downsample)]
    blocks += [block(out_chs, planes) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)


def _to_coarser(in_chs: int, out_chs: int, steps: int) -> nn.Sequential:
    """`steps` strided 3x3 convs: ReLU between them (at the input width), none after the last (to `out_chs`)."""
    return nn.Sequential(*[
        _conv_bn(in_chs, out_chs, 3, 2) if k == steps - 1 else
        nn.Sequential(*_conv_bn(in_chs, in_chs, 3, 2), nn.ReLU(inplace=False))
        for k in range(steps)])


class HighResolutionModule(nn.Module):
    """Parallel branches of basic blocks, then a multi-resolution fusion: output i = ReLU(sum_j fuse[i][j](x_j))."""

    def __init__(self, channels: Sequence[int], depth: int, block: BlockT = BasicBlock):
        super().__init__()
        self.num_branches = len(channels)
        self.branches = nn.ModuleList([_residual_layer(block, c, c // block.expansion, depth) for c in channels])
        if self.num_branches == 1:
            self.fuse_layers = nn.Identity()
        else:
            self.fuse_layers = nn.ModuleList([nn.ModuleList([self._fuse(channels, j, i) for j in range(len(channels))])
                                              for i in range(len(channels))])
        self.fuse_act = nn.ReLU(inplace=False)

    @staticmethod
    def _fuse(channels: Sequence[int], src: int, dst: int) -> nn.Module:
        if src == dst:
            return nn.Identity()
        if src > dst:  # coarser to finer: match the width first, so the upsampled map is the narrow one
            return nn.Sequential(*_conv_bn(channels[src], channels[dst], 1),
                                 nn.Upsample(scale_factor=2. ** (src - dst), mode='nearest'))
        return _to_coarser(channels[src], channels[dst], dst - src)

    def forward(self, x: List[torch.Tensor]) -> List[torch.Tensor]:
        x = [branch(t) for branch, t in zip(self.branches, x)]
        if self.num_branches == 1:
            return x
        out = []
        for fuse in self.fuse_layers:
            y = fuse[0](x[0])
            for j in range(1, self.num_branches):
                y = y + fuse[j](x[j])
            out.append(self.fuse_act(y))
        return out


class HrStage(nn.Sequential):
    """High-resolution modules run in sequence on the list of branch maps."""
    grad_checkpointing: bool = False

    def forward(self, x: List[torch.Tensor]) -> List[torch.Tensor]:  # type: ignore[override]
        for module in self:
            x = maybe_checkpoint(module, x, enabled=self.grad_checkpointing)
        return x


def _transition(prev: Sequence[int], cur: Sequence[int]) -> nn.ModuleList:
    """Adapts the previous stage's branches to the next: width changes in place, new branches from the coarsest."""
    layers = []
    for i, chs in enumerate(cur):
        if i < len(prev):
            layers.append(nn.Identity() if prev[i] == chs else _conv_bn(prev[i], chs, 3, act=True))
        else:  # one stride-2 step per level below the previous coarsest branch
            steps = i + 1 - len(prev)
            layers.append(nn.Sequential(*[_conv_bn(prev[-1], chs if k == steps - 1 else prev[-1], 3, 2, act=True)
                                          for k in range(steps)]))
    return nn.ModuleList(layers)


def _apply_transition(transition: nn.ModuleList, xs: List[torch.Tensor]) -> List[torch.Tensor]:
    return [layer(xs[i] if i < len(xs) else xs[-1]) for i, layer in enumerate(transition)]


class HighResolutionNet(ZooModel):
    """HRNet classifier (HRNetV2 head) or branch-output backbone.

    Args:
        cfg: the architecture (HrnetCfg).
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        output_stride: only 32 (HRNet has no dilated variant).
        global_pool: pooling of the classification head ('avg', 'max', ...; '' with num_classes=0 keeps the map).
        drop_rate: dropout before the classifier.
        head: 'classification' (incre + merge + 2048-channel head), 'incre' (only the incre modules, whose outputs
            are the feature levels) or '' (the bare branches).
        head_conv_bias: bias in the head's merge and projection convs (False for the PaddlePaddle weights).
    """
    # after the stem's first conv: what only the branch levels (1-4) use
    _BRANCH_TRUNK = ('conv2', 'bn2', 'act2', 'layer1', 'transition1', 'stage2', 'transition2', 'stage3', 'transition3',
                     'stage4')
    classifier_name = 'classifier'

    def __init__(
            self,
            cfg: HrnetCfg,
            in_chans: int = 3,
            num_classes: int = 1000,
            output_stride: int = 32,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            head: str = 'classification',
            head_conv_bias: bool = True,
    ):
        super().__init__()
        if output_stride != 32:
            raise ValueError(f'HRNet has no dilated variant: output_stride must be 32, got {output_stride}.')
        if head not in HEAD_TYPES:
            raise ValueError(f'head must be one of {HEAD_TYPES}, got {head!r}.')
        self.head = head
        self.num_classes = check_num_classes(num_classes) if head == 'classification' else 0
        self.in_chans = in_chans
        self.drop_rate = drop_rate

        self.conv1 = nn.Conv2d(in_chans, cfg.stem_width, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cfg.stem_width)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cfg.stem_width, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.act2 = nn.ReLU(inplace=True)

        depth1, width1 = cfg.stage1
        self.layer1 = _residual_layer(Bottleneck, 64, width1, depth1)
        prev = [width1 * Bottleneck.expansion]
        for s, num_modules in enumerate(cfg.modules):
            chs = [cfg.width * 2 ** b for b in range(s + 2)]
            setattr(self, f'transition{s + 1}', _transition(prev, chs))
            modules = [HighResolutionModule(chs, cfg.blocks) for _ in range(num_modules)]
            setattr(self, f'stage{s + 2}', HrStage(*modules))
            prev = chs

        self.incre_modules: Optional[nn.ModuleList] = None
        self.downsamp_modules: Optional[nn.ModuleList] = None
        self.final_layer: Optional[nn.Module] = None
        if head:
            self.incre_modules = nn.ModuleList(
                [_residual_layer(Bottleneck, c, w, 1) for c, w in zip(prev, HEAD_WIDTHS)])
            level_chs = [w * Bottleneck.expansion for w in HEAD_WIDTHS]
        else:
            level_chs = prev
        if head == 'classification':
            self.num_features = 2048
            self.downsamp_modules = nn.ModuleList([
                _conv_bn(a, b, 3, 2, act=True, bias=head_conv_bias) for a, b in zip(level_chs[:-1], level_chs[1:])])
            self.final_layer = _conv_bn(level_chs[-1], self.num_features, 1, act=True, bias=head_conv_bias)
            self.global_pool, self.head_drop, self.classifier = create_classifier(
                self.num_features, self.num_classes, pool_type=global_pool, drop_rate=drop_rate)
            self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        else:
            self.num_features = self.head_hidden_size = 2048 if head else 256
            self.global_pool, self.head_drop, self.classifier = nn.Identity(), nn.Identity(), nn.Identity()

        # the levels are the stem's first conv and the branches: timm's module names, not real module paths
        self.feature_info = [dict(num_chs=cfg.stem_width, reduction=2, module='stem')] + [
            dict(num_chs=c, reduction=4 * 2 ** i, module=f'stage{i + 1}') for i, c in enumerate(level_chs)]
        self.num_branches = len(level_chs)
        self.init_weights()

    def init_weights(self) -> None:
        init_by_type_(self, [(nn.Conv2d, partial(he_normal_, zero_bias=False)), (nn.BatchNorm2d, reset_affine_)])

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Dict[str, Any]:
        # timm's grouping: the stem, then layer1 / stage blocks by index, transitions after their stage's blocks
        return dict(stem=r'^conv[12]|bn[12]', block_types=r'^(?:layer|stage|transition)(\d+)' if coarse else [
            (r'^layer(\d+)\.(\d+)', None), (r'^stage(\d+)\.(\d+)', None), (r'^transition(\d+)', (99999,))])

    # ---- trunk ------------------------------------------------------------------------------------------------

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.act1(self.bn1(self.conv1(x)))

    def _trunk_pruned(self) -> bool:
        return isinstance(self.layer1, nn.Identity)

    def forward_branches(self, x: torch.Tensor) -> List[torch.Tensor]:
        """The branch outputs of the last stage (strides 4-32) from the stem's first-conv output."""
        x = self.layer1(self.act2(self.bn2(self.conv2(x))))
        xs = _apply_transition(self.transition1, [x] * len(self.transition1))
        xs = self.stage2(xs)
        xs = self.stage3(_apply_transition(self.transition2, xs))
        return self.stage4(_apply_transition(self.transition3, xs))

    def _merge(self, levels: List[torch.Tensor]) -> torch.Tensor:
        """The classification head's fine-to-coarse merge of the incre outputs, and its 2048-channel projection."""
        y = levels[0]
        for down, level in zip(self.downsamp_modules, levels[1:]):
            y = level + down(y)
        return self.final_layer(y)

    def forward_features(self, x: torch.Tensor) -> Union[torch.Tensor, List[torch.Tensor]]:
        """The 2048-channel map of the classification head; the branch outputs (a list) without that head, or the
        stem map when pruned to it (as timm)."""
        x = self._stem(x)
        if self._trunk_pruned():
            return x
        branches = self.forward_branches(x)
        if self.incre_modules is None or self.downsamp_modules is None:
            return branches
        return self._merge([incre(b) for incre, b in zip(self.incre_modules, branches)])

    def forward_head(self, x: Union[torch.Tensor, List[torch.Tensor]], pre_logits: bool = False) -> Any:
        if isinstance(x, list):
            if not isinstance(self.classifier, nn.Identity) or not isinstance(self.global_pool, nn.Identity):
                raise RuntimeError('The branch outputs (a list) have no pooled head; only the classification head '
                                   "(head='classification') pools and classifies.")
            return x
        x = self.head_drop(self.global_pool(x))
        return x if pre_logits else self.classifier(x)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is None:  # keep the pooling; heads without one (pruned, non-classification) get 'avg'
            global_pool = getattr(self.global_pool, 'pool_type', 'avg')
        self.global_pool, self.classifier = create_classifier(self.num_features, num_classes, pool_type=global_pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()

    # ---- intermediate features ------------------------------------------------------------------------------

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: Optional[Union[int, Sequence[int]]] = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[Any, List[torch.Tensor]]]:
        """The stem (level 0) and branch levels 1-4 (after the incre modules where the model has them).

        Args:
            x: input images (N, C, H, W).
            indices: None for every level, n for the last n, or a sequence of levels (negative counts from the end).
            norm: unused (HRNet has no final norm); accepted for the shared API.
            stop_early: skip the incre modules after the last requested level (the branches all come out of the last
                stage together, so the trunk always runs to its end unless only the stem is asked for).
            output_fmt: 'NCHW' or 'NHWC'.
            intermediates_only: return only the list of intermediates.

        Returns:
            (final, intermediates) or intermediates. `final` is what `forward_features` returns when the whole head
            ran, else (stopped early, pruned, no classification head) the branch list, or the stem map when only the
            stem was computed, as timm does.
        """
        if output_fmt not in ('NCHW', 'NHWC'):
            raise ValueError(f"HighResolutionNet intermediates can be 'NCHW' or 'NHWC', not output_fmt={output_fmt!r}.")
        take, max_index = feature_take_indices(self.num_branches + 1, indices)

        def fmt(t: torch.Tensor) -> torch.Tensor:
            return t.permute(0, 2, 3, 1).contiguous() if output_fmt == 'NHWC' else t

        x = self._stem(x)
        intermediates = [fmt(x)] if 0 in take else []
        if max_index == 0 and (stop_early or intermediates_only or self._trunk_pruned()):
            return intermediates if intermediates_only else (x, intermediates)
        branches = self.forward_branches(x)
        if self.incre_modules is None:
            intermediates += [fmt(b) for i, b in enumerate(branches, 1) if i in take]
            return intermediates if intermediates_only else (branches, intermediates)

        stop = max_index if (stop_early or intermediates_only) else len(self.incre_modules)
        levels = [incre(b) for incre, b in zip(self.incre_modules[:stop], branches)]
        intermediates += [fmt(t) for i, t in enumerate(levels, 1) if i in take]
        if intermediates_only:
            return intermediates
        if self.downsamp_modules is not None and len(levels) == self.num_branches:
            return self._merge(levels), intermediates
        return branches, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(
            self,
            indices: Optional[Union[int, Sequence[int]]] = 1,
            prune_norm: bool = False,
            prune_head: bool = True,
    ) -> List[int]:
        """Remove what the levels in `indices` do not need. The branch levels all need the whole trunk; only the stem
        level alone lets it go. The merge head needs every branch, so it goes with the classifier, or when a branch
        level is not kept."""
        take, last = feature_take_indices(self.num_branches + 1, indices)
        if last == 0:
            self._drop_paths(self._BRANCH_TRUNK)
            self.num_features = self.head_hidden_size = self.feature_info[0]['num_chs']
        if self.incre_modules is not None:
            self.incre_modules = self.incre_modules[:last]
        # the merge head reads every incre level, so it survives only a full trunk that keeps its classifier
        if prune_head or last < self.num_branches:
            self._drop_merge_head()
        return take

    def _drop_merge_head(self) -> None:
        self.downsamp_modules = self.final_layer = None
        self.num_classes = 0
        self.global_pool, self.head_drop, self.classifier = nn.Identity(), nn.Identity(), nn.Identity()


class HighResolutionNetFeatures(HighResolutionNet):
    """HRNet as a feature extractor: `forward` returns the levels in `out_indices` (see the module docstring).

    Args:
        cfg: the architecture (HrnetCfg).
        in_chans: input image channels.
        output_stride: only 32.
        feature_location: 'incre' (levels 1-4 after the incre modules: 128-1024 channels) or '' (the bare branches).
        out_indices: the levels returned (0: stem, stride 2; 1-4: strides 4-32).
    """

    def __init__(
            self,
            cfg: HrnetCfg,
            in_chans: int = 3,
            output_stride: int = 32,
            feature_location: str = 'incre',
            out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3, 4),
    ):
        if feature_location not in ('incre', ''):
            raise ValueError(f"feature_location must be 'incre' or '', got {feature_location!r}.")
        super().__init__(cfg, in_chans=in_chans, num_classes=0, output_stride=output_stride, head=feature_location)
        self.feature_info = FeatureInfo(self.feature_info, out_indices)
        self.out_indices = feature_take_indices(self.num_branches + 1, self.feature_info.out_indices)[0]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError('HighResolutionNetFeatures returns its levels from forward(); build the model without '
                           'features_only for forward_features.')

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:  # type: ignore[override]
        return self.forward_intermediates(x, self.out_indices, intermediates_only=True)


MODEL_CFGS = {
    'hrnet_w18_small': HrnetCfg(stage1=(1, 32), modules=(1, 1, 1), blocks=2, width=16),
    'hrnet_w18_small_v2': HrnetCfg(stage1=(2, 64), modules=(1, 3, 2), blocks=2, width=18),
    **{f'hrnet_w{w}': HrnetCfg(stage1=(4, 64), modules=(1, 4, 3), blocks=4, width=w)
       for w in (18, 30, 32, 40, 44, 48, 64)},
}
_MODULE_WRAPPERS = ('list', 'dict', 'hook', 'fx')


def _create_hrnet(variant: str, pretrained: bool = False, cfg_variant: Optional[str] = None,
                  **kwargs: Any) -> HighResolutionNet:
    model_cls: Any = HighResolutionNet
    feature_cls = kwargs.get('feature_cls', kwargs.get('feature_cfg', {}).get('feature_cls'))
    if kwargs.get('features_only') and feature_cls is None:
        # HRNet's own feature model (timm's default for features_only), loaded non-strictly from the full weights
        kwargs.pop('features_only')
        # the features model has no classifier, pooling or merge head (whose convs head_conv_bias configures); as
        # timm, arguments for them are dropped so the same create_model call works with and without features_only
        for key in ('num_classes', 'global_pool', 'drop_rate', 'head_conv_bias'):
            kwargs.pop(key, None)
        out_indices = kwargs.pop('out_indices', None)
        model_cls = partial(HighResolutionNetFeatures, out_indices=(0, 1, 2, 3, 4) if out_indices is None
                            else out_indices)
        kwargs.setdefault('pretrained_strict', False)
    elif kwargs.get('features_only') and isinstance(feature_cls, str) and feature_cls.lower() in _MODULE_WRAPPERS:
        raise ValueError(f"feature_cls={feature_cls!r} reads module outputs, but HRNet's branch levels all leave the "
                         f"last stage together (no module per level); use feature_cls='getter' or the default "
                         f"(HighResolutionNetFeatures).")
    elif 'feature_location' in kwargs:
        raise TypeError("feature_location selects the levels of HRNet's own features model: pass it with "
                        "features_only=True and no feature_cls.")
    # a non-classification head does not hold every checkpoint key
    kwargs.setdefault('pretrained_strict', kwargs.get('head', 'classification') == 'classification')
    model = build_model_with_cfg(model_cls, variant, pretrained, model_cfg=MODEL_CFGS[cfg_variant or variant],
                                 **kwargs)
    if model_cls is not HighResolutionNet:  # no classifier: the cfg does not describe one
        for key in ('num_classes', 'classifier', 'global_pool'):
            model.pretrained_cfg.pop(key, None)
        model.default_cfg = model.pretrained_cfg
    return model


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875,
               interpolation='bilinear', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='conv1',
               classifier='classifier', license='mit')
    cfg.update(kwargs)
    return cfg


_GLUON = dict(interpolation='bicubic', license='apache-2.0')
_PADDLE = dict(test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0)

default_cfgs = generate_default_cfgs({
    'hrnet_w18_small.gluon_in1k': _cfg(**_GLUON),
    'hrnet_w18_small.ms_in1k': _cfg(),
    'hrnet_w18_small_v2.gluon_in1k': _cfg(**_GLUON),
    'hrnet_w18_small_v2.ms_in1k': _cfg(),
    'hrnet_w18.ms_aug_in1k': _cfg(crop_pct=0.95),
    'hrnet_w18.ms_in1k': _cfg(),
    'hrnet_w18_ssld.paddle_in1k': _cfg(**_PADDLE),
    'hrnet_w30.ms_in1k': _cfg(),
    'hrnet_w32.ms_in1k': _cfg(),
    'hrnet_w40.ms_in1k': _cfg(),
    'hrnet_w44.ms_in1k': _cfg(),
    'hrnet_w48.ms_in1k': _cfg(),
    'hrnet_w48_ssld.paddle_in1k': _cfg(**_PADDLE),
    'hrnet_w64.ms_in1k': _cfg(),
})


@register_model
def hrnet_w18_small(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w18_small', pretrained, **kwargs)


@register_model
def hrnet_w18_small_v2(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w18_small_v2', pretrained, **kwargs)


@register_model
def hrnet_w18(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w18', pretrained, **kwargs)


@register_model
def hrnet_w30(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w30', pretrained, **kwargs)


@register_model
def hrnet_w32(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w32', pretrained, **kwargs)


@register_model
def hrnet_w40(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w40', pretrained, **kwargs)


@register_model
def hrnet_w44(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w44', pretrained, **kwargs)


@register_model
def hrnet_w48(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w48', pretrained, **kwargs)


@register_model
def hrnet_w64(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    return _create_hrnet('hrnet_w64', pretrained, **kwargs)


@register_model
def hrnet_w18_ssld(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    kwargs.setdefault('head_conv_bias', False)
    return _create_hrnet('hrnet_w18_ssld', pretrained, cfg_variant='hrnet_w18', **kwargs)


@register_model
def hrnet_w48_ssld(pretrained: bool = False, **kwargs) -> HighResolutionNet:
    kwargs.setdefault('head_conv_bias', False)
    return _create_hrnet('hrnet_w48_ssld', pretrained, cfg_variant='hrnet_w48', **kwargs)
