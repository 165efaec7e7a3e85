"""ByobNet family (RepVGG, MobileOne, GENet, RegNetZ, ResNet-ts/q, CLIP ResNets): parity with timm, the model API.

Default run: output parity for a sample that covers every block type, stem type, attention layer, norm, head and
config switch (large models at a reduced `width_factor`, which both libraries apply the same way), the new layers
against timm's, feature levels / intermediates / output_stride against timm, and weight conversion. `-m slow`: every
registered name at full width. Layout (keys / shapes / parameter count) of every name is in test_layout_all.py.
"""
import re

import pytest
import torch
import torch.nn as nn

from _parity import assert_feature_info_parity, assert_outputs_close, fill_random_, timm

import zoo  # noqa: E402
from zoo.models.byobnet import (  # noqa: E402
    ByoBlockCfg, ByobNet, ByoModelCfg, checkpoint_filter_fn, model_cfgs, register_block,
)

MODULE = 'byobnet'
NAMES = zoo.list_models(module=MODULE)


def build_pair(name: str, **kwargs):
    """timm's and zoo's `name` built on the meta device, timm's filled with random values and loaded strictly into
    zoo's; both in eval mode. timm's computed non-persistent buffers are re-initialised after materialising."""
    with torch.device('meta'):
        ref = timm.create_model(name, **kwargs)
        ours = zoo.create_model(name, **kwargs)
    ref = ref.to_empty(device='cpu')
    for m in ref.modules():
        if hasattr(m, 'init_non_persistent_buffers'):
            m.init_non_persistent_buffers()
    fill_random_(ref)
    ours = ours.to_empty(device='cpu')
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref.eval(), ours.eval()


def assert_pair_parity(name: str, size: int, **kwargs) -> None:
    ref, ours = build_pair(name, **kwargs)
    x = torch.randn(1, kwargs.get('in_chans', 3), size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_registry_covers_timm_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 53


# (name, input size, kwargs): every block type ('basic', 'bottle', 'dark', 'edge', 'rep', 'one'), stem ('3x3' conv,
# tiered + maxpool / no pool, quad, quad2, tuple widths + avg2, rep, one), attention (se, eca, gca, bat, block-level
# se), norm (batchnorm, evonorm), head (classifier, mlp, attention pool), downsample ('conv1x1', 'avg', ''), groups
# (fixed, per-stage, every-other callable, depthwise), extra_conv, bottle_in / linear_out, anti-aliasing, width factor
SAMPLE = [
    ('test_byobnet', 64, {}),
    ('repvgg_a0', 64, {}),
    ('repvgg_b1g4', 64, dict(width_factor=0.25)),
    ('repvgg_d2se', 64, dict(width_factor=0.25)),
    ('mobileone_s0', 64, {}),
    ('mobileone_s4', 64, dict(width_factor=0.5)),
    ('gernet_s', 64, {}),
    ('resnet51q', 64, dict(width_factor=0.5)),
    ('resnet61q', 64, dict(width_factor=0.5)),
    ('regnetz_b16_evos', 64, {}),
    ('resnet50_clip', 64, dict(img_size=64, width_factor=0.25)),
    ('resnet50_mlp', 64, dict(width_factor=0.25)),
    ('gcresnet33ts', 64, dict(width_factor=0.25)),
    ('eca_resnext26ts', 64, dict(width_factor=0.5)),
    ('bat_resnext26ts', 256, dict(width_factor=0.5)),
]


@pytest.mark.parametrize('name,size,kwargs', SAMPLE, ids=[s[0] for s in SAMPLE])
def test_parity_sample(name, size, kwargs):
    assert_pair_parity(name, size, **kwargs)


def _native_size(name: str) -> int:
    # the 50x16 / 50x64 CLIP towers are checked at 224 px (they are built for that size via img_size)
    size = timm.get_pretrained_cfg(name).input_size[-1]
    return min(size, 224) if 'clip' in name else size


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    size = _native_size(name)
    kwargs = dict(img_size=size) if timm.get_pretrained_cfg(name).fixed_input_size else {}
    assert_pair_parity(name, size, **kwargs)


@pytest.mark.parametrize('name', ['test_byobnet', 'gernet_s', 'resnet51q', 'regnetz_d8', 'resnet50_clip'])
def test_feature_info_parity(name):
    """Feature levels (stem tap, resolution changes, final conv) give timm's channels and reductions."""
    assert_feature_info_parity(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_feature_info_parity_every_name(name):
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name,kwargs', [
    ('test_byobnet', {}),
    ('gernet_s', {}),  # a stride-1 last stage joins the level before it
    ('resnet51q', dict(width_factor=0.5)),  # 4-conv stem tapped at conv3
    ('resnet50_clip', dict(img_size=64, width_factor=0.25)),  # stem tapped before its pool
], ids=['test_byobnet', 'gernet_s', 'resnet51q', 'resnet50_clip'])
def test_intermediates_match_timm(name, kwargs):
    ref, ours = build_pair(name, **kwargs)
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        final_ref, inter_ref = ref.forward_intermediates(x)
        final, inter = ours.forward_intermediates(x)
    assert len(inter) == len(inter_ref) == len(ours.feature_info)
    for a, b in zip(inter, inter_ref):
        assert_outputs_close(a, b, name=name)
    assert_outputs_close(final, final_ref, name=name)


