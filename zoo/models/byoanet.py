"""Bring-Your-Own-Attention networks: ByobNet ResNets with self-attention blocks in the later stages.

The models are `ByobNet`s (zoo.models.byobnet) whose 'self_attn' blocks replace the kxk conv of a bottleneck by:
- bottleneck attention (BoTNet): "Bottleneck Transformers for Visual Recognition", Srinivas et al., 2021
  (arXiv:2101.11605); global attention, so the input size is fixed (`img_size`, the `_256` names);
- halo attention (HaloNet): "Scaling Local Self-Attention for Parameter Efficient Visual Backbones", Vaswani et al.,
  2021 (arXiv:2103.12731); feature maps must be multiples of the block size (256 px inputs for block 8);
- lambda layers (LambdaResNet): "LambdaNetworks: Modeling Long-Range Interactions Without Attention", Bello, 2021
  (arXiv:2102.08602); local lambda convolutions, or relative position embeddings (`rpt`, fixed input size).

Deviations from the papers, matching timm's published weights: ResNet-26/33/50 "t"/"ts" trunks (tiered stems, SiLU in
the "ts" ones) with attention only in some blocks of stages 3-4 (interleaved with bottlenecks), and the mixed models
(lamhalobotnet, halo2botnet, haloregnetz_b) are timm's own experiments.
"""
from typing import Any, Dict, Optional

from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.byobnet import ByoBlockCfg, ByobNet, ByoModelCfg, _create_byobnet, interleave_blocks

__all__ = ['model_cfgs']


def _bottle(d: int, c: int, s: int = 2, gs: int = 0, br: float = 0.25) -> ByoBlockCfg:
    return ByoBlockCfg('bottle', d=d, c=c, s=s, gs=gs, br=br)


def _attn(d: int, c: int, s: int = 2, gs: int = 0, br: float = 0.25) -> ByoBlockCfg:
    return ByoBlockCfg('self_attn', d=d, c=c, s=s, gs=gs, br=br)


def _mixed(d: int, c: int, every: Any = 1, gs: int = 0, **kwargs: Any) -> tuple:
    """A stride-2 stage of bottlenecks with some blocks (see `interleave_blocks`) replaced by self-attention."""
    return interleave_blocks(('bottle', 'self_attn'), d=d, every=every, c=c, s=2, gs=gs, br=0.25, **kwargs)


def _resnet26t(gs: int = 0) -> tuple:
    """ResNet-26-T trunk: attention in the last block of stage 3 and both blocks of stage 4."""
    return (_bottle(2, 256, s=1, gs=gs), _bottle(2, 512, gs=gs), _mixed(2, 1024, gs=gs), _attn(2, 2048, gs=gs))


def _resnet33ts() -> tuple:
    """ResNet-33-TS trunk: attention in the last block of stages 2 and 3 and in all of stage 4."""
    return (_bottle(2, 256, s=1), _mixed(3, 512, every=[2]), _mixed(3, 1024, every=[2]), _attn(2, 1536, br=0.333))


def _resnet50ts(stage2: Optional[Dict[str, Any]] = None, stage3: Optional[Dict[str, Any]] = None,
                stage4: Optional[Dict[str, Any]] = None, every2: int = 1) -> tuple:
    """ResNet-50-TS trunk with attention in every other block of stages 3-4 and the last block of stage 2; the
    stage dicts override the model's self-attention for that stage."""
    return (_bottle(3, 256, s=1), _mixed(4, 512, every=every2, **(stage2 or {})), _mixed(6, 1024, **(stage3 or {})),
            _mixed(3, 2048, **(stage4 or {})))


_TIERED = dict(stem_chs=64, stem_type='tiered', stem_pool='maxpool')
_TIERED_SILU = dict(_TIERED, act_layer='silu')
_SE33 = dict(stem_chs=64, stem_type='tiered', stem_pool='', act_layer='silu', num_features=1280, attn_layer='se')
_BOT = dict(self_attn_layer='bottleneck', self_attn_kwargs=dict())
_LAMBDA9 = dict(self_attn_layer='lambda', self_attn_kwargs=dict(r=9))
_HALO_3 = dict(self_attn_layer='halo', self_attn_kwargs=dict(halo_size=3))

