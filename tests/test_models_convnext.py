"""ConvNeXt family (V1, V2 and the test models): parity with timm (the reference oracle), plus the model API.

Default run: layout parity (meta device) for every name; output parity at 64x64 for every V1 name but the largest,
at full size for one model of each MLP kind (1x1-conv MLP: atto; linear MLP: tiny); for V2 / test models a sample
covering GRN on NCHW (atto) and NHWC (a shallow tiny), tanh-GELU + eps 1e-5 and per-stage kernels. `-m slow` adds
every other name at 64 px (xxlarge and V2-huge included).
"""
import re

import pytest
import torch
import torch.nn as nn

from _parity import assert_feature_info_parity, assert_layout_parity_meta, assert_parity, fill_random_

import timm  # noqa: E402  (present: _parity skips the module without it)
import zoo  # noqa: E402

from zoo.models.convnext import checkpoint_filter_fn

MODULE = 'convnext'
NAMES = zoo.list_models(module=MODULE)
LARGE = {'convnext_base', 'convnext_large', 'convnext_large_mlp', 'convnext_xlarge', 'convnext_xxlarge'}
SMALL_SIZE = (64, 64)


V1 = [n for n in NAMES if n.startswith('convnext_')]
NEW = [n for n in NAMES if not n.startswith('convnext_')]  # ConvNeXt V2 and the test models
NEW_DEFAULT = ['convnextv2_atto', 'test_convnext', 'test_convnext3']


def test_registry_covers_timm_names():
    """Every timm ConvNeXt architecture (V1, V2, test models) is registered, and every registered name is timm's."""
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(V1) == 19 and len(NEW) == 12


# tests/test_layout_all.py checks the layout of every name; here the V1 names and the default V2 / test sample
@pytest.mark.parametrize('name', V1 + NEW_DEFAULT)
def test_layout_parity(name):
    assert_layout_parity_meta(name)


@pytest.mark.parametrize('name', V1 + NEW_DEFAULT)
def test_feature_info_parity(name):
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name', [n for n in V1 if n not in LARGE])
def test_parity_reduced_size(name):
    assert_parity(name, img_size=SMALL_SIZE, batch_size=1)


@pytest.mark.parametrize('name', [n if n in NEW_DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NEW])
def test_parity_v2_and_test_models(name):
    assert_parity(name, img_size=SMALL_SIZE, batch_size=1)


def test_parity_v2_channels_last_grn():
    """Linear-MLP V2 models run GRN on NHWC tensors (atto runs it on NCHW); a shallow tiny keeps this cheap."""
    assert_parity('convnextv2_tiny', img_size=SMALL_SIZE, batch_size=2, depths=(1, 1, 1, 1))


@pytest.mark.parametrize('channels_last', [True, False])
def test_global_response_norm_formula(channels_last):
    """GRN(x) = x + gamma * x * N(x) + beta, N = per-channel spatial L2 norm / its channel mean (V2 paper, eq. 1-3)."""
    from zoo.layers.grn import GlobalResponseNorm
    grn = GlobalResponseNorm(6, channels_last=channels_last)
    fill_random_(grn)
    x = torch.randn(2, 6, 5, 4, dtype=torch.float64)
    g = x.pow(2).sum(dim=(2, 3), keepdim=True).sqrt()
    n = g / (g.mean(dim=1, keepdim=True) + grn.eps)
    want = x + grn.weight.double().view(1, -1, 1, 1) * x * n + grn.bias.double().view(1, -1, 1, 1)
    grn = grn.double()
    got = grn(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) if channels_last else grn(x)
    torch.testing.assert_close(got, want)
    # zero-initialised parameters: a fresh GRN is the identity
    assert torch.equal(GlobalResponseNorm(6, channels_last=channels_last).double()(x if not channels_last else
                       x.permute(0, 2, 3, 1)), x if not channels_last else x.permute(0, 2, 3, 1))


@pytest.mark.parametrize('name', ['convnext_atto', 'convnext_tiny'])
def test_parity_full_size(name):
    assert_parity(name, batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(LARGE))
