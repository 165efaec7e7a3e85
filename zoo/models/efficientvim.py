"""EfficientViM: vision Mamba with a hidden-state mixer based state space duality (HSM-SSD).

Paper: "EfficientViM: Efficient Vision Mamba with Hidden State Mixer based State Space Duality", Lee et al.,
CVPR 2025 (arXiv:2411.15241).

A 16x conv stem feeds three stages of EfficientViM blocks. Each block is depthwise conv -> HSM-SSD -> depthwise conv
-> FFN, every branch mixed into the residual stream by a learned per-channel gate (sigmoid of `alpha`, x + g (f(x) -
x)). The HSM-SSD (section 3.2) is the state space dual form of a Mamba layer without recurrence: from the tokens, a
pointwise + depthwise projection gives B, C and the step Δ; a softmax over the tokens of Δ + A weights B, so the N
tokens are compressed into a few (`state_dim`) hidden states h = x (softmax(Δ + A) * B)^T. The channel mixing
(gated projection, output projection) runs on those hidden states instead of on the N tokens (the "hidden state
mixer"), and the output is read back with C: y = h C. Stages are joined by an inverted-residual downsampling unit
with squeeze-excitation between residual depthwise convs.

The classifier (section 3.3, multi-stage hidden state fusion) pools the normalised last hidden state of every stage
plus the normalised final map, classifies each with its own linear head and adds the logits under softmax-normalised
learned weights. So `forward_features` returns a list of (B, C, L) tensors (one per stage, then the final map
flattened), and the pre-logits are those pooled vectors concatenated. The `_dist` models add a DeiT-style second head
set (`heads_dist`, `weights_dist`): `forward` returns the mean of the two, `forward_head_distilled` both.

`reparameterize_model` folds every conv-BN pair and the gated depthwise residual branches into single convs
(outputs unchanged). Deviation from timm: `global_pool=''` (timm's forward then returns the unpooled list) is refused,
so `forward` always returns a tensor.
"""
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.layers.drop import DropPath
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.norm import LayerNorm, LayerNorm2d
from zoo.layers.squeeze_excite import SEModule
from zoo.layers.weight_init import init_linear_trunc_normal_
from zoo.models._base import IndicesT, Trunk, ZooModel, check_num_classes
from zoo.models._builder import build_model_with_cfg
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import maybe_checkpoint
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models._reparam import fuse_conv_bn
from zoo.models.efficientvit_mit import ConvLayer

__all__ = ['EfficientViM', 'HiddenStateMixer', 'checkpoint_filter_fn']


def _conv(in_chs: int, out_chs: int, kernel_size: int = 1, stride: int = 1, groups: int = 1, act: bool = False,
          norm: bool = True) -> ConvLayer:
    """Conv (no bias) -> optional BN -> optional ReLU (keys `conv`, `norm`)."""
    return ConvLayer(in_chs, out_chs, kernel_size, stride, groups, norm_eps=1e-5 if norm else None,
                     act_layer=nn.ReLU if act else None)


def _depthwise(dim: int) -> ConvLayer:
    return _conv(dim, dim, 3, groups=dim)


@torch.no_grad()
def _fold_conv_bn(layer: ConvLayer) -> None:
    """Replace `layer`'s conv -> BN by one conv with a bias (eval statistics)."""
    if isinstance(layer.norm, nn.Identity):
        return
    kernel, bias = fuse_conv_bn(layer.conv.weight, layer.norm)
    conv = layer.conv
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                       groups=conv.groups, bias=True).to(conv.weight)
    folded.weight.copy_(kernel)
    folded.bias.copy_(bias)
    layer.conv, layer.norm = folded, nn.Identity()


