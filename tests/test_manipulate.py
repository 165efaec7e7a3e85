"""Activation checkpointing written once: `CheckpointSequential` and the `checkpoint_flag` property over it."""
from typing import List

import pytest
import torch
import torch.nn as nn

from zoo.models._base import Trunk, ZooModel
from zoo.models._manipulate import CheckpointSequential, checkpoint_flag, maybe_checkpoint, run_sequence


class _Counted(nn.Module):
    """y = tanh(W x): counts its forward calls, so a recomputation in backward shows."""

    def __init__(self, dim: int):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.tanh(self.fc(x))


class _Stage(nn.Module):
    grad_checkpointing = checkpoint_flag('blocks')

    def __init__(self, dim: int, depth: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.blocks = CheckpointSequential(*[_Counted(dim) for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.norm(x))


class _Net(ZooModel):
    """Two stages in a plain container; the model-level flag stands for the checkpointed sequences inside."""
    trunk = Trunk(levels='stages')
    classifier_name = 'fc'
    grad_checkpointing = checkpoint_flag('flat')

    def __init__(self, dim: int = 8):
        super().__init__()
        self.stages = nn.Sequential(_Stage(dim, 2), _Stage(dim, 3))
        self.flat = nn.Sequential(CheckpointSequential(_Counted(dim)), CheckpointSequential(_Counted(dim)))
        self.fc = nn.Linear(dim, 2)
        self.num_classes, self.num_features, self.feature_info = 2, dim, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flat(self.stages(x)))


def _calls(model: nn.Module) -> List[int]:
    """Forward calls of each block since the last look."""
    counted = [m for m in model.modules() if isinstance(m, _Counted)]
    calls = [m.calls for m in counted]
    for m in counted:
        m.calls = 0
    return calls


def _grads(model: nn.Module, x: torch.Tensor) -> List[torch.Tensor]:
    model.zero_grad()
    model(x).square().sum().backward()
    return [p.grad.clone() for p in model.parameters()]


def test_flag_reads_and_writes_the_child():
    model = _Net()
    stage = model.stages[0]
    assert not stage.grad_checkpointing and not model.grad_checkpointing
    stage.grad_checkpointing = True  # what a timm user writes for one stage
    assert stage.blocks.grad_checkpointing and not model.stages[1].blocks.grad_checkpointing
    assert 'grad_checkpointing' not in vars(stage)  # the property, not a shadowing instance attribute
    stage.blocks.grad_checkpointing = False
    assert not stage.grad_checkpointing
    model.grad_checkpointing = True  # a plain container: every CheckpointSequential directly inside it
    assert all(m.grad_checkpointing for m in model.flat) and not stage.grad_checkpointing
    model.flat[0].grad_checkpointing = False
    assert not model.grad_checkpointing  # reports on only when all of them are on
    model.set_grad_checkpointing(True)
    assert all(m.grad_checkpointing for m in model.modules() if isinstance(m, CheckpointSequential))
    assert model.grad_checkpointing and all(s.grad_checkpointing for s in model.stages)
    model.set_grad_checkpointing(False)
    assert not any(m.grad_checkpointing for m in model.modules() if isinstance(m, CheckpointSequential))


def test_checkpointing_recomputes_and_keeps_gradients():
    torch.manual_seed(0)
    model = _Net()
    x = torch.randn(4, 8)
    plain = _grads(model, x)
    assert _calls(model) == [1] * 7  # one forward per block, nothing recomputed
    model.stages[1].grad_checkpointing = True
    ckpt = _grads(model, x)
    assert _calls(model) == [1, 1, 2, 2, 2, 1, 1]  # backward re-runs the checkpointed stage's blocks only
    model.set_grad_checkpointing(True)
    all_on = _grads(model, x)
    assert _calls(model) == [2] * 7
    for a, b, c in zip(plain, ckpt, all_on):
        torch.testing.assert_close(b, a, rtol=0, atol=0)
        torch.testing.assert_close(c, a, rtol=0, atol=0)
    with torch.no_grad():  # no graph, nothing to recompute
        model(x)
    assert _calls(model) == [1] * 7


def test_slice_keeps_the_switch():
    seq = CheckpointSequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2))
    seq.grad_checkpointing = True
    head = seq[:2]
    assert isinstance(head, CheckpointSequential) and head.grad_checkpointing and len(head) == 2
    assert isinstance(seq[0], nn.Linear)


def test_scripted_model_runs_the_plain_chain():
    model = _Net().eval()
    model.set_grad_checkpointing(True)
    x = torch.randn(3, 8)
    scripted = torch.jit.script(model)
    torch.testing.assert_close(scripted(x), model(x))


class _Scaled(_Counted):
    """A block that takes more than the activations: y = tanh(W x) * scale + shift."""

    def forward(self, x: torch.Tensor, scale: torch.Tensor, shift: float = 0.) -> torch.Tensor:
        return super().forward(x) * scale + shift


def test_maybe_checkpoint_passes_extra_arguments_and_recomputes():
    torch.manual_seed(0)
    block, x, scale = _Scaled(4), torch.randn(3, 4), torch.rand(4, requires_grad=True)
    grads = []
    for enabled, calls in ((False, 1), (True, 2)):
        block.zero_grad()
        scale.grad = None
        out = maybe_checkpoint(block, x, scale, enabled=enabled, shift=0.5)
        out.square().sum().backward()
        assert block.calls == calls  # enabled: backward re-ran the forward
        block.calls = 0
        grads.append([block.fc.weight.grad.clone(), scale.grad.clone()])
        torch.testing.assert_close(out, block(x, scale, shift=0.5), rtol=0, atol=0)
        block.calls = 0
    for a, b in zip(*grads):
        torch.testing.assert_close(b, a, rtol=0, atol=0)
    with torch.no_grad():  # nothing recorded, so nothing to recompute and no checkpoint
        maybe_checkpoint(block, x, scale, enabled=True)
    assert block.calls == 1


def test_run_sequence_checkpoints_each_module():
    torch.manual_seed(0)
    layers = [_Counted(4) for _ in range(3)]
    x = torch.randn(2, 4, requires_grad=True)
    grads = []
    for checkpointed, calls in ((False, 1), (True, 2)):
        x.grad = None
        run_sequence(layers, x, checkpointed).sum().backward()
        assert [m.calls for m in layers] == [calls] * 3
        for m in layers:
            m.calls = 0
        grads.append(x.grad.clone())
    torch.testing.assert_close(grads[1], grads[0], rtol=0, atol=0)


def test_flag_over_several_paths():
    class TwoStages(nn.Module):
        grad_checkpointing = checkpoint_flag('stage1', 'stage2')

        def __init__(self):
            super().__init__()
            self.stage1, self.stage2 = CheckpointSequential(nn.Identity()), CheckpointSequential(nn.Identity())

    model = TwoStages()
    model.grad_checkpointing = True
    assert model.stage1.grad_checkpointing and model.stage2.grad_checkpointing
    model.stage2.grad_checkpointing = False
    assert not model.grad_checkpointing


def test_flag_over_something_else_names_the_fix():
    class Wrong(nn.Module):
        grad_checkpointing = checkpoint_flag('blocks')

        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(nn.Identity())

    with pytest.raises(TypeError, match='CheckpointSequential'):
        Wrong().grad_checkpointing = True
