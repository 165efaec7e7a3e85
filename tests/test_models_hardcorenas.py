"""HardCoRe-NAS A-F (MobileNetV3 models from a searched table): parity with timm 1.0.31, the oracle.

Every variant uses the same block types (MBConv with / without SE, ReLU then hard-swish stages), so the default run
checks variant A at 64 px; `-m slow` runs all six at 224 px.
"""
import pytest
import torch

import zoo
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

NAMES = zoo.list_models(module='hardcorenas')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='hardcorenas')) and len(NAMES) == 6


def test_parity_and_features_sample():
    assert_parity('hardcorenas_a', img_size=(64, 64), batch_size=1)
    assert_feature_info_parity('hardcorenas_a')


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native_size(name):
    assert_parity(name, batch_size=1)
    assert_feature_info_parity(name)


@pytest.mark.slow
def test_searched_choices_build_the_published_blocks():
    """The choice table decodes to the blocks timm builds: kernel, expansion width, SE, activation per block."""
    for name in NAMES:
        with torch.device('meta'):
            ours, ref = zoo.create_model(name), timm.create_model(name)
        for stage, ref_stage in zip(ours.blocks[1:6], ref.blocks[1:6]):
            assert [(b.conv_dw.kernel_size, b.conv_pw.out_channels, type(b.se).__name__, type(b.bn1.act).__name__)
                    for b in stage] == \
                   [(b.conv_dw.kernel_size, b.conv_pw.out_channels, type(b.se).__name__, type(b.bn1.act).__name__)
                    for b in ref_stage], name


def test_features_only_values_match_timm():
    ref = fill_random_(timm.create_model('hardcorenas_a')).eval()
    ref_feats = timm.create_model('hardcorenas_a', features_only=True).eval()
    ref_feats.load_state_dict(ref.state_dict(), strict=False)
    feats = zoo.create_model('hardcorenas_a', features_only=True, pretrained=True,
                             pretrained_cfg_overlay=dict(state_dict=ref.state_dict())).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours, theirs = feats(x), ref_feats(x)
    assert len(ours) == len(theirs) == 5
    for a, b in zip(ours, theirs):
        assert_outputs_close(a, b)
