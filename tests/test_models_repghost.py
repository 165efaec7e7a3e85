"""RepGhostNet: parity with timm 1.0.31, the reference oracle, plus re-parameterisation and the model API.

Default run: repghostnet_050 at 64 px (outputs, feature channels / reductions, intermediates, head reset / pruning),
folding the BN re-use branches keeps the outputs and gives timm's deployed layout, `reparam=False` builds timm's
branch-free layout. `-m slow`: every name at 128 px.
"""
import pytest
import torch

from _api_checks import assert_head_api_matches, assert_intermediates_match, assert_reset_and_prune_match, image
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402

MODULE = 'repghost'
NAMES = zoo.list_models(module=MODULE)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 8


@pytest.mark.parametrize('name', [n if n == 'repghostnet_050' else pytest.param(n, marks=pytest.mark.slow)
                                  for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name == 'repghostnet_050' else (128, 128), batch_size=1)
    assert_feature_info_parity(name)


def test_reparameterize_keeps_outputs_and_matches_timm_layout():
    model = fill_random_(zoo.create_model('repghostnet_050')).eval()
    x = image()
    with torch.inference_mode():
        expected = model(x)
    folded = reparameterize_model(model)
    assert not any('fusion' in k for k in folded.state_dict())
    ref = timm.create_model('repghostnet_050').eval()
    ref.convert_to_deploy()
    ref.load_state_dict(folded.state_dict(), strict=True)
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, name='folded')
        assert_outputs_close(folded(x), ref(x), name='timm deployed')
    with torch.device('meta'):
        plain, plain_ref = zoo.create_model('repghostnet_050', reparam=False), timm.create_model(
            'repghostnet_050', reparam=False)
    assert sorted(plain.state_dict()) == sorted(plain_ref.state_dict())


def test_intermediates_and_head():
    ref = fill_random_(timm.create_model('repghostnet_050')).eval()
    ours = zoo.create_model('repghostnet_050').eval()
    ours.load_state_dict(ref.state_dict())
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2, 4])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert_reset_and_prune_match('repghostnet_050')
