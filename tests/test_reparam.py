"""Structural re-parameterisation: folded models compute what the multi-branch ones do (eval mode, random weights),
their weights are timm's folded weights, and the folding helpers do the documented algebra."""
import logging

import pytest
import torch
import torch.nn as nn

from _parity import assert_outputs_close, fill_random_, timm

import zoo  # noqa: E402
from zoo.layers import ConvNormAct  # noqa: E402
from zoo.models import reparameterize_model  # noqa: E402
from zoo.models._reparam import fuse_conv_bn, identity_kernel, pad_kernel  # noqa: E402
from zoo.models.byobnet import LayerFn, MobileOneBlock, RepVggBlock  # noqa: E402


def _random_model(name: str, **kwargs) -> nn.Module:
    return fill_random_(zoo.create_model(name, **kwargs)).eval()


def _branch_modules(model: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


@pytest.mark.parametrize('name,kwargs', [
    ('repvgg_a0', {}),
    ('repvgg_b1g4', dict(width_factor=0.25)),  # grouped convs on every other block
    ('repvgg_d2se', dict(width_factor=0.25)),  # SE after the folded conv, SE in the stem
    ('mobileone_s0', {}),  # 4 conv branches, depthwise and pointwise blocks
    ('mobileone_s4', dict(width_factor=0.5)),
    ('repvgg_a0', dict(output_stride=8)),  # dilated kxk convs
    ('mobileone_s1', dict(output_stride=16, width_factor=0.5)),
], ids=['repvgg_a0', 'repvgg_b1g4', 'repvgg_d2se', 'mobileone_s0', 'mobileone_s4', 'repvgg_a0_os8',
        'mobileone_s1_os16'])
def test_reparameterized_model_keeps_outputs(name, kwargs):
    model = _random_model(name, **kwargs)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        expected = model(x)
    folded = reparameterize_model(model)
    assert folded is not model and _branch_modules(model) > 0  # the original keeps its branches
    assert _branch_modules(folded) == 0
    assert sum(p.numel() for p in folded.parameters()) < sum(p.numel() for p in model.parameters())
    with torch.inference_mode():
        assert_outputs_close(folded(x), expected, atol=1e-4, name=name)


@pytest.mark.parametrize('name', ['repvgg_a0', 'mobileone_s0'])
def test_folded_weights_equal_timms(name):
    """zoo's folded model has timm's folded layout, and timm's folded model computes the same with zoo's weights."""
    from timm.utils.model import reparameterize_model as timm_reparameterize
    ours = _random_model(name)
    ref = timm.create_model(name).eval()
    ref.load_state_dict(ours.state_dict(), strict=True)
    ours, ref = reparameterize_model(ours), timm_reparameterize(ref)
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_inplace_and_idempotent():
    model = _random_model('repvgg_a0')
    x = torch.randn(1, 3, 32, 32)
    with torch.inference_mode():
        expected = model(x)
    assert reparameterize_model(model, inplace=True) is model
    assert _branch_modules(model) == 0
    keys = set(model.state_dict())
    reparameterize_model(model, inplace=True)  # already folded: nothing changes
    assert set(model.state_dict()) == keys
    with torch.inference_mode():
        assert_outputs_close(model(x), expected)


@pytest.mark.parametrize('block_cls,kwargs', [
    (RepVggBlock, dict(group_size=4)),
    (RepVggBlock, dict(stride=2, kernel_size=5)),
    (MobileOneBlock, dict(num_conv_branches=3)),
    (MobileOneBlock, dict(kernel_size=1)),  # pointwise: no scale branch, identity folded into a 1x1 kernel
    (MobileOneBlock, dict(group_size=1, dilation=(2, 2))),
], ids=['repvgg_grouped', 'repvgg_stride2_k5', 'mobileone_3branches', 'mobileone_1x1', 'mobileone_dw_dilated'])
def test_block_reparameterize_and_inference_mode(block_cls, kwargs):
    block = fill_random_(block_cls(16, 16, **kwargs)).eval()
    x = torch.randn(2, 16, 15, 15)
    with torch.inference_mode():
        expected = block(x)
    block.reparameterize()
    assert block.reparam_conv is not None and not hasattr(block, 'identity')
    with torch.inference_mode():
        assert_outputs_close(block(x), expected)
    # a block built in inference mode has exactly the folded layout, so folded checkpoints load into it
    deployed = block_cls(16, 16, inference_mode=True, **kwargs).eval()
    deployed.load_state_dict(block.state_dict(), strict=True)
    with torch.inference_mode():
        assert_outputs_close(deployed(x), expected)


def test_fold_helpers_math():
    conv, bn = nn.Conv2d(4, 6, 3, padding=1, bias=True), nn.BatchNorm2d(6)
    fill_random_(bn)
    fill_random_(conv)
    bn.eval()
    x = torch.randn(1, 4, 7, 7)
    kernel, bias = fuse_conv_bn(conv.weight, bn, conv.bias)
    with torch.no_grad():
        torch.testing.assert_close(nn.functional.conv2d(x, kernel, bias, padding=1), bn(conv(x)), atol=1e-5,
                                   rtol=1e-5)
    eye = identity_kernel(8, 2, (3, 3), like=kernel)
    y = torch.randn(1, 8, 5, 5)
    torch.testing.assert_close(nn.functional.conv2d(y, eye, padding=1, groups=2), y)
    one = torch.randn(6, 4, 1, 1)
    torch.testing.assert_close(nn.functional.conv2d(x, pad_kernel(one, (3, 3)), padding=1),
                               nn.functional.conv2d(x, one))
    with pytest.raises(ValueError, match='Cannot centre'):
        pad_kernel(torch.zeros(1, 1, 2, 2), (3, 3))


class _FuseToIdentity(nn.Module):
    """A module that declares its inference form through `fuse()`."""

    def forward(self, x):
        return x * 1.0

    def fuse(self) -> nn.Module:
        return nn.Identity()


def test_fuse_protocol_and_training_warning(caplog):
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.Sequential(_FuseToIdentity()))
    with caplog.at_level(logging.WARNING, logger='zoo.models._reparam'):
        folded = reparameterize_model(model)
    assert isinstance(folded[1][0], nn.Identity) and isinstance(model[1][0], _FuseToIdentity)
    assert 'training mode' in caplog.text


def test_non_batchnorm_branches_are_refused():
    layers = LayerFn(conv_norm_act=lambda *a, **k: ConvNormAct(*a, norm_layer='groupnorm', **k))
    block = RepVggBlock(32, 64, stride=2, layers=layers).eval()
    with pytest.raises(RuntimeError, match='not a BatchNorm'):
        block.reparameterize()
