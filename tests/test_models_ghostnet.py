"""GhostNet V1 / V2 / V3: parity with timm 1.0.31, the reference oracle, plus re-parameterisation and the model API.

Default run: output parity at 64 px for ghostnet_050 (V1), ghostnetv2_100 (DFC attention) and ghostnetv3_050
(re-parameterisable branches); V3 folding keeps outputs and gives timm's deployed layout; intermediates (level 0 is
the stem conv before its BN), head reset / pruning, checkpoint filter, checkpointing. `-m slow`: every name.
"""
import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_head_api_matches, assert_intermediates_match,
    assert_reset_and_prune_match, image,
)
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, build_pair_meta, fill_random_, timm

import zoo  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402

MODULE = 'ghostnet'
NAMES = zoo.list_models(module=MODULE)
DEFAULT = ['ghostnet_050', 'ghostnetv2_100', 'ghostnetv3_050']


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 10


@pytest.mark.parametrize('name', [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_parity(name):
    assert_parity(name, img_size=(64, 64) if name in DEFAULT else (128, 128), batch_size=1)
    if name in DEFAULT:
        assert_feature_info_parity(name)


def _v3_model(name: str = 'ghostnetv3_050') -> torch.nn.Module:
    model = fill_random_(zoo.create_model(name)).eval()
    with torch.no_grad():
        # three branches summed per conv: smaller branch scales keep the random network's activations moderate
        for path, m in model.named_modules():
            if 'rpr' in path and isinstance(m, torch.nn.BatchNorm2d):
                m.weight /= 4
    return model


def test_reparameterize_keeps_outputs_and_matches_timm_layout():
    model = _v3_model()
    x = image()
    with torch.inference_mode():
        expected = model(x)
    folded = reparameterize_model(model)
    assert not any('rpr' in k for k in folded.state_dict())
    assert sum(p.numel() for p in folded.parameters()) < sum(p.numel() for p in model.parameters())
    ref = timm.create_model('ghostnetv3_050').eval()
    ref.convert_to_deploy()
    ref.load_state_dict(folded.state_dict(), strict=True)
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, name='folded')
        assert_outputs_close(folded(x), ref(x), name='timm deployed')
    model.convert_to_deploy()  # in place, as timm's GhostNet.convert_to_deploy
    assert sorted(model.state_dict()) == sorted(folded.state_dict())


@pytest.fixture(scope='module')
def pair():
    return build_pair_meta('ghostnetv2_100')


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2, 4])
    assert_head_api_matches(ours, ref, x)
    assert ours.get_classifier() is ours.classifier
    assert ours.group_matcher() == ref.group_matcher() and ours.group_matcher(True) == ref.group_matcher(True)
    assert_reset_and_prune_match('ghostnet_050')
    assert_reset_and_prune_match('ghostnet_050', prune_to=[0])


def test_checkpoint_filter_matches_timm():
    from timm.models.ghostnet import checkpoint_filter_fn as timm_filter
    from zoo.models.ghostnet import checkpoint_filter_fn
    with torch.device('meta'):
        ours = zoo.create_model('ghostnetv3_050')
    official = {k.replace('bn1.', 'bn.') if ('.ghost' in k or '.dw_rpr_' in k) else k: v
                for k, v in ours.state_dict().items()}
    official['total_ops'] = torch.zeros(1)
    got = checkpoint_filter_fn({'state_dict': dict(official)}, ours)
    assert sorted(got) == sorted(timm_filter({'state_dict': dict(official)}, None)) == sorted(ours.state_dict())


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('ghostnet_050', num_classes=3, drop_rate=0.)
    assert_checkpointing_keeps_gradients(model, image(size=32))
