"""ResNet family: parity with timm for every registered name, features, adaptation, classifier API."""
import pytest
import torch
import torch.nn as nn

import zoo
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, build_pair_meta, timm

RESNET_NAMES = [n for n in zoo.list_models(module='resnet') if not n.endswith('_cifar')]
# the names added with anti-aliasing, ResNet-RS stems, pruned widths, per-stage blocks, ...: each one's full parity
# runs under -m slow, a reduced sample covering every option in the default run (test_new_options_parity)
ADDED_NAMES = {
    'ecaresnet101d_pruned', 'ecaresnet200d', 'ecaresnet50d_pruned', 'ecaresnetlight', 'ecaresnext26t_32x4d',
    'ecaresnext50t_32x4d', 'resnet101c', 'resnet101s', 'resnet152c', 'resnet152s', 'resnet200', 'resnet50_gn',
    'resnet50c', 'resnet50s', 'resnetaa101d', 'resnetaa34d', 'resnetaa50', 'resnetaa50d', 'resnetblur101d',
    'resnetblur18', 'resnetblur50', 'resnetblur50d', 'resnetrs101', 'resnetrs152', 'resnetrs200', 'resnetrs270',
    'resnetrs350', 'resnetrs420', 'resnetrs50', 'resnext101_32x16d', 'resnext101_32x32d', 'senet154', 'seresnet152d',
    'seresnet200d', 'seresnet269d', 'seresnet50t', 'seresnetaa50d', 'seresnext101_32x4d', 'seresnext101_64x4d',
    'seresnext101d_32x8d', 'seresnextaa101d_32x8d', 'seresnextaa201d_32x8d', 'test_resnet',
}


def test_names_match_timm():
    """Every timm resnet name is registered; zoo's only extras are the 32x32-input *_cifar models."""
    ours, ref = set(zoo.list_models(module='resnet')), set(timm.list_models(module='resnet'))
    assert ref <= ours
    assert all(n.endswith('_cifar') for n in ours - ref)
    assert ADDED_NAMES <= ours


# full-size parity in the default run: one name per block type / stem / attention option; every name under -m slow
DEFAULT_PARITY = {'resnet18', 'resnet10t', 'resnet26d', 'resnext50_32x4d', 'seresnext26d_32x4d', 'ecaresnet26t',
                  'wide_resnet50_2', 'resnet50_gn', 'resnetblur18', 'resnetrs50'}


@pytest.mark.parametrize('name', [n if n in DEFAULT_PARITY else pytest.param(n, marks=pytest.mark.slow)
                                  for n in RESNET_NAMES])
def test_parity_with_timm(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


# One block per stage (and narrow stages where the option allows) keeps every code path at a fraction of the cost.
_ONE = dict(layers=(1, 1, 1, 1))
_NARROW = dict(layers=(1, 1, 1, 1), channels=(32, 64, 128, 256))


@pytest.mark.parametrize('name,kwargs', [
    ('test_resnet', {}),  # per-stage block types, deep stem, narrow stages
    ('resnetblur18', {}),  # blur-pool stem (dense max-pool + blur) and BasicBlock anti-aliasing
    ('resnetblur50d', dict(_NARROW, output_stride=16)),  # Bottleneck blur, and the unstrided blur where dilation starts
    ('resnetaa34d', _NARROW),  # 2x2 average-pool stem and BasicBlock anti-aliasing
    ('resnetaa50', dict(_NARROW, output_stride=8)),
    ('resnetrs50', _NARROW),  # strided-conv stem instead of the max-pool, SE with reduction 4
    ('resnetrs50', dict(_NARROW, aa_layer='blur')),  # the strided-conv stem with an anti-aliased stride
    ('senet154', _NARROW),  # 2x-wide first conv of the 64-group bottleneck, 3x3 conv shortcuts
    ('resnet50_gn', _NARROW),  # GroupNorm everywhere
])
def test_new_options_parity(name, kwargs):
    assert_parity(name, img_size=(64, 64), batch_size=1, **kwargs)


def test_pruned_widths_parity():
    """Per-block pruned widths, ECA sized as in the unpruned net (built on meta: no init cost, no computed buffers)."""
    ref, ours = build_pair_meta('ecaresnet50d_pruned')
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='ecaresnet50d_pruned')
    assert ours.num_features == 2022 and [f['num_chs'] for f in ours.feature_info] == [64, 19, 171, 818, 2022]


