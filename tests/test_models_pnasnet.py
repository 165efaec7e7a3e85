"""PNASNet-5 Large: parity with timm (TF 'SAME' padding), levels read through the next cell's input ReLU, pruning.

Numerical parity runs under `-m slow` (copying the 86M random parameters alone costs ~10 s on the CI machine): logits
and the five levels at 64 px and at the native 331 px (where the per-input 'SAME' pads of the strided
pools and convs differ from the reduced size) and checks stop_early / pruning and the hook features against timm.
"""
import pytest
import torch

import zoo
from _levels_parity import assert_levels_parity
from _parity import assert_outputs_close, build_pair_meta, fill_random_, timm

NAME = 'pnasnet5large'


def _check(size: int, batch_size: int) -> None:
    ref, ours = build_pair_meta(NAME)
    x = torch.randn(batch_size, 3, size, size, generator=torch.Generator().manual_seed(0))
    assert_levels_parity(ref, ours, x, NAME, num_levels=5)


def test_names_match_timm():
    assert zoo.list_models(module='pnasnet') == timm.list_models(module='pnasnet') == [NAME]


@pytest.mark.slow
def test_parity_reduced():
    _check(64, 2)


@pytest.mark.slow
def test_parity_native():
    _check(331, 1)


@pytest.mark.slow
def test_stop_early_and_prune_match_timm():
    ref, ours = build_pair_meta(NAME)
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
def test_hook_features_match_timm(tmp_path):
    path = str(tmp_path / f'{NAME}.pth')
    torch.save(fill_random_(timm.create_model(NAME)).state_dict(), path)
    kwargs = dict(features_only=True, pretrained=True, pretrained_cfg_overlay=dict(file=path), out_indices=(1, 2, 4))
    ref = timm.create_model(NAME, **kwargs).eval()
    ours = zoo.create_model(NAME, **kwargs).eval()
    assert type(ours).__name__ == type(ref).__name__ == 'FeatureHookNet'
    assert ours.feature_info.channels() == ref.feature_info.channels() == [270, 1080, 4320]
    x = torch.randn(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        for a, b in zip(ours(x), ref(x)):
            assert_outputs_close(a, b, name=f'{NAME} hook features')


def test_output_stride_refused():
    with pytest.raises(ValueError, match='output_stride=32'):
        with torch.device('meta'):
            zoo.create_model(NAME, output_stride=16)