@pytest.mark.parametrize('output_stride', [8, 16])
@pytest.mark.parametrize('name,kwargs', [
    ('test_byobnet', {}),
    ('resnet50_clip_gap', dict(width_factor=0.25)),  # avg-pool shortcuts inside dilated stages
    ('repvgg_a0', {}),
], ids=['test_byobnet', 'resnet50_clip_gap', 'repvgg_a0'])
def test_parity_output_stride(name, kwargs, output_stride):
    assert_pair_parity(name, 64, output_stride=output_stride, **kwargs)
    model = zoo.create_model(name, output_stride=output_stride, num_classes=0, global_pool='', **kwargs).eval()
    with torch.inference_mode():
        out = model(torch.randn(1, 3, 64, 64))
    assert out.shape[-1] == 64 // output_stride
    assert model.feature_info[-1]['reduction'] == output_stride


def test_mobileone_dilates_in_dilated_stages():
    """Deliberate difference from timm: MobileOne convs in a dilated stage are dilated (timm leaves them at 1)."""
    model = zoo.create_model('mobileone_s0', output_stride=8).eval()
    # stage 3 runs at stride 8 with dilation 2; its block 2 is the second depthwise 3x3
    assert all(c.conv.dilation == (2, 2) for c in model.stages[2][2].conv_kxk)
    with torch.inference_mode():
        assert model.forward_features(torch.randn(1, 3, 64, 64)).shape[-1] == 8


def test_options_match_timm():
    """Config fields passed as kwargs override the architecture the same way in both; heads and pooling options."""
    assert_pair_parity('test_byobnet', 64, act_layer='silu', num_classes=7, global_pool='max')
    assert_pair_parity('test_byobnet', 64, stem_type='7x7', stem_pool='maxpool')
    assert_pair_parity('test_byobnet', 64, stem_type='deep', stem_pool='avgpool', stem_chs=16)
    assert_pair_parity('gernet_s', 64, in_chans=1, num_classes=0)
    assert_pair_parity('resnet50_clip', 64, img_size=64, width_factor=0.25, num_classes=0)
    assert_pair_parity('resnet50_clip', 64, img_size=64, width_factor=0.25, global_pool='', num_classes=0)


def test_group_matcher_matches_timm():
    ref, ours = build_pair('test_byobnet')
    for coarse in (False, True):
        assert ours.group_matcher(coarse) == ref.group_matcher(coarse)


def test_heads_reset_and_pre_logits():
    ref, ours = build_pair('resnet50_clip', img_size=64, width_factor=0.25)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert_outputs_close(ours.forward_head(feats, pre_logits=True), ref.forward_head(ref.forward_features(x),
                                                                                          pre_logits=True))
    assert ours.get_classifier() is ours.head.proj
    ours.reset_classifier(10)
    assert ours(x).shape == (2, 10) and ours.get_classifier().out_features == 10
    ours.reset_classifier(0, global_pool='')
    out = ours(x)
    assert out.shape == (2, ours.head_hidden_size, 2, 2)
    with pytest.raises(ValueError, match='token'):
        ours.reset_classifier(0, global_pool='avg')

    mlp = zoo.create_model('resnet50_mlp', width_factor=0.25).eval()
    assert mlp.head_hidden_size == 1024 and mlp(x).shape == (2, 1000)
    mlp.reset_classifier(5)
    assert mlp(x).shape == (2, 5)