def test_parity_large(name):
    assert_parity(name, img_size=SMALL_SIZE, batch_size=1)


@pytest.mark.parametrize('output_stride', [8, 16])
@pytest.mark.parametrize('name', ['convnext_atto', pytest.param('convnext_tiny', marks=pytest.mark.slow)])
def test_parity_output_stride(name, output_stride):
    """Dilated stages (TF-same padded 2x2 downsample convs, dilated depthwise convs) agree with timm."""
    assert_parity(name, img_size=SMALL_SIZE, batch_size=1, output_stride=output_stride)
    model = zoo.create_model(name, output_stride=output_stride, num_classes=0, global_pool='')
    with torch.inference_mode():
        out = model(torch.randn(1, 3, 64, 64))
    assert out.shape[-1] == 64 // output_stride
    assert model.feature_info[-1]['reduction'] == output_stride


@pytest.mark.parametrize('kwargs', [
    dict(global_pool='', num_classes=0),
    dict(global_pool='max', num_classes=7),
    dict(in_chans=1),
    dict(kernel_sizes=(7, 5, 5, 3)),
    dict(ls_init_value=None),
])
def test_parity_options(kwargs):
    assert_parity('convnext_atto', img_size=SMALL_SIZE, batch_size=1, **kwargs)


def test_parity_unpooled_mlp_head():
    """The hidden head layer becomes a 1x1 conv when pooling is off (large_mlp layout, here on a small trunk)."""
    assert_parity('convnext_large_mlp', img_size=(32, 32), batch_size=1, global_pool='', num_classes=0,
                  depths=(1, 1, 1, 1), dims=(16, 32, 48, 64), head_hidden_size=24)


@pytest.fixture(scope='module')
def atto_pair():
    ref = fill_random_(timm.create_model('convnext_atto').eval())
    ours = zoo.create_model('convnext_atto').eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


