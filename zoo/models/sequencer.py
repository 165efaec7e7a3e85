"""Sequencer: an MLP-Mixer-style pyramid whose token mixer is a pair of bidirectional LSTMs.

Paper: "Sequencer: Deep LSTM for Image Classification", Tatsunami & Taki, 2022 (arXiv:2205.01972). The BiLSTM2D
token mixer (section 3.2) runs one bidirectional LSTM down every column and another along every row of the
channels-last map, concatenates their outputs (or adds them, or keeps one direction) and mixes them back to the block
width with a linear layer. Blocks are pre-norm residuals `x + LSTM2d(LN(x))`, `x + MLP(LN(x))`.

The trunk is a 7x7 patch embedding followed by four stages, each opened (except the first) by a patch-merging conv
(kernel = stride = its patch size; 1 for the last two stages of the published models, which keep the resolution).
The whole trunk runs on NHWC tensors, so level outputs are NHWC. As in the reference, one stochastic-depth rate
applies to every block (no linear schedule). Unlike timm, gradient checkpointing is supported (per stage).
"""
import math
import re
from typing import Any, Callable, Dict, List, Sequence, Tuple, Type

import torch
import torch.nn as nn

from zoo.layers import ClassifierHead, DropPath, LayerType, Mlp, get_act_layer
from zoo.layers.patch_embed import PatchEmbed
from zoo.models._base import Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, named_apply
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.mlp_mixer import _init_mixer_module

__all__ = ['Sequencer2d', 'LSTM2d', 'Sequencer2dBlock', 'Sequencer2dStage']

NormFactory = Callable[[int], nn.Module]
_UNIONS = ('cat', 'add', 'vertical', 'horizontal')


def _layer_norm(dim: int) -> nn.LayerNorm:
    return nn.LayerNorm(dim, eps=1e-6)


