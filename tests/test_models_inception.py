"""Inception-v3, Inception-v4 and Inception-ResNet-v2: parity with timm, features, names, checkpoint filtering.

These nets use fixed (unpadded or symmetric) padding, no TF 'same' padding, so a reduced input keeps the graph: the
default run compares logits and every feature level at 75 px (the smallest size all three reductions accept);
`-m slow` repeats it at the native 299 px and checks timm's features_only forms.
"""
from typing import Any

import pytest
import torch

import zoo
from _levels_parity import assert_levels_parity
from _parity import assert_outputs_close, build_pair_meta, fill_random_, timm

MODULES = ('inception_v3', 'inception_v4', 'inception_resnet_v2')
NAMES = [n for m in MODULES for n in timm.list_models(module=m)]


def _check(name: str, size: int, batch_size: int = 2, **kwargs: Any) -> None:
    # built on the meta device and materialised (these nets have no computed buffers), so no init cost
    ref, ours = build_pair_meta(name, **kwargs)
    x = torch.randn(batch_size, 3, size, size, generator=torch.Generator().manual_seed(0))
    assert_levels_parity(ref, ours, x, name, num_levels=5, varied_level=2)


def test_names_match_timm():
    for module in MODULES:
        assert set(zoo.list_models(module=module)) == set(timm.list_models(module=module)), module


@pytest.mark.parametrize('name', NAMES)
def test_parity_reduced(name):
    _check(name, 75)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    _check(name, 299, batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_features_only_match_timm(name, tmp_path):
    """The family's default wrapper (timm's: a children run, flattened for Inception-v4) and the getter."""
    path = str(tmp_path / f'{name}.pth')
    torch.save(fill_random_(timm.create_model(name)).state_dict(), path)
    x = torch.randn(1, 3, 107, 107, generator=torch.Generator().manual_seed(0))
    for feature_cls in (None, 'getter'):
        kwargs = dict(features_only=True, pretrained=True, pretrained_cfg_overlay=dict(file=path), out_indices=(1, 4))
        if feature_cls:
            kwargs['feature_cls'] = feature_cls
        ref = timm.create_model(name, **kwargs).eval()
        ours = zoo.create_model(name, **kwargs).eval()
        assert type(ours).__name__ == type(ref).__name__
        assert ours.feature_info.channels() == ref.feature_info.channels()
        assert ours.feature_info.reduction() == ref.feature_info.reduction()
        if feature_cls is None:
            assert list(ours.state_dict()) == list(ref.state_dict())
        with torch.inference_mode():
            for a, b in zip(ours(x), ref(x)):
                assert_outputs_close(a, b, name=f'{name} features {feature_cls}')


def test_inception_v3_aux_classifier_dropped_on_load():
    """torchvision's checkpoint carries AuxLogits.*: the filter drops exactly those, leaving zoo's keys."""
    from zoo.models.inception_v3 import checkpoint_filter_fn
    with torch.device('meta'):
        ref = timm.create_model('inception_v3', aux_logits=True)
        ours = zoo.create_model('inception_v3')
    filtered = checkpoint_filter_fn(ref.state_dict())
    assert any(k.startswith('AuxLogits.') for k in ref.state_dict())
    assert sorted(filtered) == sorted(ours.state_dict())
    with pytest.raises(ValueError, match='aux_logits=False'):
        zoo.create_model('inception_v3', aux_logits=True)


@pytest.mark.parametrize('old,arch,tag', [('adv_inception_v3', 'inception_v3', 'tf_adv_in1k'),
                                          ('ens_adv_inception_resnet_v2', 'inception_resnet_v2', 'tf_ens_adv_in1k')])
def test_deprecated_names_map_to_tags(old, arch, tag):
    with pytest.warns(DeprecationWarning, match=arch):
        with torch.device('meta'):
            model = zoo.create_model(old)
    assert model.pretrained_cfg['architecture'] == arch and model.pretrained_cfg['tag'] == tag


@pytest.mark.parametrize('name', NAMES)
def test_group_matcher_covers_every_parameter(name):
    import re
    with torch.device('meta'):
        model = zoo.create_model(name)
    matcher = model.group_matcher()
    patterns = [matcher['stem']] + ([matcher['blocks']] if isinstance(matcher['blocks'], str)
                                    else [p for p, _ in matcher['blocks']])
    head = model.get_classifier()
    head_params = {id(p) for p in head.parameters()}
    unmatched = [n for n, p in model.named_parameters()
                 if id(p) not in head_params and not any(re.match(pat, n) for pat in patterns)]
    assert not unmatched, unmatched[:5]
