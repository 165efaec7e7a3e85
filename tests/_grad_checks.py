"""Checks shared by the mobile-family test files."""
import torch
import torch.nn as nn


def assert_grad_checkpointing_exact(model: nn.Module, x: torch.Tensor) -> None:
    """Training-mode outputs and every parameter gradient are the same with activation checkpointing on and off."""
    model.train()
    out = model(x)
    out.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model.set_grad_checkpointing(True)
    out_ckpt = model(x)
    out_ckpt.sum().backward()
    torch.testing.assert_close(out_ckpt, out)
    for g, p in zip(grads, model.parameters()):
        torch.testing.assert_close(p.grad, g)