@torch.no_grad()
def _fold_gated_residual(layer: ConvLayer, gate: Optional[torch.Tensor] = None) -> None:
    """Fold x + g (dw(x) - x) (g = 1 when None: x + dw(x)) into the depthwise conv of `layer` itself.

    A depthwise kernel maps channel c to itself, so the identity is +1 on its centre tap.
    """
    _fold_conv_bn(layer)
    conv = layer.conv
    centre = (conv.kernel_size[0] // 2, conv.kernel_size[1] // 2)
    if gate is None:
        conv.weight[:, 0, centre[0], centre[1]] += 1.
        return
    conv.weight.mul_(gate[:, None, None, None])
    conv.bias.mul_(gate)
    conv.weight[:, 0, centre[0], centre[1]] += 1. - gate


class Stem(nn.Module):
    """Four stride-2 3x3 conv-BN layers (ReLU between), widths dim/8 -> dim/4 -> dim/2 -> dim: reduction 16."""

    def __init__(self, in_chans: int, dim: int):
        super().__init__()
        widths = (in_chans, dim // 8, dim // 4, dim // 2, dim)
        self.conv = nn.Sequential(*[_conv(widths[i], widths[i + 1], 3, stride=2, act=i < 3) for i in range(4)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Pointwise1d(nn.Module):
    """A bias-free 1x1 Conv1d on (B, C, L) (key `conv`): a linear map of the channels of every position."""

    def __init__(self, in_chs: int, out_chs: int):
        super().__init__()
        self.conv = nn.Conv1d(in_chs, out_chs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class HiddenStateMixer(nn.Module):
    """HSM-SSD: compress the tokens into `state_dim` hidden states, mix channels there, read back per token.

    Returns the output map (B, C, H, W) and the mixed hidden states (B, C, state_dim) that the classifier fuses.

    Args:
        dim: channels.
        state_dim: number of hidden states.
        ssd_expand: width of the gated hidden-state projection relative to `dim`.
    """

    def __init__(self, dim: int, state_dim: int, ssd_expand: float = 1.):
        super().__init__()
        self.state_dim = state_dim
        self.d_inner = int(ssd_expand * dim)
        self.BCdt_proj = Pointwise1d(dim, 3 * state_dim)
        self.dw = _conv(3 * state_dim, 3 * state_dim, 3, groups=3 * state_dim, norm=False)
        self.hz_proj = Pointwise1d(dim, 2 * self.d_inner)
        self.out_proj = Pointwise1d(self.d_inner, dim)
        # per-state log-decay offsets of the discretisation, initialised uniformly in [1, 16] as in the paper's code
        self.A = nn.Parameter(torch.empty(state_dim).uniform_(1., 16.))
        self.D = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        batch, dim, height, width = x.shape
        tokens = x.flatten(2)
        proj = self.dw(self.BCdt_proj(tokens).view(batch, -1, height, width)).flatten(2)
        b, c, dt = proj.chunk(3, dim=1)
        # each hidden state is a softmax-weighted (over the tokens) sum of the B-modulated inputs
        token_weights = torch.softmax(dt + self.A[:, None], dim=-1) * b
        h = torch.matmul(tokens, token_weights.transpose(1, 2))
        h, z = self.hz_proj(h).chunk(2, dim=1)
        h = self.out_proj(h * F.silu(z) + h * self.D)
        return torch.matmul(h, c).view(batch, dim, height, width), h


class Ffn(nn.Module):
    """1x1 conv-BN-ReLU expansion -> 1x1 conv-BN projection (keys `fc1`, `fc2`)."""

    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        self.fc1 = _conv(dim, hidden_dim, act=True)
        self.fc2 = _conv(hidden_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(x))


class EfficientViMBlock(nn.Module):
    """Depthwise conv -> HSM-SSD (on the LayerNorm'd map) -> depthwise conv -> FFN, each mixed in by a learned gate.

    Returns the new map and the mixer's hidden states.
    """

    def __init__(self, dim: int, state_dim: int, mlp_ratio: float = 4., ssd_expand: float = 1.,
                 drop_path: float = 0.):
        super().__init__()
        self.mixer = HiddenStateMixer(dim, state_dim, ssd_expand)
        self.norm = LayerNorm2d(dim, eps=1e-5)
        self.dwconv1 = _depthwise(dim)
        self.dwconv2 = _depthwise(dim)
        self.ffn = Ffn(dim, int(dim * mlp_ratio))
        # gate logits of the four branches; sigmoid(1e-4) ~ 0.5 starts every branch half mixed in
        self.alpha = nn.Parameter(torch.full((4, dim), 1e-4))
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.folded = False

    def _mix(self, x: torch.Tensor, branch: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(gate * (branch - x))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        gates = self.alpha.sigmoid()[:, :, None, None]
        x = self.dwconv1(x) if self.folded else self._mix(x, self.dwconv1(x), gates[0])
        y, h = self.mixer(self.norm(x))
        x = self._mix(x, y, gates[1])
        x = self.dwconv2(x) if self.folded else self._mix(x, self.dwconv2(x), gates[2])
        x = self._mix(x, self.ffn(x), gates[3])
        return x, h

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the BNs and the two gated depthwise residuals into the convs (eval only; drop-path is inactive)."""
        if self.folded:
            return
        gates = self.alpha.sigmoid()
        _fold_gated_residual(self.dwconv1, gates[0])
        _fold_gated_residual(self.dwconv2, gates[2])
        _fold_conv_bn(self.ffn.fc1)
        _fold_conv_bn(self.ffn.fc2)
        self.folded = True


class Downsample(nn.Module):
    """x + dw(x) -> 1x1 expand (ratio 4 of the output width) -> stride-2 depthwise -> SE -> 1x1 project -> y + dw(y).

    The inverted residual of MobileNetV2/V3 without its shortcut (the width and resolution change), wrapped in the
    residual depthwise convs of the official code (keys `conv.0-3`, `dwconv1`, `dwconv2`).
    """

    def __init__(self, in_dim: int, out_dim: int, ratio: float = 4.):
        super().__init__()
        hidden = int(out_dim * ratio)
        self.conv = nn.Sequential(
            _conv(in_dim, hidden, act=True),
            _conv(hidden, hidden, 3, stride=2, groups=hidden, act=True),
            SEModule(hidden, rd_ratio=.25),
            _conv(hidden, out_dim),
        )
        self.dwconv1 = _depthwise(in_dim)
        self.dwconv2 = _depthwise(out_dim)
        self.folded = False

    def _local(self, dwconv: nn.Module, x: torch.Tensor) -> torch.Tensor:
        # folding moves the identity into the depthwise kernel, so the folded conv stands alone
        mixed = dwconv(x)
        return mixed if self.folded else mixed + x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._local(self.dwconv2, self.conv(self._local(self.dwconv1, x)))

    @torch.no_grad()
    def reparameterize(self) -> None:
        if self.folded:
            return
        _fold_gated_residual(self.dwconv1)
        _fold_gated_residual(self.dwconv2)
        for layer in self.conv:
            if isinstance(layer, ConvLayer):
                _fold_conv_bn(layer)
        self.folded = True


class EfficientViMStage(nn.Module):
    """Blocks at one resolution, then (except in the last stage) the downsampling to the next.

    Returns (this stage's map, the next stage's input, the last block's hidden states).
    """

    def __init__(self, dim: int, out_dim: Optional[int], depth: int, state_dim: int, mlp_ratio: float,
                 ssd_expand: float, drop_path: Sequence[float]):
        super().__init__()
        self.blocks = nn.ModuleList([
            EfficientViMBlock(dim, state_dim, mlp_ratio, ssd_expand, drop_path[i]) for i in range(depth)])
        self.downsample = Downsample(dim, out_dim) if out_dim else None
        self.grad_checkpointing = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = x.new_empty(0)
        for block in self.blocks:
            x, h = maybe_checkpoint(block, x, enabled=self.grad_checkpointing)
        return x, (x if self.downsample is None else self.downsample(x)), h


def _stages(embed_dim: Sequence[int], depths: Sequence[int], state_dim: Sequence[int], mlp_ratio: float,
            ssd_expand: float, drop_path_rate: float) -> Tuple[nn.ModuleList, List[Dict[str, Any]]]:
    rates = stagewise_drop_path_rates(drop_path_rate, depths)
    stages, feature_info = [], []
    for i, (dim, depth) in enumerate(zip(embed_dim, depths)):
        out_dim = embed_dim[i + 1] if i + 1 < len(embed_dim) else None
        stages.append(EfficientViMStage(dim, out_dim, depth, state_dim[i], mlp_ratio, ssd_expand, rates[i]))
        # the level is the stage's map before its downsampling: the stem's 16, doubled by each earlier stage
        feature_info.append(dict(num_chs=dim, reduction=16 * 2 ** i, module=f'stages.{i}'))
    return nn.ModuleList(stages), feature_info


def _channel_norm_tokens(norm: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """A LayerNorm over the channels of (B, C, L)."""
    return norm(h.transpose(1, 2)).transpose(1, 2)


class EfficientViM(ZooModel):
    """EfficientViM with the multi-stage hidden-state fusion classifier (optionally with a distillation head set).

    Args:
        in_chans: input channels.
        num_classes: classes (0: pre-logits, the pooled features of every branch concatenated).
        embed_dim: width of each stage.
        depths: blocks per stage.
        state_dim: hidden states of each stage's HSM-SSD.
        mlp_ratio: FFN expansion.
        ssd_expand: width of the gated hidden-state projection relative to the stage width.
        global_pool: 'avg' (the only pooling the fused heads are defined for).
        drop_rate: dropout on each pooled feature vector.
        drop_path_rate: stochastic depth of the last block (linear from 0).
        distillation: add the second (distillation) head set of the `_dist` models.
    """
    trunk = Trunk(stem=('patch_embed',), levels='stages')
    classifier_name = 'heads'
    groups = dict(stem=r'^patch_embed',
                  blocks=[(r'^stages\.(\d+)\.blocks\.(\d+)', None), (r'^stages\.(\d+)\.downsample', (99999,)),
                          (r'^norm', (99999,))],
                  coarse=r'^stages\.(\d+)')

    def __init__(
            self,
            in_chans: int = 3,
            num_classes: int = 1000,
            embed_dim: Sequence[int] = (128, 256, 512),
            depths: Sequence[int] = (2, 2, 2),
            state_dim: Sequence[int] = (49, 25, 9),
            mlp_ratio: float = 4.,
            ssd_expand: float = 1.,
            global_pool: str = 'avg',
            drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            distillation: bool = False,
    ):
        super().__init__()
        if not len(embed_dim) == len(depths) == len(state_dim):
            raise ValueError(f'embed_dim {tuple(embed_dim)}, depths {tuple(depths)} and state_dim '
                             f'{tuple(state_dim)} need one entry per stage.')
        self._check_pool(global_pool)
        self.global_pool = global_pool
        self.num_classes = check_num_classes(num_classes)
        self.embed_dim = tuple(embed_dim)
        self.patch_embed = Stem(in_chans, embed_dim[0])
        self.stages, self.feature_info = _stages(embed_dim, depths, state_dim, mlp_ratio, ssd_expand, drop_path_rate)
        # one norm for each stage's hidden states, one (channels-first) for the final map
        self.norm = nn.ModuleList([*[LayerNorm(d, eps=1e-5) for d in embed_dim], LayerNorm2d(embed_dim[-1], eps=1e-5)])
        self.num_features = self.head_hidden_size = sum(embed_dim) + embed_dim[-1]
        self.head_drop = nn.Dropout(drop_rate)
        self.weights = nn.Parameter(torch.ones(len(embed_dim) + 1), requires_grad=num_classes > 0)
        self.heads = self._heads(num_classes)
        if distillation:
            self.weights_dist = nn.Parameter(torch.ones(len(embed_dim) + 1), requires_grad=num_classes > 0)
            self.heads_dist = self._heads(num_classes)
        else:
            self.weights_dist, self.heads_dist = None, None
        self.apply(init_linear_trunc_normal_)

    @staticmethod
    def _check_pool(global_pool: str) -> None:
        if global_pool != 'avg':
            raise ValueError(f"EfficientViM's fused heads classify averaged features: global_pool must be 'avg', got "
                             f"{global_pool!r} (for unpooled features use forward_features).")

    def _heads(self, num_classes: int) -> nn.ModuleList:
        """One classifier per fused branch: each stage's hidden states, then the final map."""
        widths = (*self.embed_dim, self.embed_dim[-1])
        heads = nn.ModuleList([nn.Linear(w, num_classes) if num_classes > 0 else nn.Identity() for w in widths])
        return heads.train(self.training)

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {name for name, _ in self.named_parameters() if name.endswith('.D')}

    @torch.jit.ignore
    def get_classifier(self) -> Union[nn.Module, Tuple[nn.Module, nn.Module]]:
        return self.heads if self.heads_dist is None else (self.heads, self.heads_dist)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            self._check_pool(global_pool)
        self.heads = self._heads(num_classes)
        self.weights.requires_grad_(num_classes > 0)
        if self.heads_dist is not None:
            self.heads_dist = self._heads(num_classes)
            self.weights_dist.requires_grad_(num_classes > 0)

    def forward_features(self, x: torch.Tensor) -> List[torch.Tensor]:
        """The normalised hidden states (B, C, state_dim) of each stage, then the normalised final map (B, C, H*W)."""
        x = self.patch_embed(x)
        branches = []
        for stage, norm in zip(self.stages, self.norm):
            _, x, h = stage(x)
            branches.append(_channel_norm_tokens(norm, h))
        branches.append(self.norm[-1](x).flatten(2))
        return branches

    def _pooled(self, x: List[torch.Tensor]) -> List[torch.Tensor]:
        return [self.head_drop(t.mean(-1)) for t in x]

    @staticmethod
    def _fused_logits(pooled: List[torch.Tensor], heads: nn.ModuleList, weights: torch.Tensor) -> torch.Tensor:
        weights = weights.softmax(-1)
        logits = [weights[i] * head(p) for i, (head, p) in enumerate(zip(heads, pooled))]
        return torch.stack(logits).sum(0)

    def forward_head_distilled(self, x: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits of the class heads and of the distillation heads (from `forward_features` output)."""
        if self.heads_dist is None:
            raise RuntimeError('This model has no distillation heads; build a `_dist` model (distillation=True).')
        if self.num_classes == 0:
            raise RuntimeError('The classifier was removed (num_classes=0); there are no logits to return.')
        pooled = self._pooled(x)
        return (self._fused_logits(pooled, self.heads, self.weights),
                self._fused_logits(pooled, self.heads_dist, self.weights_dist))

    def forward_head(self, x: List[torch.Tensor], pre_logits: bool = False) -> torch.Tensor:
        pooled = self._pooled(x)
        if pre_logits or self.num_classes == 0:
            return torch.cat(pooled, dim=1)
        logits = self._fused_logits(pooled, self.heads, self.weights)
        if self.heads_dist is None:
            return logits
        return (logits + self._fused_logits(pooled, self.heads_dist, self.weights_dist)) / 2

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[List[torch.Tensor], List[torch.Tensor]]]:
        """Each requested stage's map (before its downsampling), and the head's branch list unless only maps are
        asked.

        `norm` applies the stage's own LayerNorm to its map. With `stop_early` short of the last stage, the branch
        list ends with the last run stage's map flattened (there is no final norm for it).
        """
        self._check_output_fmt(output_fmt)
        take, max_index = feature_take_indices(len(self.stages), indices)
        last = len(self.stages) - 1
        stop = max_index if (stop_early or intermediates_only) else last
        intermediates, branches = [], []
        x = self.patch_embed(x)
        x_out = x
        for i in range(stop + 1):
            x_out, x, h = self.stages[i](x)
            if i in take:
                level = self.norm[i](x_out.permute(0, 2, 3, 1)) if norm else x_out.permute(0, 2, 3, 1)
                intermediates.append(level.contiguous() if output_fmt == 'NHWC' else level.permute(0, 3, 1, 2))
            if not intermediates_only:
                branches.append(_channel_norm_tokens(self.norm[i], h))
        if intermediates_only:
            return intermediates
        branches.append((self.norm[-1](x) if stop == last else x_out).flatten(2))
        return branches, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(
            self,
            indices: IndicesT = 1,
            prune_norm: bool = False,
            prune_head: bool = True,
    ) -> List[int]:
        """Drop the stages after the last requested one; with `prune_head`, the heads and the norms only they use.

        The fused classifier needs every stage's hidden states, so removing stages requires `prune_head`.
        """
        take, max_index = feature_take_indices(len(self.stages), indices)
        if max_index < len(self.stages) - 1:
            if not prune_head:
                raise ValueError('EfficientViM fuses the hidden states of every stage in its classifier: removing '
                                 'stages needs prune_head=True.')
            self._keep_stages(max_index + 1)
        if prune_norm or prune_head:
            # the norms still in use: those of the requested maps (`forward_intermediates(norm=True)`), unless pruned
            in_use = () if prune_norm else take
            self.norm = nn.ModuleList([n if i in in_use else nn.Identity() for i, n in enumerate(self.norm)])
        if prune_head:
            self.reset_classifier(0)
        return take

    def _keep_stages(self, keep: int) -> None:
        """Truncate to the first `keep` stages. The fused branches shrink alike: a hidden-state branch per kept stage,
        then the final-map branch, whose norm (sized for the old last stage) becomes an Identity."""
        self.stages = self.stages[:keep]
        self.stages[-1].downsample = None
        self.feature_info = self.feature_info[:keep]
        self.embed_dim = self.embed_dim[:keep]
        self.num_features = self.head_hidden_size = sum(self.embed_dim) + self.embed_dim[-1]
        self.norm = nn.ModuleList([*self.norm[:keep], nn.Identity()])
        for name in ('weights', 'weights_dist'):
            branch_weights = getattr(self, name)
            if branch_weights is not None:
                kept = torch.cat([branch_weights[:keep], branch_weights[-1:]])
                setattr(self, name, nn.Parameter(kept.detach()))


def checkpoint_filter_fn(state_dict: Dict[str, Any], model: EfficientViM) -> Dict[str, torch.Tensor]:
    """Official EfficientViM checkpoints -> this layout.

    The releases wrap the weights as {'model': ..., 'model_ema': ...}; the EMA weights are the ones the paper reports,
    so they win. Their LayerNorm parameters are stored broadcastable ((1, C, 1, 1) and the like) and are flattened;
    a non-distilled model drops the distillation heads.
    """
    for wrapper in ('model_ema', 'model', 'state_dict'):
        if 'patch_embed.conv.0.conv.weight' in state_dict:
            break
        if isinstance(state_dict.get(wrapper), dict):
            state_dict = state_dict[wrapper]
    layer_norms = {f'{name}.{p}': m.normalized_shape for name, m in model.named_modules()
                   if isinstance(m, nn.LayerNorm) for p in ('weight', 'bias')}
    out = {}
    for k, v in state_dict.items():
        if model.heads_dist is None and (k == 'weights_dist' or k.startswith('heads_dist.')):
            continue
        out[k] = v.reshape(layer_norms[k]) if k in layer_norms else v
    return out


def _create_efficientvim(variant: str, pretrained: bool = False, **kwargs: Any) -> EfficientViM:
    return build_model_with_cfg(EfficientViM, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=(0, 1, 2), feature_cls='getter'), **kwargs)


_HEADS = ('heads.0', 'heads.1', 'heads.2', 'heads.3')
_DIST_HEADS = _HEADS + ('heads_dist.0', 'heads_dist.1', 'heads_dist.2', 'heads_dist.3')


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(url='', hf_hub_id='timm/', num_classes=1000, input_size=(3, 224, 224), pool_size=None, crop_pct=.875,
               interpolation='bicubic', mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
               first_conv='patch_embed.conv.0.conv', classifier=_HEADS, paper_ids='arXiv:2411.15241',
               origin_url='https://github.com/mlvlab/EfficientViM', license='mit')
    return {**cfg, **kwargs}


default_cfgs = generate_default_cfgs({
    'efficientvim_m1.e300_in1k': _cfg(),
    'efficientvim_m1.e450_in1k': _cfg(),
    'efficientvim_m1_dist.in1k': _cfg(classifier=_DIST_HEADS),
    'efficientvim_m2.e300_in1k': _cfg(),
    'efficientvim_m2.e450_in1k': _cfg(),
    'efficientvim_m2_dist.in1k': _cfg(classifier=_DIST_HEADS),
    'efficientvim_m3.e300_in1k': _cfg(),
    'efficientvim_m3.e450_in1k': _cfg(),
    'efficientvim_m3_dist.in1k': _cfg(classifier=_DIST_HEADS),
    'efficientvim_m4.e300_in1k': _cfg(input_size=(3, 256, 256)),
    'efficientvim_m4.e450_in1k': _cfg(input_size=(3, 256, 256)),
    'efficientvim_m4_dist.in1k': _cfg(input_size=(3, 256, 256), classifier=_DIST_HEADS),
})

# (embed_dim, depths, state_dim) of each model (paper table 1)
_ARCHS: Dict[str, Dict[str, Any]] = dict(
    m1=dict(embed_dim=(128, 192, 320), depths=(2, 2, 2), state_dim=(49, 25, 9)),
    m2=dict(embed_dim=(128, 256, 512), depths=(2, 2, 2), state_dim=(49, 25, 9)),
    m3=dict(embed_dim=(224, 320, 512), depths=(2, 2, 2), state_dim=(49, 25, 9)),
    m4=dict(embed_dim=(224, 320, 512), depths=(3, 4, 2), state_dim=(64, 32, 16)),
)


def _efficientvim(variant: str, pretrained: bool, kwargs: Dict[str, Any]) -> EfficientViM:
    size, _, dist = variant[len('efficientvim_'):].partition('_')
    return _create_efficientvim(variant, pretrained, **dict(_ARCHS[size], distillation=bool(dist), **kwargs))


@register_model
def efficientvim_m1(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m1', pretrained, kwargs)


@register_model
def efficientvim_m2(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m2', pretrained, kwargs)


@register_model
def efficientvim_m3(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m3', pretrained, kwargs)


@register_model
def efficientvim_m4(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m4', pretrained, kwargs)


@register_model
def efficientvim_m1_dist(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m1_dist', pretrained, kwargs)


@register_model
def efficientvim_m2_dist(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m2_dist', pretrained, kwargs)


@register_model
def efficientvim_m3_dist(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m3_dist', pretrained, kwargs)


@register_model
def efficientvim_m4_dist(pretrained: bool = False, **kwargs) -> EfficientViM:
    return _efficientvim('efficientvim_m4_dist', pretrained, kwargs)
