"""PP-LCNetV2: parity with timm 1.0.31 (the oracle), and re-parameterisation of the multi-kernel depthwise convs.

Default run: lcnetv2_small at 64 px (every block form: plain, split pointwise, SE, multi-kernel strided and
unstrided, residual) and the folding; `-m slow`: all three at 224 px.
"""
import pytest
import torch
import torch.nn as nn

import zoo
from _grad_checks import assert_grad_checkpointing_exact
from _parity import assert_feature_info_parity, assert_outputs_close, assert_parity, fill_random_, timm

NAMES = zoo.list_models(module='lcnetv2')


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='lcnetv2')) and len(NAMES) == 3


def test_parity_and_features_sample():
    assert_parity('lcnetv2_small', img_size=(64, 64), batch_size=2)
    assert_feature_info_parity('lcnetv2_small')


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_native_size(name):
    assert_parity(name, batch_size=1)
    assert_feature_info_parity(name)


def _reparameterize(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if hasattr(m, 'reparameterize'):
            m.reparameterize()
    return model


def test_reparameterize_keeps_outputs_and_matches_timm():
    from timm.utils.model import reparameterize_model
    ref = fill_random_(timm.create_model('lcnetv2_small')).eval()
    ours = zoo.create_model('lcnetv2_small').eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 64, 72)
    with torch.no_grad():
        before = ours(x)
        _reparameterize(ours)
        after = ours(x)
    assert_outputs_close(after, before)
    # every multi-kernel branch set became one conv with a bias, with timm's keys
    assert not any('dw_conv_list' in k for k in ours.state_dict())
    ref = reparameterize_model(ref)
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())
    with torch.no_grad():
        assert_outputs_close(after, ref(x))
    # a folded checkpoint loads strictly into a model built folded
    folded = zoo.create_model('lcnetv2_small', inference_mode=True).eval()
    folded.load_state_dict(ref.state_dict(), strict=True)
    with torch.no_grad():
        assert_outputs_close(folded(x), ref(x))


def test_head_and_api_match_timm():
    ref = fill_random_(timm.create_model('lcnetv2_small')).eval()
    ours = zoo.create_model('lcnetv2_small').eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        final, inter = ours.forward_intermediates(x)
        ref_final, ref_inter = ref.forward_intermediates(x)
        assert_outputs_close(final, ref_final)
        for a, b in zip(inter, ref_inter):
            assert_outputs_close(a, b)
        assert_outputs_close(ours.forward_head(final, pre_logits=True), ref.forward_head(ref_final, pre_logits=True))
    assert ours.group_matcher() == ref.group_matcher() and ours.group_matcher(True) == ref.group_matcher(True)
    assert ours.prune_intermediate_layers((1, 2)) == ref.prune_intermediate_layers((1, 2)) == [1, 2]
    assert ours.num_features == ref.num_features and ours.head_hidden_size == ref.head_hidden_size
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='pooled width'):
        zoo.create_model('lcnetv2_small', global_pool='catavgmax')
    headless = zoo.create_model('lcnetv2_small', head_hidden_size=0, num_classes=3)
    assert isinstance(headless.conv_head, nn.Identity) and headless.classifier.in_features == headless.num_features


def test_grad_checkpointing_same_output_and_grads():
    assert_grad_checkpointing_exact(zoo.create_model('lcnetv2_small', num_classes=4), torch.randn(2, 3, 48, 48))