"""ByoaNet family (BoTNet, HaloNet, LambdaResNet variants): parity with timm, the attention layers, size handling.

Default run: the bottleneck / halo / lambda layers against timm's in every mode (strided queries, pooled stride,
relative-position lambdas, scaled position logits), output parity for a sample of models that covers each attention
type, per-stage attention overrides and the 7x7 stem (at a reduced `width_factor`), and clear errors for input sizes
the layers cannot take. `-m slow`: every registered name at its native size and full width.
"""
import pytest
import torch

from _parity import assert_outputs_close, fill_random_, timm
from test_models_byobnet import assert_pair_parity, build_pair

import zoo  # noqa: E402
from zoo.layers.bottleneck_attn import BottleneckAttn  # noqa: E402
from zoo.layers.halo_attn import HaloAttn  # noqa: E402
from zoo.layers.lambda_layer import LambdaLayer  # noqa: E402

MODULE = 'byoanet'
NAMES = zoo.list_models(module=MODULE)


def test_registry_covers_timm_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 15


def _layer_parity(ref: torch.nn.Module, ours: torch.nn.Module, x: torch.Tensor) -> None:
    fill_random_(ref.eval())
    ours.eval().load_state_dict(ref.state_dict(), strict=True)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=type(ours).__name__)


@pytest.mark.parametrize('kwargs', [
    dict(), dict(stride=2), dict(dim_head=16, scale_pos_embed=True), dict(dim_out=128, qk_ratio=0.5, num_heads=8),
], ids=['default', 'stride2', 'dim_head_scaled', 'dim_out'])
def test_bottleneck_attn_matches_timm(kwargs):
    from timm.layers.bottleneck_attn import BottleneckAttn as TimmBottleneckAttn
    _layer_parity(TimmBottleneckAttn(64, feat_size=(6, 10), **kwargs), BottleneckAttn(64, feat_size=(6, 10), **kwargs),
                  torch.randn(2, 64, 6, 10))


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(stride=2),  # strided queries inside each block
    dict(block_size=8, halo_size=2, dim_head=16),
    dict(block_size=7, halo_size=2, stride=2, qk_ratio=0.33, num_heads=4),  # block not divisible by stride: pooled
    dict(stride=2, avg_down=True),
    dict(scale_pos_embed=True, num_heads=4),
], ids=['default', 'stride2', 'dim_head', 'block7_pooled', 'avg_down', 'scaled'])
def test_halo_attn_matches_timm(kwargs):
    from timm.layers.halo_attn import HaloAttn as TimmHaloAttn
    block = kwargs.get('block_size', 8)
    _layer_parity(TimmHaloAttn(64, **kwargs), HaloAttn(64, **kwargs), torch.randn(2, 64, 2 * block, 3 * block))


@pytest.mark.parametrize('kwargs', [
    dict(), dict(stride=2), dict(r=None, feat_size=(6, 10)), dict(r=5, dim_head=None, qk_ratio=0.5),
], ids=['conv', 'stride2', 'rel_pos', 'qk_ratio'])
def test_lambda_layer_matches_timm(kwargs):
    from timm.layers.lambda_layer import LambdaLayer as TimmLambdaLayer
    _layer_parity(TimmLambdaLayer(64, **kwargs), LambdaLayer(64, **kwargs), torch.randn(2, 64, 6, 10))


def test_attention_pool2d_matches_timm():
    from timm.layers.attention_pool2d import AttentionPool2d as TimmAttentionPool2d

    from zoo.layers.attention_pool2d import AttentionPool2d
    x = torch.randn(2, 128, 3, 5)
    for kwargs in (dict(out_features=10), dict(out_features=10, pool_type=''), dict(out_features=0)):
        # a grid other than the learned one exercises the bicubic resampling of the position embedding
        ref = TimmAttentionPool2d(128, feat_size=(4, 4), qkv_separate=True, **kwargs)
        _layer_parity(ref, AttentionPool2d(128, feat_size=(4, 4), **kwargs), x)


# every self-attention type and its stride handling, per-stage attention overrides (lamhalobotnet), ECA with
# attention blocks
SAMPLE = [
    ('botnet26t_256', 64, dict(img_size=64, width_factor=0.25)),
    ('eca_halonext26ts', 256, dict(width_factor=0.25)),
    ('lambda_resnet26t', 64, dict(width_factor=0.25)),
    ('lambda_resnet26rpt_256', 64, dict(img_size=64, width_factor=0.25)),
    ('lamhalobotnet50ts_256', 256, dict(img_size=256, width_factor=0.25)),
]


@pytest.mark.parametrize('name,size,kwargs', SAMPLE, ids=[s[0] for s in SAMPLE])
def test_parity_sample(name, size, kwargs):
    assert_pair_parity(name, size, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    cfg = timm.get_pretrained_cfg(name)
    size = cfg.input_size[-1]
    assert_pair_parity(name, size, **(dict(img_size=size) if cfg.fixed_input_size else {}))


def test_intermediates_match_timm():
    ref, ours = build_pair('halonet26t', width_factor=0.25)
    x = torch.randn(1, 3, 256, 256)
    with torch.inference_mode():
        _, inter_ref = ref.forward_intermediates(x)
        _, inter = ours.forward_intermediates(x)
    assert len(inter) == len(inter_ref) == 5
    for a, b in zip(inter, inter_ref):
        assert_outputs_close(a, b)


def test_fixed_size_models_use_their_img_size():
    """The `_256` BoTNets default to 256 px; another size rebuilds the position tables, and a wrong input is refused
    with a message that names the fix."""
    model = zoo.create_model('botnet26t_256', width_factor=0.25).eval()
    assert model.stages[3][0].self_attn.feat_size == (16, 16)  # stage-4 input of a 256 px image
    with pytest.raises(ValueError, match='img_size'):
        model(torch.randn(1, 3, 224, 224))
    model = zoo.create_model('botnet26t_256', width_factor=0.25, img_size=128).eval()
    with torch.inference_mode():
        assert model(torch.randn(1, 3, 128, 128)).shape == (1, 1000)


def test_halo_input_size_errors():
    with pytest.raises(ValueError, match='block_size=8'):
        HaloAttn(64, feat_size=(12, 12))
    model = zoo.create_model('halonet26t', width_factor=0.25).eval()
    with pytest.raises(ValueError, match='multiples of block_size=8'):
        model(torch.randn(1, 3, 224, 224))
    with pytest.raises(ValueError, match='feat_size'):
        BottleneckAttn(64)
    with pytest.raises(ValueError, match='feat_size'):
        LambdaLayer(64, r=None)
