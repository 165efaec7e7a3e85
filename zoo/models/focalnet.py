"""FocalNet: focal modulation in place of self-attention.

Paper: "Focal Modulation Networks", Yang et al., NeurIPS 2022 (arXiv:2203.11926). A token is not updated by attending
to others; instead a 1x1 projection splits the map into a query q, a context c and L + 1 gates. The context goes
through L depthwise convs with growing kernels (window, window + 2, ...; GELU after each), each level's output is
weighted by its gate and summed, and a globally pooled (and GELU'd) summary of the last level is added with the last
gate. A 1x1 conv h turns the aggregated context into a modulator, the output is q * modulator followed by a 1x1
projection. Blocks are Swin-like (modulation + MLP, pre-norm with channels-first LayerNorms; the large models use
post-norm and LayerScale instead), in four stages over a stride-4 patch embedding, with a 2x2 (or overlapping 3x3)
strided conv + LayerNorm between stages. All of it runs on NCHW maps.

`checkpoint_filter_fn` converts the official (microsoft/FocalNet) checkpoints.
"""
import re
from typing import Any, Dict, Optional, Sequence

import torch
import torch.nn as nn

from zoo.layers import DropPath, LayerType, trunc_normal_
from zoo.layers.classifier import ClassifierHead
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.layer_scale import LayerScale2d
from zoo.layers.mlp import Mlp
from zoo.layers.norm import LayerNorm2d
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._key_rules import rename_keys
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['FocalNet', 'FocalNetBlock', 'FocalModulation']


class FocalModulation(nn.Module):
    """q * h(sum_l gate_l * ctx_l + gate_L * GELU(mean(ctx_{L-1}))), projected.

    Args:
        dim: channels.
        focal_window: kernel of the first context level.
        focal_level: number of context levels L.
        focal_factor: kernel growth per level.
        bias: bias of the f / h projections.
        use_post_norm: LayerNorm on the modulated map before the projection.
        normalize_modulator: divide the aggregated context by L + 1.
        proj_drop: dropout after the projection.
        norm_layer: channels-first norm.
    """

    def __init__(self, dim: int, focal_window: int, focal_level: int, focal_factor: int = 2, bias: bool = True,
                 use_post_norm: bool = False, normalize_modulator: bool = False, proj_drop: float = 0.,
                 norm_layer: LayerType = LayerNorm2d):
        super().__init__()
        self.focal_level = focal_level
        self.normalize_modulator = normalize_modulator
        self.f = nn.Conv2d(dim, 2 * dim + focal_level + 1, 1, bias=bias)
        self.h = nn.Conv2d(dim, dim, 1, bias=bias)
        self.act = nn.GELU()
        self.proj = nn.Conv2d(dim, dim, 1)
        self.proj_drop = nn.Dropout(proj_drop)
        self.kernel_sizes = [focal_window + focal_factor * level for level in range(focal_level)]
        self.focal_layers = nn.ModuleList([
            nn.Sequential(nn.Conv2d(dim, dim, k, padding=k // 2, groups=dim, bias=False), nn.GELU())
            for k in self.kernel_sizes])
        self.norm = norm_layer(dim) if use_post_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dim = x.shape[1]
        q, ctx, gates = self.f(x).split([dim, dim, self.focal_level + 1], dim=1)
        # a running sum started from the first level, not from zeros (one fill and one add fewer per block)
        aggregate: Optional[torch.Tensor] = None
        for level, layer in enumerate(self.focal_layers):
            ctx = layer(ctx)
            term = ctx * gates[:, level:level + 1]
            aggregate = term if aggregate is None else aggregate + term
        # the global level: the last local context pooled over the whole map
        term = self.act(ctx.mean((2, 3), keepdim=True)) * gates[:, self.focal_level:]
        aggregate = term if aggregate is None else aggregate + term
        if self.normalize_modulator:
            aggregate = aggregate / (self.focal_level + 1)
        return self.proj_drop(self.proj(self.norm(q * self.h(aggregate))))


class FocalNetBlock(nn.Module):
    """Focal modulation and a 1x1-conv MLP, each residual; norms before each branch, or after it with `use_post_norm`
    (keys norm1 / norm2 vs norm1_post / norm2_post), and optional LayerScale."""

    def __init__(self, dim: int, mlp_ratio: float = 4., focal_level: int = 1, focal_window: int = 3,
                 use_post_norm: bool = False, use_post_norm_in_modulation: bool = False,
                 normalize_modulator: bool = False, layerscale_value: Optional[float] = 1e-4, proj_drop: float = 0.,
                 drop_path: float = 0., act_layer: LayerType = nn.GELU, norm_layer: LayerType = LayerNorm2d):
        super().__init__()
        pre_norm = (lambda: norm_layer(dim)) if not use_post_norm else nn.Identity
        post_norm = (lambda: norm_layer(dim)) if use_post_norm else nn.Identity
        scale = (lambda: LayerScale2d(dim, layerscale_value)) if layerscale_value is not None else nn.Identity
        self.norm1 = pre_norm()
        self.modulation = FocalModulation(dim, focal_window, focal_level, use_post_norm=use_post_norm_in_modulation,
                                          normalize_modulator=normalize_modulator, proj_drop=proj_drop,
                                          norm_layer=norm_layer)
        self.norm1_post = post_norm()
        self.ls1 = scale()
        self.drop_path1 = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = pre_norm()
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=proj_drop, use_conv=True)
        self.norm2_post = post_norm()
        self.ls2 = scale()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.ls1(self.norm1_post(self.modulation(self.norm1(x)))))
        return x + self.drop_path2(self.ls2(self.norm2_post(self.mlp(self.norm2(x)))))


