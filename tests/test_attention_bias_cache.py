"""The eval-mode cache of gathered offset biases (`zoo.layers.gather_offset_bias`).

Used by TinyViT, LeViT, EfficientViT-M and EfficientFormer (v1, v2).

The cache must be invisible: whatever happens to the model between calls (weights loaded, a parameter edited in
place, a dtype move, a new input size, training), an inference call gives what the uncached gather gives. The
reference is the same model run with autograd on, where the cache is never used.
"""
import pytest
import torch
from torch import nn

import zoo
from zoo.layers import abs_offset_bias_index, gather_offset_bias


class _Owner(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_biases = nn.Parameter(torch.randn(2, 9, generator=torch.Generator().manual_seed(0)))
        self.register_buffer('attention_bias_idxs', abs_offset_bias_index((3, 3)), persistent=False)

    def forward(self) -> torch.Tensor:
        return gather_offset_bias(self, self.attention_biases, self.attention_bias_idxs)


def test_gather_is_reused_only_while_the_table_is_unchanged():
    owner = _Owner().eval()
    with torch.no_grad():
        first = owner()
        assert owner() is first
        assert torch.equal(first, owner.attention_biases[:, owner.attention_bias_idxs])
        owner.attention_biases.add_(1.0)  # what load_state_dict and optimizer steps do
        edited = owner()
    assert edited is not first
    assert torch.equal(edited, first + 1.0)

    owner.attention_biases = nn.Parameter(torch.zeros(2, 9))  # a replaced parameter (set_input_size)
    with torch.no_grad():
        assert torch.equal(owner(), torch.zeros(2, 9, 9))
    owner.double()
    with torch.no_grad():
        assert owner().dtype == torch.float64


def test_gradients_reach_the_table_whenever_autograd_is_on():
    owner = _Owner()
    for training in (True, False):
        owner.train(training)
        with torch.no_grad():
            owner()  # fills the cache in eval mode
        owner.attention_biases.grad = None
        owner().sum().backward()
        # every (dy, dx) offset of a 3x3 grid occurs a known number of times in the 9x9 index
        counts = torch.bincount(owner.attention_bias_idxs.flatten(), minlength=9).float()
        assert torch.equal(owner.attention_biases.grad, counts.expand(2, 9))


def test_a_trace_keeps_the_gather_in_the_graph():
    owner = _Owner().eval()
    with torch.no_grad():
        owner()
        traced = torch.jit.trace(owner, ())
        owner.attention_biases.mul_(2.0)
        assert torch.equal(traced(), owner.attention_biases[:, owner.attention_bias_idxs])


def _uncached(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.enable_grad():
        return model(x).detach()


@pytest.mark.parametrize('name,size', [('tiny_vit_5m_224', 112), ('levit_128s', 224), ('efficientvit_m0', 224),
                                       ('efficientformer_l1', 224), ('efficientformerv2_s0', 224)])
def test_cached_inference_follows_every_change_to_the_model(name: str, size: int):
    model = zoo.create_model(name).eval()
    other = zoo.create_model(name).eval()
    for m in (model, other):
        for key, p in m.named_parameters():
            if key.endswith('attention_biases'):
                nn.init.normal_(p)
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        model(x)  # fills the caches
        model.load_state_dict(other.state_dict())
        torch.testing.assert_close(model(x), _uncached(other, x), rtol=0, atol=0)
        model.double()
        torch.testing.assert_close(model(x.double()), _uncached(model, x.double()), rtol=0, atol=0)
        model.float()
        if hasattr(model, 'set_input_size') and name.startswith('efficientvit'):
            model.set_input_size((160, 160))
            x = x[..., :160, :160].contiguous()
        torch.testing.assert_close(model(x), _uncached(model, x), rtol=0, atol=0)
