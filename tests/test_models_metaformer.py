"""MetaFormer family (PoolFormer v1/v2, ConvFormer, CAFormer): parity with timm, the reference oracle.

Default run: output parity at 64x64 for one model of each block kind (PoolFormer v1: GroupNorm + GELU + layer scale;
PoolFormer v2: bias-free GroupNorm + StarReLU; CAFormer: separable-conv and attention stages, residual scale, MLP
head), the head options, intermediates, and the official-checkpoint filter. `-m slow`: every other name.
"""
import re

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, build_pair_meta, fill_random_

import timm  # noqa: E402  (present: _parity skips the module without it)
import zoo  # noqa: E402

from zoo.models.metaformer import checkpoint_filter_fn

MODULE = 'metaformer'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['poolformer_s12', 'poolformerv2_s12', 'caformer_s18']


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 18


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    # built on the meta device (no random init to pay for); MetaFormers have no computed buffers
    ref, ours = build_pair_meta(name)
    with torch.inference_mode():
        assert_outputs_close(ours(image()), ref(image()), name=name)


def _small_pair(**kwargs):
    """timm's and zoo's MetaFormer class with a small CAFormer configuration (timm's factories fix the sizes)."""
    from timm.models import metaformer as tm
    timm_args = dict(token_mixers=[tm.SepConv, tm.SepConv, tm.Attention, tm.Attention],
                     norm_layers=[tm.LayerNorm2dNoBias] * 2 + [tm.LayerNormNoBias] * 2)
    zoo_args = dict(token_mixers=('sepconv', 'sepconv', 'attention', 'attention'),
                    norm_layers=('layernorm2d_nobias',) * 2 + ('layernorm_nobias',) * 2)
    size = dict(depths=(1, 1, 2, 1), dims=(16, 32, 64, 96))
    ref = fill_random_(tm.MetaFormer(**size, **timm_args, **kwargs)).eval()
    ours = zoo.models.metaformer.MetaFormer(**size, **zoo_args, **kwargs).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


@pytest.fixture(scope='module')
def caformer_pair():
    return _small_pair()


@pytest.mark.parametrize('kwargs', [dict(num_classes=0, global_pool=''), dict(num_classes=7, global_pool='max'),
                                    dict(use_mlp_head=False)])
def test_parity_head_options(kwargs):
    ref, ours = _small_pair(**kwargs)
    x = image(size=32)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_head_api(caformer_pair):
    ref, ours = caformer_pair
    assert_head_api_matches(ours, ref, image())
    assert ours.get_classifier() is ours.head.fc
    assert_reset_and_prune_match('caformer_s18')
    assert_reset_and_prune_match('poolformer_s12', num_classes=3, prune_to=1)


@pytest.mark.parametrize('indices', [None, 2, [0, 3]])
def test_forward_intermediates_parity(caformer_pair, indices):
    """Token (attention) stages come back as NCHW maps, like the convolutional ones."""
    ref, ours = caformer_pair
    assert_intermediates_match(ours, ref, image(), indices)


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('caformer_s18', depths=(1, 1, 1, 1), dims=(16, 32, 64, 64), num_classes=4)
    assert_checkpointing_keeps_gradients(model, image(size=32))
    assert all(s.grad_checkpointing for s in model.stages)


def _to_official_v1(state_dict):
    """timm layout -> sail-sg/poolformer layout (`network.N`, `patch_embed`, `layer_scale_1`)."""
    out = {}
    for k, v in state_dict.items():
        k = k.replace('stem.conv.', 'patch_embed.proj.')
        k = re.sub(r'^stages\.(\d+)\.downsample\.conv\.', lambda m: f'network.{2 * int(m.group(1)) - 1}.proj.', k)
        k = re.sub(r'^stages\.(\d+)\.blocks\.', lambda m: f'network.{2 * int(m.group(1))}.', k)
        k = re.sub(r'layer_scale(\d)\.scale', r'layer_scale_\1', k)
        k = k.replace('head.norm.', 'norm.').replace('head.fc.', 'head.')
        out[k] = v
    return out


def _to_official_baselines(state_dict):
    """timm layout -> sail-sg/metaformer layout (`downsample_layers.N` with pre/post norms, `stages.N.M`)."""
    out = {}
    for k, v in state_dict.items():
        k = k.replace('stem.conv.', 'downsample_layers.0.proj.').replace('stem.norm.', 'downsample_layers.0.post_norm.')
        k = re.sub(r'^stages\.(\d+)\.downsample\.conv\.', r'downsample_layers.\1.proj.', k)
        k = re.sub(r'^stages\.(\d+)\.downsample\.norm\.', r'downsample_layers.\1.pre_norm.', k)
        k = re.sub(r'^stages\.(\d+)\.blocks\.', r'stages.\1.', k)
        k = k.replace('head.norm.', 'norm.').replace('head.fc.', 'head.')
        if k.endswith('res_scale1.scale'):
            v = v.reshape(-1, 1, 1)  # stored with singleton dims: the filter reshapes by element count
        out[k] = v
    return out


@pytest.mark.parametrize('name, to_official', [('poolformer_s12', _to_official_v1),
                                               ('caformer_s18', _to_official_baselines)])
def test_official_checkpoint_filter_matches_timm(name, to_official):
    from timm.models.metaformer import checkpoint_filter_fn as timm_filter
    assert_filter_matches_timm(name, checkpoint_filter_fn, timm_filter, to_official)


def test_star_relu_and_pooling_mixer():
    """StarReLU = s * relu(x)^2 + b; the pooling mixer averages real neighbours only, minus the centre."""
    from zoo.models.metaformer import Pooling, StarReLU
    act = fill_random_(StarReLU())
    x = torch.randn(3, 4)
    torch.testing.assert_close(act(x), act.scale * torch.clamp(x, min=0) ** 2 + act.bias)
    x = torch.arange(9.).reshape(1, 1, 3, 3)
    out = Pooling(1)(x)
    assert out[0, 0, 0, 0].item() == pytest.approx((0 + 1 + 3 + 4) / 4 - 0)
    assert out[0, 0, 1, 1].item() == pytest.approx(0.)  # the centre is the mean of the full 3x3 window


def test_invalid_args():
    with pytest.raises(ValueError, match='token mixer'):
        zoo.create_model('caformer_s18', token_mixers='bogus')
    with pytest.raises(ValueError, match='one entry per stage'):
        zoo.create_model('caformer_s18', norm_layers=('layernorm',) * 3)
    with pytest.raises(ValueError, match='num_classes=0'):
        zoo.create_model('poolformer_s12', global_pool='')