def test_option_errors_name_the_fix():
    with pytest.raises(ValueError, match='aa_layer'):
        zoo.create_model('resnet18', aa_layer='gaussian')
    with pytest.raises(ValueError, match='one per stage'):
        zoo.create_model('resnet18', block=(zoo.models.resnet.BasicBlock,) * 3)
    with pytest.raises(ValueError, match='width-agnostic'):
        zoo.create_model('ecaresnet50d_pruned', block_args=dict(attn_layer='se'))


def test_anti_aliased_stride_is_a_filter_not_a_conv_stride():
    """With aa_layer the strided convs run at stride 1 and the filter subsamples (Zhang, 2019)."""
    with torch.device('meta'):
        plain, blur, avg = (zoo.create_model(n, **_ONE) for n in ('resnet50', 'resnetblur50', 'resnetaa50'))
    assert plain.layer2[0].conv2.stride == (2, 2) and isinstance(plain.layer2[0].aa, nn.Identity)
    assert blur.layer2[0].conv2.stride == (1, 1) and blur.layer2[0].aa.stride == 2
    assert isinstance(avg.maxpool, nn.AvgPool2d) and avg.layer2[0].aa.kernel_size == 2


def test_full_size_parity_resnet50():
    assert_parity('resnet50', img_size=(224, 224), batch_size=1)


@pytest.mark.parametrize('name', ['resnet50', 'resnet50d', 'resnet18'])
@pytest.mark.parametrize('output_stride', [8, 16])
def test_dilated_parity(name, output_stride):
    assert_parity(name, img_size=(64, 64), batch_size=1, output_stride=output_stride)


@pytest.mark.parametrize('name', ['resnet50', 'resnet18d', 'seresnext26t_32x4d', 'resnetrs50', 'test_resnet'])
def test_feature_info_matches_timm(name):
    assert_feature_info_parity(name)
    assert_feature_info_parity(name, out_indices=(1, -1), output_stride=16)


def test_features_only_channels_reductions_shapes():
    model = zoo.create_model('resnet50', features_only=True).eval()
    assert model.feature_info.channels() == [64, 256, 512, 1024, 2048]
    assert model.feature_info.reduction() == [2, 4, 8, 16, 32]
    assert model.feature_info.module_name() == ['act1', 'layer1', 'layer2', 'layer3', 'layer4']
    feats = model(torch.randn(1, 3, 128, 96))
    assert [tuple(f.shape) for f in feats] == [
        (1, 64, 64, 48), (1, 256, 32, 24), (1, 512, 16, 12), (1, 1024, 8, 6), (1, 2048, 4, 3)]


@pytest.mark.parametrize('output_stride,reductions', [(8, [2, 4, 8, 8, 8]), (16, [2, 4, 8, 16, 16])])
def test_features_output_stride(output_stride, reductions):
    model = zoo.create_model('resnet50', features_only=True, output_stride=output_stride).eval()
    assert model.feature_info.reduction() == reductions
    feats = model(torch.randn(1, 3, 64, 64))
    assert [f.shape[-1] for f in feats] == [64 // r for r in reductions]


def test_features_out_indices_negative_and_values_match_full_model():
    full = zoo.create_model('resnet18').eval()
    feats_model = zoo.create_model('resnet18', features_only=True, feature_cls='getter', out_indices=(-3, -1)).eval()
    feats_model.model.load_state_dict({k: v for k, v in full.state_dict().items() if not k.startswith('fc.')})
    assert feats_model.feature_info.channels() == [128, 512]
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        f_mid, f_last = feats_model(x)
        assert torch.allclose(f_last, full.forward_features(x), atol=1e-6)
    # pruned: layers past the deepest requested level and the head are gone
    assert isinstance(feats_model.model.fc, nn.Identity)
    with pytest.raises(ValueError, match='out of range'):
        zoo.create_model('resnet18', features_only=True, out_indices=(5,))


def test_output_stride_bad_value():
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('resnet18', output_stride=4)


def test_output_stride_refused_by_family_without_dilation():
    class NoDilation(nn.Module):
        def __init__(self, num_classes: int = 1000):
            super().__init__()
            self.fc = nn.Linear(2, num_classes)
    with pytest.raises(ValueError, match='does not support output_stride=8'):
        zoo.models.build_model_with_cfg(NoDilation, 'no_dilation_net', False, output_stride=8)
    zoo.models.build_model_with_cfg(NoDilation, 'no_dilation_net', False, output_stride=32)


@pytest.mark.parametrize('num_classes', [0, 7])
def test_num_classes(num_classes):
    model = zoo.create_model('resnet18', num_classes=num_classes).eval()
    out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, num_classes or 512)
    assert model.num_classes == num_classes and model.num_features == 512


