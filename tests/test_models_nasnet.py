"""NASNet-A Large and PNASNet-5 Large: parity with timm (TF 'SAME' padding), levels read through the next cell's input
ReLU, pruning, hook features.

Numerical parity runs under `-m slow` (copying the 85-89M random parameters alone costs ~10 s per model on the CI
machine): logits and the five levels at 64 px and at the native 331 px (where the per-input 'SAME' pads of the
strided pools and convs differ from the reduced size); stop_early / pruning and the hook features against timm.
"""
import pytest
import torch

import zoo
from _levels_parity import assert_levels_parity
from _parity import assert_outputs_close, build_pair_meta, fill_random_, timm

MODULES = ('nasnet', 'pnasnet')
NAMES = ['nasnetalarge', 'pnasnet5large']


def _check(name: str, size: int, batch_size: int) -> None:
    ref, ours = build_pair_meta(name)
    x = torch.randn(batch_size, 3, size, size, generator=torch.Generator().manual_seed(0))
    assert_levels_parity(ref, ours, x, name, num_levels=5)


def test_names_match_timm():
    for module, name in zip(MODULES, NAMES):
        assert zoo.list_models(module=module) == timm.list_models(module=module) == [name]


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_reduced(name):
    _check(name, 64, 2)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    _check(name, 331, 1)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_stop_early_and_prune_match_timm(name):
    ref, ours = build_pair_meta(name)
    x = torch.randn(1, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(x, indices=(0, 2), stop_early=True)
        final_ref, feats_ref = ref.forward_intermediates(x, indices=(0, 2), stop_early=True)
        assert_outputs_close(final, final_ref, name='stop_early final')
        for a, b in zip(feats, feats_ref):
            assert_outputs_close(a, b, name='stop_early level')
        ours.prune_intermediate_layers((0, 2))
        ref.prune_intermediate_layers((0, 2))
        assert sorted(ours.state_dict()) == sorted(ref.state_dict())
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x), name='pruned features')


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_hook_features_match_timm(name, tmp_path):
    path = str(tmp_path / f'{name}.pth')
    torch.save(fill_random_(timm.create_model(name)).state_dict(), path)
    kwargs = dict(features_only=True, pretrained=True, pretrained_cfg_overlay=dict(file=path), out_indices=(1, 2, 4))
    ref = timm.create_model(name, **kwargs).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    assert type(ours).__name__ == type(ref).__name__ == 'FeatureHookNet'
    assert ours.feature_info.channels() == ref.feature_info.channels()
    assert list(ours.state_dict()) == list(ref.state_dict())
    x = torch.randn(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        for a, b in zip(ours(x), ref(x)):
            assert_outputs_close(a, b, name=f'{name} hook features')


@pytest.mark.parametrize('name', NAMES)
def test_output_stride_refused(name):
    with pytest.raises(ValueError, match='output_stride=32'):
        with torch.device('meta'):
            zoo.create_model(name, output_stride=16)