def test_grad_checkpointing_same_outputs_and_grads():
    model = zoo.create_model('test_byobnet')
    fill_random_(model)
    x = torch.randn(2, 3, 64, 64)
    out = model(x)
    out.sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    model.set_grad_checkpointing(True)
    out_ckpt = model(x)
    out_ckpt.sum().backward()
    torch.testing.assert_close(out_ckpt, out)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, grads[n], msg=n)


def test_regularisers_train_only():
    model = zoo.create_model('resnet61q', width_factor=0.5, drop_path_rate=0.2, drop_block_rate=0.2, drop_rate=0.2)
    fill_random_(model)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        model.train()
        torch.manual_seed(1)
        train_a = model(x)
        torch.manual_seed(2)
        train_b = model(x)
        model.eval()
        eval_a, eval_b = model(x), model(x)
    assert not torch.allclose(train_a, train_b)
    torch.testing.assert_close(eval_a, eval_b)
    drop_blocks = [m for m in model.modules() if isinstance(m, zoo.layers.DropBlock2d)]
    assert drop_blocks and {m.block_size for m in drop_blocks} == {3, 5}  # last stage 3, the one before 2 * 3 - 1


_CONV_INDEX = {'conv1_1x1': 1, 'conv2_kxk': 2, 'conv3_1x1': 3}
_TO_OPENAI = [  # ByobNet key pattern -> OpenAI CLIP `ModifiedResNet` key (the inverse of the layout conversion)
    (r'stem\.conv(\d)\.(conv|bn)\.(.*)', lambda m: f'visual.{m[2]}{m[1]}.{m[3]}'),
    (r'stages\.(\d)\.(\d+)\.(conv\d\w+)\.(conv|bn)\.(.*)',
     lambda m: f'visual.layer{int(m[1]) + 1}.{m[2]}.{m[4]}{_CONV_INDEX[m[3]]}.{m[5]}'),
    (r'stages\.(\d)\.(\d+)\.shortcut\.conv\.(conv|bn)\.(.*)',
     lambda m: f'visual.layer{int(m[1]) + 1}.{m[2]}.downsample.{0 if m[3] == "conv" else 1}.{m[4]}'),
    (r'head\.(q|k|v|proj)\.(.*)', lambda m: f'visual.attnpool.{"c" if m[1] == "proj" else m[1]}_proj.{m[2]}'),
    (r'head\.pos_embed', lambda m: 'visual.attnpool.positional_embedding'),
]


def _to_openai_clip(state_dict):
    out = {}
    for key, value in state_dict.items():
        if key.endswith('num_batches_tracked'):
            continue
        matches = [(re.fullmatch(pattern, key), fmt) for pattern, fmt in _TO_OPENAI]
        m, fmt = next((m, fmt) for m, fmt in matches if m)
        out[fmt(m)] = value
    out['transformer.resblocks.0.attn.in_proj_weight'] = torch.zeros(3, 3)  # text tower keys are dropped
    return out


@pytest.mark.parametrize('name', ['resnet50_clip', 'resnet50_clip_gap'])
def test_openai_clip_checkpoint_conversion(name):
    """An OpenAI CLIP checkpoint converts to the same state_dict as timm's converter produces, and loads strictly."""
    from timm.models.byobnet import checkpoint_filter_fn as timm_filter
    ref, ours = build_pair(name, width_factor=0.25, img_size=64)
    openai = _to_openai_clip(zoo.create_model('resnet50_clip', width_factor=0.25, img_size=64).state_dict())
    converted = checkpoint_filter_fn(openai, ours)
    expected = timm_filter(dict(openai), ref)
    assert converted.keys() == expected.keys()
    for key in expected:
        assert torch.equal(converted[key], expected[key]), key
    missing, unexpected = ours.load_state_dict(converted, strict=False)
    assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing)