@pytest.mark.parametrize('pool,width', [('avg', 512), ('max', 512), ('avgmax', 512), ('catavgmax', 1024)])
def test_global_pool_types(pool, width):
    model = zoo.create_model('resnet18', num_classes=0, global_pool=pool).eval()
    x = torch.randn(2, 3, 64, 64)
    out = model(x)
    assert out.shape == (2, width)
    maps = model.forward_features(x)
    expected = {'avg': maps.mean((2, 3)), 'max': maps.amax((2, 3)),
                'avgmax': 0.5 * (maps.mean((2, 3)) + maps.amax((2, 3))),
                'catavgmax': torch.cat([maps.mean((2, 3)), maps.amax((2, 3))], 1)}[pool]
    assert torch.allclose(out, expected, atol=1e-6)


def test_unpooled_maps_and_clear_error_with_classifier():
    model = zoo.create_model('resnet18', num_classes=0, global_pool='').eval()
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 512, 2, 2)
    with pytest.raises(ValueError, match="num_classes=0"):
        zoo.create_model('resnet18', global_pool='')


def test_reset_classifier_and_head_api():
    model = zoo.create_model('resnet34').eval()
    x = torch.randn(2, 3, 64, 64)
    feats = model.forward_features(x)
    pre = model.forward_head(feats, pre_logits=True)
    assert pre.shape == (2, 512)
    assert torch.allclose(model.forward_head(feats), model.get_classifier()(pre), atol=1e-6)
    model.reset_classifier(5)
    assert model(x).shape == (2, 5) and model.get_classifier().out_features == 5
    model.reset_classifier(0, global_pool='max')
    assert torch.allclose(model(x), feats.amax((2, 3)), atol=1e-6)


def test_none_kwargs_are_dropped_so_defaults_hold():
    model = zoo.create_model('resnet18', num_classes=None, drop_rate=None, global_pool=None)
    assert model.num_classes == 1000 and model.global_pool.pool_type == 'avg'


def test_grad_checkpointing_same_output_and_grads():
    model = zoo.create_model('resnet18', num_classes=3)
    x = torch.randn(2, 3, 32, 32)
    model.train()
    torch.manual_seed(0)
    ref = model(x).sum()
    ref.backward()
    grad_ref = model.conv1.weight.grad.clone()
    model.zero_grad()
    model.set_grad_checkpointing(True)
    out = model(x).sum()
    out.backward()
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.allclose(model.conv1.weight.grad, grad_ref, atol=1e-5)


def test_group_matcher_covers_every_parameter():
    import re
    model = zoo.create_model('resnet26d')
    matcher = model.group_matcher()
    names = [n for n, _ in model.named_parameters() if not n.startswith('fc.')]
    unmatched = [n for n in names if not any(re.match(p, n) for p in matcher.values())]
    assert not unmatched
    assert model.no_weight_decay() == set()


def test_drop_path_schedule_and_train_mode_stochasticity():
    model = zoo.create_model('resnet26', drop_path_rate=0.2)
    rates = [b.drop_path.drop_prob if b.drop_path is not None else 0. for s in model._stages() for b in s]
    assert rates[0] == 0. and abs(rates[-1] - 0.2) < 1e-9
    assert all(b >= a for a, b in zip(rates, rates[1:]))


def test_cifar_variants_shapes():
    model = zoo.create_model('resnet18_cifar', num_classes=10).eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    feats = zoo.create_model('resnet18_cifar', features_only=True).eval()
    assert feats.feature_info.reduction() == [1, 1, 2, 4, 8]
    assert [f.shape[-1] for f in feats(torch.randn(1, 3, 32, 32))] == [32, 32, 16, 8, 4]
    # apart from the 3x3 stem, the layout is resnet18's, so ImageNet weights of the same depth fit
    cifar_sd = model.state_dict()
    imagenet_sd = zoo.create_model('resnet18', num_classes=10).state_dict()
    assert {k: v.shape for k, v in cifar_sd.items() if k != 'conv1.weight'} == {
        k: v.shape for k, v in imagenet_sd.items() if k != 'conv1.weight'}