class Downsample(nn.Module):
    """Strided conv + norm: patchifying (kernel = stride) or overlapping (7x7 for stride 4, 3x3 for stride 2)."""

    def __init__(self, in_chs: int, out_chs: int, stride: int = 4, overlap: bool = False,
                 norm_layer: Optional[LayerType] = None):
        super().__init__()
        kernel_size, padding = ({4: (7, 2), 2: (3, 1)}[stride]) if overlap else (stride, 0)
        self.proj = nn.Conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=padding)
        self.norm = norm_layer(out_chs) if norm_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


class FocalNetStage(nn.Module):
    """Optional downsample, then blocks (keys `downsample`, `blocks`)."""
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, in_dim: int, dim: int, depth: int, downsample: bool, overlap: bool,
                 drop_path: Sequence[float], norm_layer: LayerType, **block_kwargs: Any):
        super().__init__()
        self.downsample = Downsample(in_dim, dim, 2, overlap, norm_layer) if downsample else nn.Identity()
        self.blocks = CheckpointSequential(*[FocalNetBlock(dim, drop_path=rate, norm_layer=norm_layer, **block_kwargs)
                                     for rate in drop_path[:depth]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        return self.blocks(x)


class FocalNet(ZooModel):
    """Focal Modulation Network.

    Args:
        in_chans: input image channels.
        num_classes: classifier outputs; 0 removes the classifier.
        global_pool: 'avg', 'max', 'avgmax', 'catavgmax', or '' (with num_classes=0) for unpooled maps.
        embed_dim: width of the first stage (doubling per stage).
        depths: blocks per stage.
        mlp_ratio: MLP expansion.
        focal_levels: context levels of each stage.
        focal_windows: first context kernel of each stage.
        use_overlap_down: overlapping convs in the stem and downsamples.
        use_post_norm: norms after the branches (with LayerScale, the large models) instead of before.
        use_post_norm_in_modulation: LayerNorm inside the modulation (the huge models).
        normalize_modulator: divide the aggregated context by the number of levels.
        head_hidden_size: with a value, a pool -> norm -> hidden layer head replaces the final norm + linear head.
        head_init_scale: scale of the initial classifier weights.
        layerscale_value: LayerScale init; None disables it.
        drop_rate: dropout before the classifier.
        proj_drop_rate: dropout after the projections.
        drop_path_rate: stochastic depth rate of the last block.
    """
    trunk = Trunk(stem=('stem',), levels='layers', final=('norm',))
    classifier_name = 'head.fc'
    groups = dict(stem=r'^stem',
                  blocks=[(r'^layers\.(\d+).downsample', (0,)), (r'^layers\.(\d+)\.\w+\.(\d+)', None),
                          (r'^norm', (99999,))],
                  coarse=[(r'^layers\.(\d+)', None), (r'^norm', (99999,))])

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            embed_dim: int = 96,
            depths: Sequence[int] = (2, 2, 6, 2),
            mlp_ratio: float = 4.,
            focal_levels: Sequence[int] = (2, 2, 2, 2),
            focal_windows: Sequence[int] = (3, 3, 3, 3),
            use_overlap_down: bool = False,
            use_post_norm: bool = False,
            use_post_norm_in_modulation: bool = False,
            normalize_modulator: bool = False,
            head_hidden_size: Optional[int] = None,
            head_init_scale: float = 1.,
            layerscale_value: Optional[float] = None,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.1,
    ):
        super().__init__()
        if not len(depths) == len(focal_levels) == len(focal_windows):
            raise ValueError(f'depths, focal_levels and focal_windows need one entry per stage, got {len(depths)}, '
                             f'{len(focal_levels)} and {len(focal_windows)}.')
        norm_layer = LayerNorm2d
        dims = [embed_dim * 2 ** i for i in range(len(depths))]
        self.num_classes = num_classes
        self.in_chans = in_chans
        self.num_features = dims[-1]
        self.stem = Downsample(in_chans, dims[0], 4, use_overlap_down, norm_layer)
        rates = stagewise_drop_path_rates(drop_path_rate, depths)
        stages, self.feature_info = [], []
        for i, depth in enumerate(depths):
            stages.append(FocalNetStage(
                dims[i - 1] if i else dims[0], dims[i], depth, downsample=i > 0, overlap=use_overlap_down,
                drop_path=rates[i], norm_layer=norm_layer, mlp_ratio=mlp_ratio, focal_level=focal_levels[i],
                focal_window=focal_windows[i], use_post_norm=use_post_norm,
                use_post_norm_in_modulation=use_post_norm_in_modulation, normalize_modulator=normalize_modulator,
                layerscale_value=layerscale_value, proj_drop=proj_drop_rate))
            self.feature_info.append(dict(num_chs=dims[i], reduction=4 * 2 ** i, module=f'layers.{i}'))
        self.layers = nn.Sequential(*stages)
        if head_hidden_size:
            # the norm moves into the head, after pooling
            self.norm = nn.Identity()
            self.head = NormMlpClassifierHead(self.num_features, num_classes, hidden_size=head_hidden_size,
                                              pool_type=global_pool, drop_rate=drop_rate, norm_layer=norm_layer)
        else:
            self.norm = norm_layer(self.num_features)
            self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate)
        self.head_hidden_size = head_hidden_size or self.num_features
        self._init_weights(head_init_scale)

    def _init_weights(self, head_init_scale: float) -> None:
        for name, module in self.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
                if name.startswith('head.fc') and isinstance(module, nn.Linear):
                    module.weight.data.mul_(head_init_scale)
                    module.bias.data.mul_(head_init_scale)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.layers(self.stem(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: FocalNet) -> Dict[str, torch.Tensor]:
    """Official checkpoints: `patch_embed` is the stem, a stage's downsample sits at the end of the previous stage,
    LayerScale is `gamma_<i>`, post-norms are `norm<i>`, the classifier is `head`, and the MLP / modulation weights of
    the linear-layer implementation need 1x1 conv shapes."""
    state_dict = state_dict.get('model', state_dict)
    if 'stem.proj.weight' in state_dict:
        return state_dict
    own = model.state_dict()
    renames = [
        (r'gamma_(\d)', r'ls\1.gamma'),
        (r'^patch_embed', 'stem'),
        (r'^layers\.(\d+)\.downsample', lambda m: f'layers.{int(m.group(1)) + 1}.downsample'),
        (r'\.ln\.', '.norm.'),
        (r'^head\.', 'head.fc.'),
    ]
    out = {}
    for key, value in rename_keys(state_dict, renames).items():
        if key not in own:
            # with post-norm the official `norm<i>` is zoo's `norm<i>_post`
            key = re.sub(r'\.norm(\d)\.', r'.norm\1_post.', key)
        if key in own and own[key].shape != value.shape and own[key].numel() == value.numel():
            value = value.reshape(own[key].shape)
        out[key] = value
    return out


def _create_focalnet(variant: str, pretrained: bool = False, **kwargs: Any) -> FocalNet:
    return build_model_with_cfg(FocalNet, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2, 3), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=.9,
               interpolation='bicubic', first_conv='stem.proj', classifier='head.fc', license='mit')
    cfg.update(kwargs)
    return cfg