model_cfgs: Dict[str, ByoModelCfg] = dict(
    botnet26t=ByoModelCfg(blocks=_resnet26t(), fixed_input_size=True, **_TIERED, **_BOT),
    sebotnet33ts=ByoModelCfg(blocks=_resnet33ts(), **_SE33, **_BOT),
    botnet50ts=ByoModelCfg(blocks=_resnet50ts(every2=4), fixed_input_size=True, **_TIERED_SILU, **_BOT),
    eca_botnext26ts=ByoModelCfg(
        blocks=_resnet26t(gs=16), fixed_input_size=True, attn_layer='eca', self_attn_layer='bottleneck',
        self_attn_kwargs=dict(dim_head=16), **_TIERED_SILU),

    halonet_h1=ByoModelCfg(
        blocks=(_attn(3, 64, s=1, br=1.), _attn(3, 128, br=1.), _attn(10, 256, br=1.), _attn(3, 512, br=1.)),
        stem_chs=64, stem_type='7x7', stem_pool='maxpool', self_attn_layer='halo',
        self_attn_kwargs=dict(block_size=8, halo_size=3)),
    halonet26t=ByoModelCfg(blocks=_resnet26t(), self_attn_layer='halo',
                           self_attn_kwargs=dict(block_size=8, halo_size=2), **_TIERED),
    sehalonet33ts=ByoModelCfg(blocks=_resnet33ts(), self_attn_layer='halo',
                              self_attn_kwargs=dict(block_size=8, halo_size=3), **_SE33),
    halonet50ts=ByoModelCfg(
        blocks=_resnet50ts(every2=4, stage2=dict(self_attn_layer='halo', self_attn_kwargs=dict(
            block_size=8, halo_size=3, num_heads=4))),
        self_attn_layer='halo', self_attn_kwargs=dict(block_size=8, halo_size=3), **_TIERED_SILU),
    eca_halonext26ts=ByoModelCfg(
        blocks=_resnet26t(gs=16), attn_layer='eca', self_attn_layer='halo',
        self_attn_kwargs=dict(block_size=8, halo_size=2, dim_head=16), **_TIERED_SILU),

    lambda_resnet26t=ByoModelCfg(blocks=_resnet26t(), **_TIERED, **_LAMBDA9),
    lambda_resnet50ts=ByoModelCfg(blocks=_resnet50ts(every2=4), **_TIERED_SILU, **_LAMBDA9),
    lambda_resnet26rpt_256=ByoModelCfg(blocks=_resnet26t(), self_attn_layer='lambda',
                                       self_attn_kwargs=dict(r=None), **_TIERED),

    haloregnetz_b=ByoModelCfg(
        blocks=(
            ByoBlockCfg('bottle', d=2, c=48, s=2, gs=16, br=3),
            ByoBlockCfg('bottle', d=6, c=96, s=2, gs=16, br=3),
            interleave_blocks(('bottle', 'self_attn'), every=3, d=12, c=192, s=2, gs=16, br=3),
            ByoBlockCfg('self_attn', d=2, c=288, s=2, gs=16, br=3),
        ),
        stem_chs=32, stem_pool='', downsample='', num_features=1536, act_layer='silu', attn_layer='se',
        attn_kwargs=dict(rd_ratio=0.25), block_kwargs=dict(bottle_in=True, linear_out=True), self_attn_layer='halo',
        self_attn_kwargs=dict(block_size=7, halo_size=2, qk_ratio=0.33)),

    lamhalobotnet50ts=ByoModelCfg(
        blocks=_resnet50ts(
            stage2=dict(self_attn_layer='lambda', self_attn_kwargs=dict(r=13)), stage3=_HALO_3, stage4=_BOT),
        stem_chs=64, stem_type='tiered', stem_pool='', act_layer='silu'),
    halo2botnet50ts=ByoModelCfg(
        blocks=_resnet50ts(stage2=_HALO_3, stage3=_HALO_3, stage4=_BOT),
        stem_chs=64, stem_type='tiered', stem_pool='', act_layer='silu'),
)


def _cfg(**kwargs: Any) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 256, 256), pool_size=(8, 8), crop_pct=0.95,
               min_input_size=(3, 224, 224), first_conv='stem.conv1.conv', classifier='head.fc', license='apache-2.0')
    cfg.update(kwargs)
    return cfg


_FIXED = dict(fixed_input_size=True)
_MIN256 = dict(min_input_size=(3, 256, 256))

# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>; the first tag of an
# architecture is its default.
default_cfgs = generate_default_cfgs({
    'botnet26t_256.c1_in1k': _cfg(**_FIXED),
    'sebotnet33ts_256.a1h_in1k': _cfg(crop_pct=0.94, **_FIXED),
    'botnet50ts_256.untrained': _cfg(hf_hub_id=None, **_FIXED),
    'eca_botnext26ts_256.c1_in1k': _cfg(**_FIXED),

    'halonet_h1.untrained': _cfg(hf_hub_id=None, **_MIN256),
    'halonet26t.a1h_in1k': _cfg(**_MIN256),
    'sehalonet33ts.ra2_in1k': _cfg(crop_pct=0.94, **_MIN256),
    'halonet50ts.a1h_in1k': _cfg(crop_pct=0.94, **_MIN256),
    'eca_halonext26ts.c1_in1k': _cfg(crop_pct=0.94, **_MIN256),

    'lambda_resnet26t.c1_in1k': _cfg(crop_pct=0.94, min_input_size=(3, 128, 128)),
    'lambda_resnet50ts.a1h_in1k': _cfg(min_input_size=(3, 128, 128)),
    'lambda_resnet26rpt_256.c1_in1k': _cfg(crop_pct=0.94, **_FIXED),

    'haloregnetz_b.ra3_in1k': _cfg(first_conv='stem.conv', input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.94,
                                   mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),

    'lamhalobotnet50ts_256.a1h_in1k': _cfg(**_FIXED),
    'halo2botnet50ts_256.a1h_in1k': _cfg(**_FIXED),
})


