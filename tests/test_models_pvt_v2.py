"""PVT v2 checked against timm (the reference oracle).

Default run: names; pvt_v2_b0 on a non-square 96x128 input (any size works: no position embedding) with
intermediates, the linear-attention variant at reduced depth, grad checkpointing, and the official (whai362/PVT)
checkpoint layout conversion. `-m slow`: every name at 96 px.
"""
import re

import pytest
import torch

from _hier_parity import check_intermediates, check_parity, image
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo
from zoo.models.pvt_v2 import checkpoint_filter_fn

NAMES = zoo.list_models(module='pvt_v2')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='pvt_v2')) and len(NAMES) == 7


def test_parity_non_square_and_intermediates():
    ref, ours = check_parity('pvt_v2_b0', (96, 128), meta=True)
    x = image((96, 128))
    check_intermediates(ref, ours, x, [{}, dict(indices=[0, 2]), dict(indices=[1], stop_early=True)])
    with torch.inference_mode():
        feats = ours.forward_features(x)
        assert feats.shape == (2, 256, 3, 4)
        ours.set_grad_checkpointing(True)
        assert_outputs_close(ours.forward_features(x), feats)
    # the official layout (patch_embedN, blockN.M, normN, dwconv.dwconv) converts to this one
    official = {}
    for key, value in ours.state_dict().items():
        key = re.sub(r'^patch_embed\.', 'patch_embed1.', key)
        key = re.sub(r'^stages\.(\d)\.downsample\.', lambda m: f'patch_embed{int(m.group(1)) + 1}.', key)
        key = re.sub(r'^stages\.(\d)\.blocks\.', lambda m: f'block{int(m.group(1)) + 1}.', key)
        key = re.sub(r'^stages\.(\d)\.norm\.', lambda m: f'norm{int(m.group(1)) + 1}.', key)
        official[key.replace('.dwconv.', '.dwconv.dwconv.')] = value
    assert checkpoint_filter_fn(official, ours).keys() == ours.state_dict().keys()


def test_parity_linear_attention():
    check_parity('pvt_v2_b2_li', 96, meta=True, depths=(1, 1, 1, 1))


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name):
    check_parity(name, 96, batch_size=1, meta=True)
    assert_feature_info_parity(name)