_IN22K_384 = dict(input_size=(3, 384, 384), pool_size=(12, 12), crop_pct=1.0, num_classes=21842)

default_cfgs = generate_default_cfgs({
    'focalnet_tiny_srf.ms_in1k': _cfg(),
    'focalnet_small_srf.ms_in1k': _cfg(),
    'focalnet_base_srf.ms_in1k': _cfg(),
    'focalnet_tiny_lrf.ms_in1k': _cfg(),
    'focalnet_small_lrf.ms_in1k': _cfg(),
    'focalnet_base_lrf.ms_in1k': _cfg(),
    'focalnet_large_fl3.ms_in22k': _cfg(**_IN22K_384),
    'focalnet_large_fl4.ms_in22k': _cfg(**_IN22K_384),
    'focalnet_xlarge_fl3.ms_in22k': _cfg(**_IN22K_384),
    'focalnet_xlarge_fl4.ms_in22k': _cfg(**_IN22K_384),
    'focalnet_huge_fl3.ms_in22k': _cfg(num_classes=21842),
    # published as a backbone without a classifier
    'focalnet_huge_fl4.ms_in22k': _cfg(num_classes=0),
})

# name -> (depths, embed_dim, focal level) of the pre-norm models; 'srf' / 'lrf' = 2 / 3 context levels
_SMALL = {'tiny': ((2, 2, 6, 2), 96), 'small': ((2, 2, 18, 2), 96), 'base': ((2, 2, 18, 2), 128)}
# post-norm, LayerScale, overlapping downsamples; fl3 variants start at a 5x5 context window (huge: 3x3)
_LARGE = {'large': 192, 'xlarge': 256, 'huge': 352}