@pytest.fixture(scope='module')
def hnf_pair():
    kwargs = dict(depths=(1, 1, 2, 1))  # tiny_hnf's norm-before-pool head on a shallow trunk
    ref = fill_random_(timm.create_model('convnext_tiny_hnf', **kwargs).eval())
    ours = zoo.create_model('convnext_tiny_hnf', **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _x(size: int = 64, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize('pair', ['atto_pair', 'hnf_pair'])
@pytest.mark.parametrize('indices', [None, 2, [0, 3], [-1]])
@pytest.mark.parametrize('norm', [False, True])
def test_forward_intermediates_parity(request, pair, indices, norm):
    ours, ref = request.getfixturevalue(pair)
    x = _x()
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(x, indices=indices, norm=norm)
        final_ref, feats_ref = ref.forward_intermediates(x, indices=indices, norm=norm)
        only = ours.forward_intermediates(x, indices=indices, norm=norm, intermediates_only=True)
    assert len(feats) == len(feats_ref) == len(only)
    for a, b, c in zip(feats, feats_ref, only):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(c, b, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(final, final_ref, rtol=1e-4, atol=1e-4)
    with torch.inference_mode():
        # the final output of forward_intermediates continues into the head like forward_features
        torch.testing.assert_close(ours.forward_head(final), ref(x), rtol=1e-4, atol=1e-4)


def test_forward_intermediates_contract(atto_pair):
    """Index i of feature_info describes index i of forward_intermediates."""
    ours, _ = atto_pair
    with torch.inference_mode():
        feats = ours.forward_intermediates(_x(), intermediates_only=True)
    assert len(feats) == len(ours.feature_info) == 4
    for f, info in zip(feats, ours.feature_info):
        assert f.shape[1] == info['num_chs']
        assert f.shape[-1] == 64 // info['reduction']
        nhwc = ours.forward_intermediates(_x(), output_fmt='NHWC', intermediates_only=True)
    for a, b in zip(nhwc, feats):
        torch.testing.assert_close(a, b.permute(0, 2, 3, 1))
    with pytest.raises(ValueError, match='NLC'):
        ours.forward_intermediates(_x(), output_fmt='NLC')


@pytest.mark.parametrize('out_indices', [None, (1, 2), (0,)])
def test_features_only_parity(atto_pair, out_indices):
    """features_only maps equal timm's intermediates; channels / reductions equal timm's features_only model."""
    _, ref = atto_pair
    # the getter wrapper (pruned model + forward_intermediates); tests/test_features.py covers the other forms
    kwargs = dict(feature_cls='getter') if out_indices is None else dict(feature_cls='getter', out_indices=out_indices)
    ours = zoo.create_model('convnext_atto', features_only=True, **kwargs).eval()
    with torch.device('meta'):
        ref_feat = timm.create_model('convnext_atto', features_only=True, **kwargs)
    ours.model.load_state_dict({k: v for k, v in ref.state_dict().items() if k in ours.model.state_dict()})
    assert ours.feature_info.channels() == ref_feat.feature_info.channels()
    assert ours.feature_info.reduction() == ref_feat.feature_info.reduction()
    x = _x()
    with torch.inference_mode():
        outs = ours(x)
        outs_ref = ref.forward_intermediates(x, indices=list(ref_feat.feature_info.out_indices), intermediates_only=True)
    assert len(outs) == len(outs_ref) == len(ref_feat.feature_info.out_indices)
    for a, b in zip(outs, outs_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    # pruned: no head, and no stages past the last requested one
    assert not any(k.startswith(('head.fc', 'head.norm')) for k in ours.model.state_dict())
    assert len(ours.model.stages) == max(out_indices or (3,)) + 1


@pytest.mark.parametrize('indices', [1, [0, 1], (2,)])
def test_prune_intermediate_layers_parity(indices):
    ref = timm.create_model('convnext_atto')
    ours = zoo.create_model('convnext_atto')
    assert ours.prune_intermediate_layers(indices) == ref.prune_intermediate_layers(indices)
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())
    assert ours.num_features == ref.num_features
    ours.reset_classifier(5, 'avg')
    ref.reset_classifier(5, 'avg')
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())
    with torch.inference_mode():
        assert ours(_x(32)).shape == (2, 5)


def test_group_matcher_matches_timm(atto_pair, hnf_pair):
    for ours, ref in (atto_pair, hnf_pair):
        for coarse in (False, True):
            got = timm.models.group_parameters(ours, ours.group_matcher(coarse=coarse))
            want = timm.models.group_parameters(ref, ref.group_matcher(coarse=coarse))
            assert got == want
    # timm's ConvNeXt defines none, so every parameter keeps weight decay
    assert atto_pair[0].no_weight_decay() == set()


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('convnext_atto', num_classes=4, depths=(1, 1, 2, 1)).train()
    x = _x(32)

    def grads():
        model.zero_grad()
        model(x).square().sum().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    plain = grads()
    model.set_grad_checkpointing(True)
    assert all(s.grad_checkpointing for s in model.stages)
    ckpt = grads()
    for n in plain:
        torch.testing.assert_close(ckpt[n], plain[n], rtol=1e-5, atol=1e-6)


def test_head_api(atto_pair):
    ours, ref = atto_pair
    x = _x()
    with torch.inference_mode():
        feats = ours.forward_features(x)
        torch.testing.assert_close(ours.forward_head(feats, pre_logits=True),
                                   ref.forward_head(ref.forward_features(x), pre_logits=True), rtol=1e-4, atol=1e-4)
    assert ours.get_classifier() is ours.head.fc
    assert ours.num_features == ref.num_features and ours.head_hidden_size == ref.head_hidden_size
    model = zoo.create_model('convnext_atto')
    model.reset_classifier(0)
    with torch.inference_mode():
        assert model(x).shape == (2, 320)
    model.reset_classifier(3, 'max')
    with torch.inference_mode():
        assert model(x).shape == (2, 3)


def test_hnf_reset_classifier():
    model = zoo.create_model('convnext_tiny_hnf', depths=(1, 1, 1, 1), num_classes=0)
    model.reset_classifier(6)
    with torch.inference_mode():
        assert model(_x(32)).shape == (2, 6)


def test_pretrained_load_skips_init_and_matches(atto_pair):
    """Loading a full state_dict goes through the builder's no-init path and reproduces timm's outputs."""
    ours_ref, ref = atto_pair
    model = zoo.create_model('convnext_atto', pretrained=True,
                             pretrained_cfg_overlay=dict(state_dict=ref.state_dict())).eval()
    x = _x()
    with torch.inference_mode():
        torch.testing.assert_close(model(x), ref(x), rtol=1e-4, atol=1e-4)


def _to_official(state_dict):
    """timm layout -> facebookresearch/ConvNeXt layout (the inverse of the family's checkpoint filter)."""
    out = {}
    for k, v in state_dict.items():
        k = k.replace('stem.', 'downsample_layers.0.')
        k = re.sub(r'stages\.(\d+)\.downsample\.(\d+)', r'downsample_layers.\1.\2', k)
        k = re.sub(r'stages\.(\d+)\.blocks\.(\d+)', r'stages.\1.\2', k)
        k = k.replace('conv_dw', 'dwconv').replace('mlp.fc', 'pwconv')
        if '.mlp.grn.' in k:
            k = k.replace('mlp.grn.weight', 'grn.gamma').replace('mlp.grn.bias', 'grn.beta')
            v = v.reshape(1, 1, 1, -1)
        k = k.replace('head.norm', 'norm').replace('head.fc', 'head')
        if 'pwconv' in k and v.ndim == 4:
            v = v.flatten(1)  # official MLPs are linear layers
        out[k] = v
    return {'model': out}


@pytest.mark.parametrize('name', ['convnext_atto', 'convnext_tiny', 'convnextv2_atto', 'convnextv2_tiny'])
def test_official_checkpoint_filter_matches_timm(name):
    kwargs = dict(depths=(1, 1, 1, 1))
    ref = fill_random_(timm.create_model(name, **kwargs))
    ours = zoo.create_model(name, **kwargs)
    official = _to_official(ref.state_dict())
    assert 'downsample_layers.1.1.weight' in official['model']
    from timm.models.convnext import checkpoint_filter_fn as timm_filter
    got, want = checkpoint_filter_fn(official, ours), timm_filter(dict(official), ref)
    assert sorted(got) == sorted(want)
    for k in want:
        assert torch.equal(got[k], want[k]), k
    ours.load_state_dict(got)


@pytest.mark.parametrize('name', ['convnext_atto', 'convnext_large_mlp'])
def test_open_clip_checkpoint_filter_matches_timm(name):
    """OpenCLIP towers: trunk under visual.trunk., bias-free projection (or MLP head) becomes the classifier."""
    kwargs = dict(depths=(1, 1, 1, 1), dims=(16, 32, 48, 64), num_classes=12)
    if name == 'convnext_large_mlp':
        kwargs['head_hidden_size'] = 24
    with torch.device('meta'):
        ref = timm.create_model(name, **kwargs)
    src = fill_random_(timm.create_model(name, **kwargs)).state_dict()
    clip = {f'visual.trunk.{k}': v for k, v in src.items() if not k.startswith(('head.fc', 'head.pre_logits'))}
    if name == 'convnext_large_mlp':
        clip['visual.head.mlp.fc1.weight'] = src['head.pre_logits.fc.weight']
        clip['visual.head.mlp.fc1.bias'] = src['head.pre_logits.fc.bias']
        clip['visual.head.mlp.fc2.weight'] = src['head.fc.weight']
    else:
        clip['visual.head.proj.weight'] = src['head.fc.weight']
    clip['text.token_embedding.weight'] = torch.zeros(3, 4)  # the text tower is ignored
    from timm.models.convnext import checkpoint_filter_fn as timm_filter
    got, want = checkpoint_filter_fn(dict(clip), None), timm_filter(dict(clip), ref)
    assert sorted(got) == sorted(want) == sorted(src)
    for k in want:
        assert torch.equal(got[k], want[k]), k


def test_invalid_args():
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('convnext_atto', output_stride=4)
    with pytest.raises(ValueError, match='stem_type'):
        zoo.create_model('convnext_atto', stem_type='bogus')
    with pytest.raises(ValueError, match='conv_mlp'):
        zoo.create_model('convnext_tiny', norm_layer=nn.BatchNorm2d)
