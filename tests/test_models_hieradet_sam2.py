"""HieraDet (the SAM 2 Hiera image encoder): parity with timm 1.0.31 (the reference oracle) and the model API.

The model runs at any input whose token grid is a multiple of the first window (8): at 96 px the later stages' maps
(12, 6, 3) are smaller than or not multiples of their windows, so the zero-padding and un-padding of windows, the
pooled windows of stage transitions and the global-attention blocks are all exercised. Default run: sam2_hiera_tiny
at 96 px (outputs, stage / block intermediates, head, pruning, features) and hieradet_small's LayerScale at 64 px.
`-m slow`: every name at 224 px (the published models' smallest supported size), gradient checkpointing.
"""
import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, assert_reset_and_prune_match, image
from _hier_parity import build_pair, check_parity
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models.hieradet_sam2 import checkpoint_filter_fn  # noqa: E402

MODULE = 'hieradet_sam2'
NAMES = zoo.list_models(module=MODULE)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 5


def test_parity_layer_scale():
    check_parity('hieradet_small', 64, batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native(name):
    assert_parity(name, img_size=(224, 224), batch_size=1)
    assert_feature_info_parity(name)


def test_padded_windows_intermediates_and_api():
    ref, ours = build_pair('sam2_hiera_tiny', num_classes=10)
    x = image(2, 96)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='logits')
        for kwargs in (dict(indices=None), dict(indices=[2, 6], coarse=False, output_fmt='NHWC')):
            final, feats = ours.forward_intermediates(x, stop_early=False, **kwargs)
            final_ref, feats_ref = ref.forward_intermediates(x, stop_early=False, **kwargs)
            assert len(feats) == len(feats_ref)
            for a, b in zip(feats + [final], feats_ref + [final_ref]):
                assert_outputs_close(a, b, name=f'intermediates {kwargs}')
        assert_outputs_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                             ref.forward_head(ref.forward_features(x), pre_logits=True), name='pre-logits')
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == set(ref.no_weight_decay())
    with pytest.raises(ValueError, match='norm'):
        ours.forward_intermediates(x, norm=True)
    assert_reset_and_prune_match('sam2_hiera_tiny')
    assert_feature_info_parity('sam2_hiera_tiny')


@pytest.mark.slow
def test_grad_checkpointing():
    assert_checkpointing_keeps_gradients(fill_random_(zoo.create_model('sam2_hiera_tiny')), image(1, 64))


def test_sam2_checkpoint_keys():
    with torch.device('meta'):
        model = zoo.create_model('sam2_hiera_tiny')
    sd = model.state_dict()
    official = {'image_encoder.trunk.' + k.replace('mlp.fc1', 'mlp.layers.0').replace('mlp.fc2', 'mlp.layers.1'): v
                for k, v in sd.items()}
    official['memory_encoder.some.weight'] = torch.zeros(1)
    got = checkpoint_filter_fn({'model': official}, model, prefix='image_encoder.trunk.')
    want = timm.models.hieradet_sam2.checkpoint_filter_fn({'model': official}, prefix='image_encoder.trunk.')
    assert sorted(got) == sorted(want) == sorted(sd)
