"""MLP-Mixer, ResMLP, gMLP (mlp_mixer module) checked against timm (the reference oracle).

Every name: meta-device layout (keys, shapes, parameter count) and pretrained cfgs. Output parity at 64 px
(token mixing then acts on 16 or 4 patches) for the smaller names; the large ones and full-size runs are `slow`.
timm's MLP factories do not accept a depth override, so depth stays as registered.
"""

import pytest
import torch
import torch.nn as nn

from _parity import assert_feature_info_parity, assert_layout_parity_meta, timm
from _parity import assert_outputs_close as _assert_close
from _parity import assert_parity_meta_built as _parity
from _parity import build_pair_meta as _build_pair

import zoo

NAMES = zoo.list_models(module='mlp_mixer')
# ~25M params or fewer: cheap enough for the default run at 64 px
SMALL_NAMES = ['mixer_s16_224', 'mixer_s32_224', 'gmixer_12_224', 'resmlp_12_224', 'gmlp_ti16_224', 'gmlp_s16_224']
BIG_NAMES = [n for n in NAMES if n not in SMALL_NAMES]


def test_registered_names():
    expected = {f'mixer_{s}_224' for s in ('s16', 's32', 'b16', 'b32', 'l16', 'l32')}
    expected |= {f'resmlp_{d}_224' for d in ('12', '24', '36', 'big_24')}
    expected |= {f'gmlp_{s}16_224' for s in ('ti', 's', 'b')}
    assert expected <= set(NAMES)
    assert set(NAMES) <= set(timm.list_models())


@pytest.mark.parametrize('name', NAMES)
def test_layout_meta(name: str):
    assert_layout_parity_meta(name)


@pytest.mark.parametrize('name', SMALL_NAMES)
def test_parity_reduced(name: str):
    _parity(name, 64, img_size=64)


@pytest.mark.slow
@pytest.mark.parametrize('name', BIG_NAMES)
def test_parity_reduced_big(name: str):
    _parity(name, 64, img_size=64)


def test_parity_full_size_gmlp_ti():
    # full size: 196 tokens through the spatial gating units
    _parity('gmlp_ti16_224', 224, batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', ['mixer_b16_224', 'resmlp_12_224', 'gmixer_12_224', 'resmlp_big_24_224'])
def test_parity_full_size(name: str):
    _parity(name, 224, batch_size=1)


def test_features_and_intermediates_match_timm():
    assert_feature_info_parity('mixer_s32_224')
    assert_feature_info_parity('resmlp_12_224', out_indices=(1, 5))
    ref, ours = _build_pair('resmlp_12_224', img_size=64)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0, 5], norm=True), dict(indices=2, output_fmt='NLC')):
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            final, inter = ours.forward_intermediates(x, **kwargs)
            _assert_close(final, final_ref)
            assert len(inter) == len(inter_ref)
            for o, r in zip(inter, inter_ref):
                _assert_close(o, r)
        only = ours.forward_intermediates(x, indices=[3], intermediates_only=True)
        assert only[0].shape == (2, 384, 4, 4)
        _assert_close(only[0], ref.forward_intermediates(x, indices=[3])[1][0])
        before = ours.forward_intermediates(x, indices=[1, 3], intermediates_only=True)
        assert ours.prune_intermediate_layers([1, 3], prune_norm=True) == [1, 3]
        after = ours.forward_intermediates(x, indices=[1, 3], intermediates_only=True)
    assert len(ours.blocks) == 4 and isinstance(ours.head, nn.Identity)
    for b, a in zip(before, after):
        torch.testing.assert_close(a, b)
    features = zoo.create_model('gmlp_ti16_224', features_only=True, img_size=64)
    out = features(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in out] == [(1, 128, 4, 4)] * 3


def test_facebook_resmlp_layout_is_converted():
    """The facebookresearch/deit ResMLP checkpoints (patch_embed / attn / mlp / gamma_N, flat affines) load."""
    ref, _ = _build_pair('resmlp_12_224', img_size=32)
    fb = {}
    for key, value in ref.state_dict().items():
        key = key.replace('stem.', 'patch_embed.').replace('linear_tokens.', 'attn.').replace('mlp_channels.', 'mlp.')
        key = key.replace('.ls1', '.gamma_1').replace('.ls2', '.gamma_2')
        fb[key] = value.flatten() if key.endswith(('.alpha', '.beta')) else value
    from zoo.models.mlp_mixer import checkpoint_filter_fn
    ours = zoo.create_model('resmlp_12_224', img_size=32).eval()
    ours.load_state_dict(checkpoint_filter_fn(fb, ours), strict=True)
    x = torch.randn(1, 3, 32, 32)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))


def test_init_and_training_paths():
    # built normally (random init runs), trained a step with checkpointing and stochastic depth
    model = zoo.create_model('gmlp_ti16_224', img_size=32, drop_path_rate=0.1, num_classes=3)
    gate = model.blocks[0].mlp_channels.gate
    assert torch.all(gate.proj.bias == 1) and gate.proj.weight.abs().max() < 1e-4
    assert torch.all(model.head.weight == 0)
    resmlp = zoo.create_model('resmlp_24_224', img_size=32)
    assert torch.all(resmlp.blocks[0].ls1 == 1e-5)
    model.set_grad_checkpointing(True)
    out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 3)
    out.sum().backward()
    assert model.blocks[0].mlp_channels.fc1.weight.grad is not None
    assert model.no_weight_decay() == set()
    model.reset_classifier(0)
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 128)
    with pytest.raises(ValueError):
        model.reset_classifier(10, 'token')
