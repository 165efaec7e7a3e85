"""CPUBone: parity with timm 1.0.31, the reference oracle, plus the head options, the API and the checkpoint filter.

Default run: cpubone_nano with a narrow head at 80x72 px (an odd map before the strided attention, so the 2x2
projection pads and the upsampling crops) in the released form (fused blocks, 2x2 kernels, nearest upsampling) and
in the other form (unfused blocks, 'all'-norm local MBConvs, 5x5 / 3x3 kernels, transposed-conv upsampling);
per-position logits without pooling; intermediates, head reset / pruning, group_matcher; a paper-code checkpoint maps
to timm's keys and values. `-m slow`: every name at 64 px, grad checkpointing.
"""
import re
from typing import Dict

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models.cpubone import checkpoint_filter_fn  # noqa: E402

MODULE = 'cpubone'
NAMES = zoo.list_models(module=MODULE)
NARROW = dict(head_widths=(64, 96))
FORMS = {
    'released': NARROW,
    'unfused': dict(NARROW, fused_conv=False, fused_downsample=False, local_mbconv_norm='all', small_kernels=False,
                    attn_upsample='transpose'),
    'no_pool': dict(NARROW, global_pool=''),
}


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 9


@pytest.mark.parametrize('form', list(FORMS))
def test_parity_nano(form):
    assert_parity('cpubone_nano', img_size=(80, 72), **FORMS[form])


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('cpubone_nano', **NARROW)).eval()
    ours = zoo.create_model('cpubone_nano', **NARROW).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.get_classifier() is ours.head.classifier
    assert_reset_and_prune_match('cpubone_nano', **NARROW)
    for m in (ref, ours):
        m.reset_classifier(5, reset_other=True)  # the head without its conv and hidden layer
    assert ours.head_hidden_size == ref.head_hidden_size == 192
    ours.head.classifier.load_state_dict(ref.head.classifier.state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='reset_other')
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('cpubone_nano', global_pool='max')
    with pytest.raises(ValueError, match='local_mbconv_norm'):
        zoo.create_model('cpubone_nano', local_mbconv_norm='none')


def _to_paper_layout(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm's layout -> the paper code's, whose 'all'-norm expand / depthwise convs also carry a bias (here a
    random one, which the filter folds into the norm's running mean)."""
    rules = (
        (r'\.conv_proj\.conv\.', '.conv_proj.0.'),
        (r'\.conv_proj\.norm\.', '.conv_proj.1.'),
        (r'\.pwise\.', '.pwise.0.'),
        (r'^head\.in_conv\.', 'head.op_list.0.'),
        (r'^head\.pre_classifier\.', 'head.op_list.2.'),
        (r'^head\.classifier\.', 'head.op_list.3.'),
        (r'^stem\.', 'backbone.input_stem.op_list.'),
        (r'^stages\.(\d+)\.', r'backbone.stages.\1.op_list.'),
    )
    out = {}
    gen = torch.Generator().manual_seed(3)
    for key, value in state_dict.items():
        conv = re.match(r'^(.*\.(inverted_conv|depth_conv)\.conv(\.1)?)\.weight$', key)
        new = key
        for pattern, repl in rules:
            new = re.sub(pattern, repl, new)
        out[new] = value
        if conv and re.sub(r'\.conv(\.1)?$', '.norm.running_mean', conv.group(1)) in state_dict:
            bias = torch.randn(value.shape[0], generator=gen) if value.device.type != 'meta' else \
                torch.empty(value.shape[0], device='meta')
            out[new[:-len('weight')] + 'bias'] = bias
    return out


def test_paper_checkpoint_filter_matches_timm():
    from timm.models.cpubone import checkpoint_filter_fn as timm_filter
    # stage 4 of b0 is 256 wide: unfused 'all'-norm local MBConvs with 2x2 (padded) depthwise convs
    assert_filter_matches_timm('cpubone_b0_bfrobust', checkpoint_filter_fn, timm_filter, _to_paper_layout)
    kwargs = dict(FORMS['unfused'], small_kernels=True)
    ref = fill_random_(timm.create_model('cpubone_nano', **kwargs))
    ours = zoo.create_model('cpubone_nano', **kwargs)
    paper = _to_paper_layout(ref.state_dict())
    assert any(k.endswith('inverted_conv.conv.bias') for k in paper)
    got, want = checkpoint_filter_fn(dict(paper), ours), timm_filter(dict(paper), ref)
    assert sorted(got) == sorted(want) == sorted(ref.state_dict())
    assert any(k.endswith('depth_conv.conv.1.weight') for k in got)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=0, atol=0)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('cpubone_nano', num_classes=3, proj_drop_rate=0., **NARROW)
    assert_checkpointing_keeps_gradients(model, image(size=64))