def _focalnet(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> FocalNet:
    _, size, kind = variant.split('_')
    if size in _SMALL:
        depths, dim = _SMALL[size]
        args = dict(depths=depths, embed_dim=dim, focal_levels=(2 if kind == 'srf' else 3,) * 4)
    else:
        levels = int(kind[-1])
        args = dict(depths=(2, 2, 18, 2), embed_dim=_LARGE[size], focal_levels=(levels,) * 4, use_post_norm=True,
                    use_overlap_down=True, layerscale_value=1e-4, use_post_norm_in_modulation=size == 'huge')
        if levels == 3:
            args['focal_windows'] = (3 if size == 'huge' else 5,) * 4
    return _create_focalnet(variant, pretrained, **dict(args, **kwargs))


@register_model
def focalnet_tiny_srf(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_tiny_srf', pretrained, kwargs)


@register_model
def focalnet_small_srf(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_small_srf', pretrained, kwargs)


@register_model
def focalnet_base_srf(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_base_srf', pretrained, kwargs)


@register_model
def focalnet_tiny_lrf(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_tiny_lrf', pretrained, kwargs)


@register_model
def focalnet_small_lrf(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_small_lrf', pretrained, kwargs)


@register_model
def focalnet_base_lrf(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_base_lrf', pretrained, kwargs)


@register_model
def focalnet_large_fl3(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_large_fl3', pretrained, kwargs)


@register_model
def focalnet_large_fl4(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_large_fl4', pretrained, kwargs)


@register_model
def focalnet_xlarge_fl3(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_xlarge_fl3', pretrained, kwargs)


@register_model
def focalnet_xlarge_fl4(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_xlarge_fl4', pretrained, kwargs)


@register_model
def focalnet_huge_fl3(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_huge_fl3', pretrained, kwargs)


@register_model
def focalnet_huge_fl4(pretrained: bool = False, **kwargs) -> FocalNet:
    return _focalnet('focalnet_huge_fl4', pretrained, kwargs)
