"""CoaT checked against timm (the reference oracle).

Default run: names; CoaT-Lite and CoaT (two parallel blocks, 'avg' pooling) at 64 px: outputs, intermediates
(including early stops and the list of final features of CoaT), pruning for features_only, and the shared position
encodings (one module under the model and every block, as in the published weights). CoaT has no learned position
embedding to resample (its encodings are convolutions). `-m slow`: every name at 64 px.
"""
import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image
from _parity import assert_feature_info_parity, timm

import zoo

NAMES = zoo.list_models(module='coat')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='coat')) and len(NAMES) == 8


@pytest.mark.parametrize('name, kwargs', [
    ('coat_lite_tiny', {}),
    ('coat_tiny', dict(parallel_depth=2, global_pool='avg')),
])
def test_parity_and_intermediates(name, kwargs):
    ref, ours = check_parity(name, 64, meta=True, img_size=64, **kwargs)
    check_intermediates(ref, ours, image(64), [{}, dict(indices=[0, 2], norm=True), dict(indices=[1], stop_early=True)])
    features = zoo.create_model(name, img_size=64, features_only=True, out_indices=(0, 1), **kwargs)
    own = features.state_dict()
    features.load_state_dict({f'model.{k}': v for k, v in ours.state_dict().items() if f'model.{k}' in own})
    with torch.inference_mode():
        for got, expected in zip(features(image(64)), ours.forward_intermediates(image(64), indices=(0, 1))[1]):
            torch.testing.assert_close(got, expected)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 64, batch_size=1, meta=True, img_size=64)
    assert_feature_info_parity(name)


def test_shared_position_encodings_and_api():
    model = zoo.create_model('coat_tiny', img_size=64, parallel_depth=1)
    assert model.serial_blocks2[1].cpe is model.cpe2 and model.parallel_blocks[0].factoratt_crpe3.crpe is model.crpe3
    assert model.parallel_blocks[0].mlp2 is model.parallel_blocks[0].mlp4
    keys = model.state_dict().keys()
    assert 'cpe1.proj.weight' in keys and 'serial_blocks1.0.cpe.proj.weight' in keys
    assert model.no_weight_decay() == {'cls_token1', 'cls_token2', 'cls_token3', 'cls_token4'}
    x = image(64)
    model.eval()
    with torch.inference_mode():
        feats = model.forward_features(x)
        assert [t.shape for t in feats] == [(2, 1 + 64, 152), (2, 1 + 16, 152), (2, 1 + 4, 152)]
        model.set_grad_checkpointing(True)
        for a, b in zip(model.forward_features(x), feats):
            torch.testing.assert_close(a, b)
    model.reset_classifier(4, 'avg')
    assert model(x).shape == (2, 4)
