"""Twins checked against timm (the reference oracle).

Default run: names; Twins-SVT (locally grouped + global sub-sampled attention; 96 px pads the 24x24 grid to 7x7
windows) and Twins-PCPVT at reduced depth: outputs, intermediates, pruning, API. Twins has no learned position
embedding to resample (its position encoding is a convolution). `-m slow`: every name at 96 px.
"""
import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo

NAMES = zoo.list_models(module='twins')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='twins')) and len(NAMES) == 6


@pytest.mark.parametrize('name, depths', [('twins_svt_small', (2, 2, 2, 2)), ('twins_pcpvt_small', (1, 1, 1, 1))])
def test_parity_and_intermediates(name, depths):
    ref, ours = check_parity(name, 96, meta=True, img_size=96, depths=depths)
    x = image(96)
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 3], norm=True), dict(indices=[1], stop_early=True)])
    with torch.inference_mode():
        feats = ours.forward_features(x)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
        ours.set_grad_checkpointing(False)
        kept = ours.prune_intermediate_layers([0, 1])
        assert kept == [0, 1] and len(ours.blocks) == 2 and isinstance(ours.norm, torch.nn.Identity)
        assert ours(x).shape == (2, 144, 128)  # no head left: the last kept stage's tokens


def test_api():
    model = zoo.create_model('twins_svt_small', img_size=96, depths=(2, 2, 2, 2))
    assert model.no_weight_decay() == {f'pos_block.{i}.proj.0.{p}' for i in range(4) for p in ('weight', 'bias')}
    assert model.blocks[2][0].attn.ws == 7 and model.blocks[3][1].attn.sr is None
    model.reset_classifier(3)
    assert model(image(96)).shape == (2, 3)
    with pytest.raises(ValueError, match='multiple'):
        zoo.create_model('twins_svt_small', img_size=100)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 96, batch_size=1, meta=True, img_size=96)
    assert_feature_info_parity(name)
