"""CSATv2: parity with timm 1.0.31, the reference oracle, plus the DCT stem, the head API and the official checkpoint
filter.

Default run: a narrow model with every block kind (DCT stem, spatial-attention ConvNeXt V2 blocks, transformer
blocks, downsampling convs, stage norms) at 64 x 96 px and batch 3 (timm's spatial transformer mixes the batch);
intermediates / pruning / features_only. `-m slow`: both names at 128 px, grad checkpointing.
"""
import math
import re

import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, image
from _efficient_checks import assert_api_matches, small_pair
from _parity import assert_outputs_close, assert_parity, timm

import zoo  # noqa: E402
from zoo.models.csatv2 import checkpoint_filter_fn, dct_matrix, zigzag_order

MODULE = 'csatv2'
NAMES = zoo.list_models(module=MODULE)
SMALL = dict(dims=(16, 24, 32, 48), depths=(1, 1, 2, 2), transformer_depths=(0, 0, 1, 1))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 2


def test_parity_default():
    assert_parity('csatv2', img_size=(64, 96), batch_size=3, **SMALL)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=2)


def test_dct_basis_and_zigzag():
    # orthonormal: C C^T = I, and row 0 is the constant 1/sqrt(n)
    c = dct_matrix(8)
    torch.testing.assert_close(c @ c.t(), torch.eye(8), atol=1e-6, rtol=0)
    torch.testing.assert_close(c[0], torch.full((8,), 1 / math.sqrt(8)))
    assert zigzag_order(8)[:10] == [0, 1, 8, 16, 9, 2, 3, 10, 17, 24] and sorted(zigzag_order(8)) == list(range(64))


def test_intermediates_head_and_pruning():
    ours, ref = small_pair('csatv2', SMALL)
    x = image()
    assert_api_matches('csatv2', ours, ref, x, [0, 2], **SMALL)
    with torch.inference_mode():  # batch 1: the spatial transformer's attention returns its values
        assert_outputs_close(ours(x[:1]), ref(x[:1]), name='batch 1')
    for kwargs, match in ((dict(in_chans=1), 'in_chans'), (dict(dims=(20, 24, 32, 48)), 'multiple of 8'),
                          (dict(transformer_depths=(0, 0, 3, 1)), 'transformer_depths')):
        with pytest.raises(ValueError, match=match):
            zoo.create_model('csatv2', **{**SMALL, **kwargs})
    with pytest.raises(ValueError, match='multiple of 8'):
        ours(torch.randn(1, 3, 60, 64))


def _to_official(model: torch.nn.Module) -> dict:
    """zoo's layout -> the names of the official release (downsampling conv at the end of the previous stage)."""
    out = {}
    for k, v in model.state_dict().items():
        m = re.match(r'^stages\.(\d)\.(\d+)\.(.*)$', k)
        if m:
            s, i, rest = int(m.group(1)), int(m.group(2)), m.group(3)
            if s > 0 and i == 0:
                k = f'stages{s}.{len(model.stages[s - 1]) - (s > 1)}.{rest}'
            else:
                k = f'stages{s + 1}.{i - (s > 0)}.{rest}'
        k = re.sub(r'^stem_dct\.', 'dct.', k).replace('.conv_y.', '.Y_Conv.').replace('.conv_cb.', '.Cb_Conv.')
        k = k.replace('.conv_cr.', '.Cr_Conv.').replace('.norm1.', '.attn_norm.').replace('.norm2.', '.ff_norm.')
        k = k.replace('.mlp.fc1.', '.ff.net.0.').replace('.mlp.fc2.', '.ff.net.3.')
        if '.attn.attn.' in k:
            k = k.replace('.attn.attn.qkv.', '.attention.attention.attn.to_qkv.')
            k = k.replace('.attn.attn.', '.attention.attention.attn.')
        else:
            k = k.replace('.attn.conv.', '.attention.conv.').replace('.attn.qkv.', '.attn.to_qkv.')
            k = k.replace('.attn.proj.', '.attn.to_out.0.').replace('.pos_embed.', '.attn.pos_embed.')
        if k.endswith(('.grn.weight', '.grn.bias')):
            k, v = k.replace('.grn.weight', '.grn.gamma').replace('.grn.bias', '.grn.beta'), v.view(1, 1, 1, -1)
        k = re.sub(r'^head\.fc\.', 'head.', re.sub(r'^head\.norm\.', 'norm.', k))
        out[k] = v
    return out


def test_official_checkpoint_filter():
    from timm.models.csatv2 import checkpoint_filter_fn as timm_filter
    with torch.device('meta'):
        ours, ref = zoo.create_model('csatv2'), timm.create_model('csatv2')
    official = _to_official(ours)
    assert 'stages1.3.weight' in official and 'dct.Y_Conv.weight' in official
    got, want = checkpoint_filter_fn(dict(official), ours), timm_filter(dict(official), ref)
    assert sorted(got) == sorted(want) == sorted(ours.state_dict())
    assert all(got[k].shape == want[k].shape for k in want)


@pytest.mark.slow
def test_official_checkpoint_filter_other_depths():
    # the stage lengths come from the model, so a model of another depth maps too (timm's filter is fixed to csatv2)
    with torch.device('meta'):
        big = zoo.create_model('csatv2_21m')
    assert sorted(checkpoint_filter_fn(_to_official(big), big)) == sorted(big.state_dict())


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('csatv2', num_classes=3, **SMALL)
    assert_checkpointing_keeps_gradients(model, image(size=64))