def _byoanet(variant: str, pretrained: bool, kwargs: Dict[str, Any], cfg_variant: Optional[str] = None,
             img_size: Optional[int] = None) -> ByobNet:
    if img_size is not None:
        kwargs.setdefault('img_size', img_size)
    return _create_byobnet(variant, pretrained, model_cfg=model_cfgs[cfg_variant or variant], **kwargs)


@register_model
def botnet26t_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """Bottleneck Transformer on a ResNet-26-T trunk, for 256 px inputs."""
    return _byoanet('botnet26t_256', pretrained, kwargs, 'botnet26t', img_size=256)


@register_model
def sebotnet33ts_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """Bottleneck Transformer on a ResNet-33-TS trunk with SE in the bottlenecks, for 256 px inputs."""
    return _byoanet('sebotnet33ts_256', pretrained, kwargs, 'sebotnet33ts')


@register_model
def botnet50ts_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """Bottleneck Transformer on a ResNet-50-TS trunk, for 256 px inputs."""
    return _byoanet('botnet50ts_256', pretrained, kwargs, 'botnet50ts', img_size=256)


@register_model
def eca_botnext26ts_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """Bottleneck Transformer on a ResNeXt-26-TS trunk with ECA, for 256 px inputs."""
    return _byoanet('eca_botnext26ts_256', pretrained, kwargs, 'eca_botnext26ts', img_size=256)


@register_model
def halonet_h1(pretrained: bool = False, **kwargs) -> ByobNet:
    """HaloNet-H1: halo attention in every block, as in the paper (slow)."""
    return _byoanet('halonet_h1', pretrained, kwargs)


@register_model
def halonet26t(pretrained: bool = False, **kwargs) -> ByobNet:
    """HaloNet on a ResNet-26-T trunk (halo attention in stages 3-4)."""
    return _byoanet('halonet26t', pretrained, kwargs)


@register_model
def sehalonet33ts(pretrained: bool = False, **kwargs) -> ByobNet:
    """HaloNet on a ResNet-33-TS trunk with SE in the bottlenecks."""
    return _byoanet('sehalonet33ts', pretrained, kwargs)


@register_model
def halonet50ts(pretrained: bool = False, **kwargs) -> ByobNet:
    """HaloNet on a ResNet-50-TS trunk."""
    return _byoanet('halonet50ts', pretrained, kwargs)


@register_model
def eca_halonext26ts(pretrained: bool = False, **kwargs) -> ByobNet:
    """HaloNet on a ResNeXt-26-TS trunk with ECA."""
    return _byoanet('eca_halonext26ts', pretrained, kwargs)


@register_model
def lambda_resnet26t(pretrained: bool = False, **kwargs) -> ByobNet:
    """LambdaResNet-26-T with local lambda convolutions (r=9) in stages 3-4."""
    return _byoanet('lambda_resnet26t', pretrained, kwargs)


@register_model
def lambda_resnet50ts(pretrained: bool = False, **kwargs) -> ByobNet:
    """LambdaResNet-50-TS with local lambda convolutions (r=9)."""
    return _byoanet('lambda_resnet50ts', pretrained, kwargs)


@register_model
def lambda_resnet26rpt_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """LambdaResNet-26-T with relative position embeddings instead of lambda convolutions, for 256 px inputs."""
    return _byoanet('lambda_resnet26rpt_256', pretrained, kwargs, img_size=256)


@register_model
def haloregnetz_b(pretrained: bool = False, **kwargs) -> ByobNet:
    """RegNetZ-B16 with halo attention (block 7) in stages 3-4."""
    return _byoanet('haloregnetz_b', pretrained, kwargs)


@register_model
def lamhalobotnet50ts_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """ResNet-50-TS with lambda (stage 2), halo (stage 3) and bottleneck (stage 4) attention, for 256 px inputs."""
    return _byoanet('lamhalobotnet50ts_256', pretrained, kwargs, 'lamhalobotnet50ts')


@register_model
def halo2botnet50ts_256(pretrained: bool = False, **kwargs) -> ByobNet:
    """ResNet-50-TS with halo (stages 2-3) and bottleneck (stage 4) attention, for 256 px inputs."""
    return _byoanet('halo2botnet50ts_256', pretrained, kwargs, 'halo2botnet50ts')