def test_attention_pool_position_embedding_resampled_on_load():
    """Weights of a 64 px CLIP tower load into a 96 px one: the filter resamples the position embedding exactly as
    the head resamples it at run time."""
    small = zoo.create_model('resnet50_clip', width_factor=0.25, img_size=64).eval()
    fill_random_(small)
    large = zoo.create_model('resnet50_clip', width_factor=0.25, img_size=96).eval()
    large.load_state_dict(checkpoint_filter_fn(small.state_dict(), large), strict=True)
    assert large.head.pos_embed.shape[0] == 3 * 3 + 1
    x = torch.randn(1, 3, 96, 96)
    with torch.inference_mode():
        assert_outputs_close(large(x), small(x))


def test_bad_configs_give_clear_errors():
    with pytest.raises(TypeError, match='unexpected arguments'):
        zoo.create_model('test_byobnet', act_layr='silu')
    with pytest.raises(ValueError, match='Unknown block type'):
        ByobNet(ByoModelCfg(blocks=(ByoBlockCfg('nope', d=1, c=8),)))
    with pytest.raises(ValueError, match='stem_type'):
        ByobNet(ByoModelCfg(blocks=(ByoBlockCfg('basic', d=1, c=8),), stem_type='5x5'))
    with pytest.raises(ValueError, match='img_size'):
        ByobNet(model_cfgs['resnet50_clip'])
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('test_byobnet', output_stride=4)
    with pytest.raises(ValueError, match='groups of'):
        ByobNet(ByoModelCfg(blocks=(ByoBlockCfg('bottle', d=1, c=64, gs=24),)))
    model = zoo.create_model('bat_resnext26ts', width_factor=0.5).eval()
    with pytest.raises(ValueError, match='multiples of block_size=8'):
        model(torch.randn(1, 3, 96, 96))


class _PlainBlock(nn.Module):
    """A minimal custom block: declares only the standard arguments it uses."""

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, scale: float = 1.):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, 3, stride=stride, padding=1)
        self.scale = scale

    def forward(self, x):
        return self.conv(x) * self.scale


def test_register_block():
    register_block('test_plain', _PlainBlock)
    register_block('test_plain', _PlainBlock)  # the same class again is fine
    with pytest.raises(ValueError, match='already registered'):
        register_block('test_plain', nn.Identity)
    cfg = ByoModelCfg(blocks=(ByoBlockCfg('test_plain', d=2, c=16, block_kwargs=dict(scale=0.5)),), stem_pool='')
    model = ByobNet(cfg, num_classes=3)
    assert [b.scale for b in model.stages[0]] == [0.5, 0.5]
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 3)
    assert model.feature_info[-1]['reduction'] == 4


def test_new_layers_match_timm():
    """The channel-attention and norm layers new with this family, against timm's, on odd map sizes."""
    from timm.layers.evo_norm import EvoNorm2dS0a as TimmEvoNorm
    from timm.layers.global_context import GlobalContext as TimmGC
    from timm.layers.non_local_attn import BatNonLocalAttn as TimmBat

    from zoo.layers.evo_norm import EvoNorm2dS0a
    from zoo.layers.global_context import GlobalContext
    from zoo.layers.non_local_attn import BatNonLocalAttn
    x = torch.randn(2, 32, 16, 24)
    pairs = [
        (TimmBat(32, block_size=8), BatNonLocalAttn(32, block_size=8)),
        (TimmGC(32), GlobalContext(32)),
        (TimmGC(32, fuse_add=True, fuse_scale=False), GlobalContext(32, fuse_add=True, fuse_scale=False)),
        (TimmGC(32, use_attn=False, fuse_add=True), GlobalContext(32, use_attn=False, fuse_add=True)),
        (TimmEvoNorm(32, group_size=8), EvoNorm2dS0a(32, group_size=8)),
        (TimmEvoNorm(32, groups=4, apply_act=False), EvoNorm2dS0a(32, groups=4, apply_act=False)),
    ]
    for ref, ours in pairs:
        fill_random_(ref.eval())
        ours.eval().load_state_dict(ref.state_dict(), strict=True)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x), name=type(ours).__name__)


def test_anti_aliased_conv_norm_act_matches_timm():
    from timm.layers import ConvNormAct as TimmConvNormAct
    ref = TimmConvNormAct(8, 16, 3, stride=2, aa_layer='avg').eval()
    ours = zoo.layers.ConvNormAct(8, 16, 3, stride=2, aa_layer='avg').eval()
    fill_random_(ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(1, 8, 15, 15)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    assert ours.conv.stride == (1, 1) and isinstance(ours.aa, nn.AvgPool2d)
