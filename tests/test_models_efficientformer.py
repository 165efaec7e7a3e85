"""EfficientFormer: parity with timm 1.0.31, the reference oracle, plus the distilled heads, the official-checkpoint
filter and the model API.

The models are built for 224 px (the attention biases cover a 7 x 7 grid), so the default run checks efficientformer_l1
with one block per stage (4D blocks, the flattening and a 3D attention block all run) at 224 px; distillation heads in
training, intermediates with the token level laid out as a map, head reset / pruning, no_weight_decay; the official
release layout maps to timm's keys. `-m slow`: every name at full depth.
"""
import re

import pytest

from _api_checks import assert_filter_matches_timm, assert_intermediates_match, assert_reset_and_prune_match, image
from _mobile_checks import assert_distilled_heads_match, assert_head_and_norm_api_match
from _parity import assert_parity, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'efficientformer'
NAMES = zoo.list_models(module=MODULE)
SHALLOW = dict(depths=(1, 1, 1, 2))  # the last stage: one 4D block, then Flat and one attention block


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 3


def test_parity_shallow():
    assert_parity('efficientformer_l1', batch_size=1, **SHALLOW)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, batch_size=1)


@pytest.fixture(scope='module')
def pair():
    ref = fill_random_(timm.create_model('efficientformer_l1', **SHALLOW)).eval()
    ours = zoo.create_model('efficientformer_l1', **SHALLOW).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_distillation_heads(pair):
    ref, ours = pair
    assert_distilled_heads_match(ours, ref, image(size=224))


def test_intermediates_and_head(pair):
    ref, ours = pair
    x = image(size=224)
    assert_intermediates_match(ours, ref, x, [1, 3])
    assert_head_and_norm_api_match(ours, ref, x)
    assert_reset_and_prune_match('efficientformer_l1')
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('efficientformer_l1', global_pool='max')


def _to_official(state_dict):
    """timm's layout -> the snap-research release layout (one `network` list alternating stages and downsampling)."""
    stem = {'conv1': 0, 'norm1': 1, 'conv2': 3, 'norm2': 4}
    out = {}
    for k, v in state_dict.items():
        k = re.sub(r'^stem\.(\w+)\.', lambda m: f'patch_embed.{stem[m.group(1)]}.', k)
        k = re.sub(r'^stages\.(\d+)\.downsample\.conv\.', lambda m: f'network.{2 * int(m.group(1)) - 1}.proj.', k)
        k = re.sub(r'^stages\.(\d+)\.downsample\.norm\.', lambda m: f'network.{2 * int(m.group(1)) - 1}.norm.', k)
        k = re.sub(r'^stages\.(\d+)\.blocks\.', lambda m: f'network.{2 * int(m.group(1))}.', k)
        k = re.sub(r'ls(\d)\.gamma', r'layer_scale_\1', k)
        out[k.replace('head_dist', 'dist_head')] = v
    return out


def test_official_checkpoint_filter():
    from timm.models.efficientformer import checkpoint_filter_fn as timm_filter
    from zoo.models.efficientformer import checkpoint_filter_fn
    assert_filter_matches_timm('efficientformer_l1', checkpoint_filter_fn, timm_filter, _to_official)
