"""iFormer: parity with timm 1.0.31, the reference oracle, plus folding, the distilled head, the API and the filter.

Default run: shallow builds (every block form: conv blocks before / after the attention groups, position conv, SHMA,
FFN; layer scale; the distillation head) at 64 px; folding keeps the outputs and gives timm's `fuse()` layout; an
original-release checkpoint maps to timm's keys. `-m slow`: every name at 64 px, grad checkpointing.
"""
from typing import Dict

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _mobile_checks import assert_distilled_heads_match
from _parity import assert_outputs_close, assert_parity, fill_random_, timm

import zoo  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402
from zoo.models._key_rules import rename_keys  # noqa: E402
from zoo.models.iformer import checkpoint_filter_fn  # noqa: E402

MODULE = 'iformer'
NAMES = zoo.list_models(module=MODULE)
# a conv block before and after the attention group of stage 3, attention groups only in stage 4
SHALLOW = dict(depths=(1, 1, 5, 3), attn_groups=(0, 0, 1, 1))
DEFAULT = {'iformer_t': SHALLOW, 'iformer_m_distilled': dict(SHALLOW, layer_scale_init_value=1e-6)}


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 9


@pytest.mark.parametrize('name', list(DEFAULT))
def test_parity_shallow(name):
    assert_parity(name, img_size=(64, 64), **DEFAULT[name])


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.fixture(scope='module')
def pair():
    kwargs = DEFAULT['iformer_m_distilled']
    ref = fill_random_(timm.create_model('iformer_m_distilled', **kwargs)).eval()
    ours = zoo.create_model('iformer_m_distilled', **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_fold_keeps_outputs_and_loads_into_timm_fused(pair):
    ref, ours = pair
    x = image()
    with torch.inference_mode():
        expected = ours(x)
    folded = reparameterize_model(ours)
    assert not any(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)) for m in folded.modules())
    assert isinstance(folded.head, torch.nn.Linear)  # both heads averaged into one
    fused_ref = timm.create_model('iformer_m_distilled', **DEFAULT['iformer_m_distilled']).eval().fuse()
    fused_ref.load_state_dict(folded.state_dict(), strict=True)
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, name='folded')
        assert_outputs_close(fused_ref(x), expected, name='timm fused')
        assert_outputs_close(expected, ref(x), name='unfolded vs timm')


def test_distillation_head(pair):
    ref, ours = pair
    assert_distilled_heads_match(ours, ref, image())


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert ours.no_weight_decay() == ref.no_weight_decay()
    assert_reset_and_prune_match('iformer_t', **SHALLOW)
    with torch.device('meta'):
        models = [zoo.create_model('iformer_t', **SHALLOW), timm.create_model('iformer_t', **SHALLOW)]
    for m in models:
        m.reset_classifier(7, distillation=True)
    assert {k: v.shape for k, v in models[0].state_dict().items()} == \
        {k: v.shape for k, v in models[1].state_dict().items()}
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('iformer_t', global_pool='max')
    with pytest.raises(ValueError, match='attention groups'):
        zoo.create_model('iformer_t', depths=(2, 2, 4, 6))


def _to_original(state_dict: Dict[str, torch.Tensor]) -> Dict[str, Dict[str, torch.Tensor]]:
    """timm's layout -> the layout of the iFormer release files, wrapped in {'model': ...}."""
    rules = (
        (r'^head\.head_dist\.', 'classifier.classifier_dist.'),
        (r'^head\.head\.', 'classifier.classifier.'),
        (r'^stem\.conv1\.', 'downsample_layers.0.0.'),
        (r'^stem\.conv2\.', 'downsample_layers.0.2.conv_exp_bn1.'),
        (r'^stem\.conv3\.', 'downsample_layers.0.2.conv_pwl_bn2.'),
        (r'^stages\.(\d+)\.downsample\.', r'downsample_layers.\1.0.'),
        (r'^stages\.(\d+)\.blocks\.(\d+)\.', r'stages.\1.\2.block.'),
        (r'\.mixer\.', '.token_channel_mixer.'),
        (r'\.module\.', '.m.'),
    )
    return {'model': rename_keys(state_dict, rules)}


def test_original_checkpoint_filter_matches_timm():
    from timm.models.iformer import checkpoint_filter_fn as timm_filter
    assert_filter_matches_timm('iformer_m_distilled', checkpoint_filter_fn, timm_filter, _to_original, **SHALLOW)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('iformer_t', num_classes=3, **SHALLOW)
    assert_checkpointing_keeps_gradients(model, image(size=32))