class LSTM2d(nn.Module):
    """BiLSTM2D token mixing on (B, H, W, C) maps: an LSTM over each column (`rnn_v`) and each row (`rnn_h`).

    Args:
        input_size: channels of the map (and of the output).
        hidden_size: LSTM hidden width per direction.
        num_layers: stacked LSTM layers.
        bias: LSTM biases.
        bidirectional: run each LSTM both ways (outputs concatenated, 2 x hidden_size).
        union: 'cat' (concatenate the column and row outputs), 'add' (sum them), 'vertical' / 'horizontal' (only one).
        with_fc: project the merged output back to `input_size`; without it the merged width must equal it.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 bidirectional: bool = True, union: str = 'cat', with_fc: bool = True):
        super().__init__()
        if union not in _UNIONS:
            raise ValueError(f'Unknown union {union!r}; use one of {_UNIONS}.')
        self.union = union
        rnn_out = hidden_size * (2 if bidirectional else 1)
        merged = 2 * rnn_out if union == 'cat' else rnn_out

        def make_rnn() -> nn.LSTM:
            return nn.LSTM(input_size, hidden_size, num_layers, bias=bias, batch_first=True,
                           bidirectional=bidirectional)

        if with_fc:
            self.fc = nn.Linear(merged, input_size)
        elif merged != input_size:
            raise ValueError(f'Without with_fc the LSTM output ({merged} channels for union={union!r}) must equal the '
                             f'input width {input_size}; set with_fc=True or change hidden_size.')
        else:
            self.fc = None
        # registered after `fc`: the published state_dict order (feature wrappers and order-matched loads see it)
        self.rnn_v = make_rnn() if union != 'horizontal' else None
        self.rnn_h = make_rnn() if union != 'vertical' else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        outs = []
        if self.rnn_v is not None:
            cols = x.transpose(1, 2).reshape(b * w, h, c)
            outs.append(self.rnn_v(cols)[0].reshape(b, w, h, -1).transpose(1, 2))
        if self.rnn_h is not None:
            outs.append(self.rnn_h(x.reshape(b * h, w, c))[0].reshape(b, h, w, -1))
        if len(outs) == 1:
            x = outs[0]
        else:
            x = torch.cat(outs, dim=-1) if self.union == 'cat' else outs[0] + outs[1]
        return self.fc(x) if self.fc is not None else x


class Sequencer2dBlock(nn.Module):
    """`x + drop_path(rnn(norm1(x)))`, then `x + drop_path(mlp(norm2(x)))` on NHWC maps.

    Args:
        dim: channels.
        hidden_size: LSTM hidden width per direction.
        mlp_ratio: MLP hidden width relative to `dim`.
        rnn_layer: the token mixer class (LSTM2d signature).
        mlp_layer: the channel MLP class (Mlp signature).
        norm_layer: channels-last norm.
        act_layer: MLP activation.
        drop: MLP dropout.
        drop_path: stochastic depth rate.
        **rnn_kwargs: num_layers, bidirectional, union, with_fc for the token mixer.
    """

    def __init__(self, dim: int, hidden_size: int, mlp_ratio: float = 3.0, rnn_layer: Type[nn.Module] = LSTM2d,
                 mlp_layer: Type[nn.Module] = Mlp, norm_layer: NormFactory = _layer_norm,
                 act_layer: Type[nn.Module] = nn.GELU, drop: float = 0., drop_path: float = 0., **rnn_kwargs: Any):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.rnn_tokens = rnn_layer(dim, hidden_size, **rnn_kwargs)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp_channels = mlp_layer(dim, int(mlp_ratio * dim), act_layer=act_layer, drop=drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.rnn_tokens(self.norm1(x)))
        return x + self.drop_path(self.mlp_channels(self.norm2(x)))


class Downsample2d(nn.Module):
    """Patch merging on NHWC maps: a conv with kernel = stride = `patch_size`."""

    def __init__(self, in_dim: int, out_dim: int, patch_size: int):
        super().__init__()
        self.down = nn.Conv2d(in_dim, out_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class Sequencer2dStage(nn.Module):
    """[patch merging] -> `depth` Sequencer blocks (NHWC in and out).

    Args:
        dim: input channels.
        dim_out: output channels.
        depth: number of blocks.
        patch_size: patch-merging kernel / stride.
        hidden_size: LSTM hidden width per direction.
        mlp_ratio: MLP hidden width relative to `dim_out`.
        downsample: open the stage with patch merging (needed when `dim != dim_out`).
        drop_path_rates: stochastic depth rate per block.
        **block_kwargs: passed to every block.
    """
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, dim_out: int, depth: int, patch_size: int, hidden_size: int, mlp_ratio: float,
                 downsample: bool = False, drop_path_rates: Sequence[float] = (), **block_kwargs: Any):
        super().__init__()
        if downsample:
            self.downsample = Downsample2d(dim, dim_out, patch_size)
        elif dim != dim_out:
            raise ValueError(f'A stage that changes the width ({dim} -> {dim_out}) needs downsample=True.')
        else:
            self.downsample = nn.Identity()
        rates = list(drop_path_rates) or [0.] * depth
        self.blocks = CheckpointSequential(*[
            Sequencer2dBlock(dim_out, hidden_size, mlp_ratio=mlp_ratio, drop_path=rates[i], **block_kwargs)
            for i in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        return self.blocks(x)


def make_stages(
        layers: Sequence[int],
        patch_sizes: Sequence[int],
        embed_dims: Sequence[int],
        hidden_sizes: Sequence[int],
        mlp_ratios: Sequence[float],
        drop_path_rate: float = 0.,
        **block_kwargs: Any,
) -> Tuple[List[Sequencer2dStage], List[Dict[str, Any]]]:
    """The stages after the patch embedding (`patch_sizes[0]`), and their feature_info."""
    counts = {len(v) for v in (layers, patch_sizes, embed_dims, hidden_sizes, mlp_ratios)}
    if len(counts) != 1:
        raise ValueError('layers, patch_sizes, embed_dims, hidden_sizes and mlp_ratios need one entry per stage, got '
                         f'lengths {[len(v) for v in (layers, patch_sizes, embed_dims, hidden_sizes, mlp_ratios)]}.')
    stages, feature_info = [], []
    prev_dim, reduction = embed_dims[0], 1
    for i, dim in enumerate(embed_dims):
        reduction *= patch_sizes[i]
        stages.append(Sequencer2dStage(
            prev_dim, dim, layers[i], patch_size=patch_sizes[i], hidden_size=hidden_sizes[i],
            mlp_ratio=mlp_ratios[i], downsample=i > 0, drop_path_rates=[drop_path_rate] * layers[i], **block_kwargs))
        prev_dim = dim
        feature_info.append(dict(num_chs=dim, reduction=reduction, module=f'stages.{i}'))
    return stages, feature_info


class Sequencer2d(ZooModel):
    """Sequencer2D: patch embedding, four stages of BiLSTM2D blocks (NHWC), LayerNorm, pooled linear head.

    Args:
        num_classes: classifier outputs; 0 removes the classifier.
        in_chans: input image channels.
        global_pool: 'avg', 'max', ..., or '' to classify every position.
        layers: blocks per stage.
        patch_sizes: patch embedding size, then each stage's patch-merging size.
        embed_dims: channels per stage.
        hidden_sizes: LSTM hidden width per stage.
        mlp_ratios: MLP hidden width per stage, relative to its channels.
        rnn_layer: token mixer class (LSTM2d signature).
        mlp_layer: channel MLP class (Mlp signature).
        norm_layer: channels-last norm (LayerNorm, eps 1e-6).
        act_layer: MLP activation.
        num_rnn_layers: stacked LSTM layers in each mixer.
        bidirectional: bidirectional LSTMs.
        union: how the column and row outputs merge ('cat', 'add', 'vertical', 'horizontal').
        with_fc: a linear projection after the merge.
        drop_rate: dropout before the classifier.
        proj_drop_rate: MLP dropout.
        drop_path_rate: stochastic depth rate of every block.
        nlhb: initialise the classifier bias to -log(num_classes) (negative log-likelihood bias).
        stem_norm: a norm after the patch embedding.
    """
    trunk = Trunk(stem=('stem',), levels='stages', final=('norm',), level_fmt='NHWC')
    groups = dict(
        stem=r'^stem',
        coarse=[(r'^stages\.(\d+)', None), (r'^norm', (99999,))],
        blocks=[(r'^stages\.(\d+)\.blocks\.(\d+)', None), (r'^stages\.(\d+)\.downsample', (0,)),
                (r'^norm', (99999,))],
    )

    def __init__(
            self,
            num_classes: int = 1000,
            in_chans: int = 3,
            global_pool: str = 'avg',
            layers: Sequence[int] = (4, 3, 8, 3),
            patch_sizes: Sequence[int] = (7, 2, 2, 1),
            embed_dims: Sequence[int] = (192, 384, 384, 384),
            hidden_sizes: Sequence[int] = (48, 96, 96, 96),
            mlp_ratios: Sequence[float] = (3.0, 3.0, 3.0, 3.0),
            rnn_layer: Type[nn.Module] = LSTM2d,
            mlp_layer: Type[nn.Module] = Mlp,
            norm_layer: NormFactory = _layer_norm,
            act_layer: LayerType = nn.GELU,
            num_rnn_layers: int = 1,
            bidirectional: bool = True,
            union: str = 'cat',
            with_fc: bool = True,
            drop_rate: float = 0.,
            proj_drop_rate: float = 0.,
            drop_path_rate: float = 0.,
            nlhb: bool = False,
            stem_norm: bool = False,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.num_features = self.head_hidden_size = embed_dims[-1]
        self.drop_rate = drop_rate
        self.stem = PatchEmbed(img_size=None, patch_size=patch_sizes[0], in_chans=in_chans, embed_dim=embed_dims[0],
                               norm_layer=norm_layer if stem_norm else None, output_fmt='NHWC')
        stages, self.feature_info = make_stages(
            layers, patch_sizes, embed_dims, hidden_sizes, mlp_ratios,
            drop_path_rate=drop_path_rate,
            rnn_layer=rnn_layer,
            mlp_layer=mlp_layer,
            norm_layer=norm_layer,
            act_layer=get_act_layer(act_layer),
            num_layers=num_rnn_layers,
            bidirectional=bidirectional,
            union=union,
            with_fc=with_fc,
            drop=proj_drop_rate,
        )
        self.stages = nn.Sequential(*stages)
        self.norm = norm_layer(self.num_features)
        self.head = ClassifierHead(self.num_features, num_classes, pool_type=global_pool, drop_rate=drop_rate,
                                   input_fmt='NHWC')
        self.init_weights(nlhb=nlhb)

    def init_weights(self, nlhb: bool = False) -> None:
        """The MLP-Mixer recipe (xavier linears, lecun-normal convs, zero head); LSTMs keep PyTorch's uniform init."""
        head_bias = -math.log(self.num_classes) if nlhb and self.num_classes > 0 else 0.
        named_apply(lambda module, name: _init_mixer_module(module, name, head_bias=head_bias), self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """NHWC features of the last stage, normed."""
        return self.norm(self.stages(self.stem(x)))


def checkpoint_filter_fn(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """Accept the official okojoalg/sequencer checkpoints besides timm's layout.

    The official layout numbers blocks `blocks.<stage>.<block>`, puts each stage's patch merging at the end of the
    previous stage (`blocks.<stage - 1>.<last>.down`) and names the classifier `head`.
    """
    state_dict = state_dict.get('model', state_dict)
    if 'stages.0.blocks.0.norm1.weight' in state_dict:
        return state_dict
    out = {}
    for key, value in state_dict.items():
        key = re.sub(r'^blocks\.(\d+)\.\d+\.down\.',
                     lambda m: f'stages.{int(m.group(1)) + 1}.downsample.down.', key)
        key = re.sub(r'^blocks\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.', key)
        key = re.sub(r'^head\.', 'head.fc.', key)
        out[key] = value
    return out


def _create_sequencer2d(variant: str, pretrained: bool = False, **kwargs: Any) -> Sequencer2d:
    return build_model_with_cfg(
        Sequencer2d, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(out_indices=(0, 1, 2), flatten_sequential=True), **kwargs)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), pool_size=None, crop_pct=0.875, interpolation='bicubic',
               fixed_input_size=True, first_conv='stem.proj', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


default_cfgs = generate_default_cfgs({
    'sequencer2d_s.in1k': _cfg(),
    'sequencer2d_m.in1k': _cfg(),
    'sequencer2d_l.in1k': _cfg(),
})


def _sequencer(variant: str, pretrained: bool, layers: Tuple[int, ...], kwargs: Dict[str, Any]) -> Sequencer2d:
    # every published size shares widths, LSTM sizes and patch sizes; only the depths differ
    model_args = dict(layers=layers, patch_sizes=(7, 2, 1, 1), embed_dims=(192, 384, 384, 384),
                      hidden_sizes=(48, 96, 96, 96), mlp_ratios=(3.0, 3.0, 3.0, 3.0))
    return _create_sequencer2d(variant, pretrained, **dict(model_args, **kwargs))


@register_model
def sequencer2d_s(pretrained: bool = False, **kwargs) -> Sequencer2d:
    return _sequencer('sequencer2d_s', pretrained, (4, 3, 8, 3), kwargs)


@register_model
def sequencer2d_m(pretrained: bool = False, **kwargs) -> Sequencer2d:
    return _sequencer('sequencer2d_m', pretrained, (4, 3, 14, 3), kwargs)


@register_model
def sequencer2d_l(pretrained: bool = False, **kwargs) -> Sequencer2d:
    return _sequencer('sequencer2d_l', pretrained, (8, 8, 16, 4), kwargs)
