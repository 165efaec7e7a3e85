"""Eval-time BatchNorm folding: outputs unchanged, norms gone, clear errors."""
import pytest
import torch
import torch.nn as nn

import zoo
from _parity import fill_random_


@pytest.mark.parametrize('name', ['resnet50', 'resnet26d', 'seresnext26t_32x4d', 'ecaresnet26t'])
def test_fuse_bn_keeps_outputs(name):
    model = fill_random_(zoo.create_model(name)).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        zoo.models.fuse_bn(model)
        out = model(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert (out - ref).abs().max().item() <= 1e-4 * max(1., ref.abs().max().item())


def test_fold_math_single_pair():
    conv, bn = nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4)
    fill_random_(bn)
    bn.eval()
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        ref = bn(conv(x))
        zoo.models.fold_bn_into_conv(conv, bn)
        assert torch.allclose(conv(x), ref, atol=1e-5)


def test_fuse_needs_eval_mode():
    with pytest.raises(RuntimeError, match='eval'):
        zoo.models.fuse_bn(zoo.create_model('resnet10t'))
