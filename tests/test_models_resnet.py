"""ResNet family: parity with timm for every registered name, features, adaptation, classifier API."""
import pytest
import torch
import torch.nn as nn

import zoo
from _parity import assert_feature_info_parity, assert_parity

RESNET_NAMES = [n for n in zoo.list_models(module='resnet') if not n.endswith('_cifar')]


@pytest.mark.parametrize('name', RESNET_NAMES)
def test_parity_with_timm(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


def test_full_size_parity_resnet50():
    assert_parity('resnet50', img_size=(224, 224), batch_size=1)


@pytest.mark.parametrize('name', ['resnet50', 'resnet50d', 'resnet18'])
@pytest.mark.parametrize('output_stride', [8, 16])
def test_dilated_parity(name, output_stride):
    assert_parity(name, img_size=(64, 64), batch_size=1, output_stride=output_stride)


@pytest.mark.parametrize('name', ['resnet50', 'resnet18d', 'seresnext26t_32x4d'])
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
    feats_model = zoo.create_model('resnet18', features_only=True, out_indices=(-3, -1)).eval()
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
