"""AdaHessian: Adam with the Hessian diagonal in place of the squared gradient.

Yao et al., "ADAHESSIAN: An Adaptive Second Order Optimizer for Machine Learning" (AAAI 2021). The Hessian diagonal is
estimated with Hutchinson's method, ``E[z * (H z)]`` for Rademacher vectors ``z``, from a Hessian-vector product of
the gradient; the loss must therefore be back-propagated with ``create_graph=True`` (the optimizer's
``is_second_order`` tells training loops to do so). The random vectors come from a private generator with a fixed
seed so every process of a distributed run draws the same ones.
"""
from typing import Any, Dict, Iterable, List, Tuple

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, validate_betas

__all__ = ['Adahessian']

_SEED = 2147483647


class Adahessian(ZooOptimizer):
    """AdaHessian with decoupled weight decay.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        betas: Decay rates of the gradient and squared-Hessian-diagonal moments.
        eps: Added to the denominator.
        weight_decay: Decoupled weight decay.
        hessian_power: Exponent of the Hessian diagonal in the denominator (1 = full second order).
        update_each: Re-estimate the Hessian diagonal every this many steps.
        n_samples: Rademacher samples per estimate.
        avg_conv_kernel: Average the (absolute) estimate over the spatial dims of 4-d conv kernels.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 0.1,
            betas: Tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-8,
            weight_decay: float = 0.,
            hessian_power: float = 1.0,
            update_each: int = 1,
            n_samples: int = 1,
            avg_conv_kernel: bool = False,
    ) -> None:
        validate_betas(betas)
        if not 0. <= hessian_power <= 1.:
            raise ValueError(f'hessian_power must be in [0, 1], got {hessian_power}.')
        self.update_each = update_each
        self.n_samples = n_samples
        self.avg_conv_kernel = avg_conv_kernel
        self.generator = torch.Generator().manual_seed(_SEED)
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, hessian_power=hessian_power))
        self._hessian_steps: Dict[Tensor, int] = {}

    @property
    def is_second_order(self) -> bool:
        return True

    def _before_step(self) -> None:
        """Estimate the Hessian diagonal of the parameters due for it (all with gradients on the first step)."""
        due: List[Tensor] = []
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None or not p.requires_grad:
                    continue
                count = self._hessian_steps.get(p, 0)
                if count % self.update_each == 0 or 'hessian' not in self.state[p]:
                    due.append(p)
                self._hessian_steps[p] = count + 1
        if not due:
            return
        if any(not p.grad.requires_grad for p in due):
            raise RuntimeError(
                'Adahessian needs gradients with a graph: call loss.backward(create_graph=True) before step().')
        if self.generator.device != due[0].device:
            self.generator = torch.Generator(due[0].device).manual_seed(_SEED)
        estimates = [torch.zeros_like(p) for p in due]
        for i in range(self.n_samples):
            zs = [torch.randint(0, 2, p.shape, generator=self.generator, device=p.device) * 2. - 1. for p in due]
            with torch.enable_grad():
                hzs = torch.autograd.grad([p.grad for p in due], due, grad_outputs=zs,
                                          retain_graph=i < self.n_samples - 1)
            for est, hz, z in zip(estimates, hzs, zs):
                est.add_(hz * z, alpha=1. / self.n_samples)
        for p, est in zip(due, estimates):
            if self.avg_conv_kernel and p.dim() == 4:
                est = est.abs().mean(dim=(2, 3), keepdim=True).expand_as(est).clone()
            self.state[p]['hessian'] = est

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        state['exp_avg'] = torch.zeros_like(param)
        state['exp_hessian_diag_sq'] = torch.zeros_like(param)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        beta1, beta2 = group['betas']
        param.mul_(1. - group['lr'] * group['weight_decay'])
        hessian = state['hessian']
        state['exp_avg'].mul_(beta1).add_(grad, alpha=1. - beta1)
        state['exp_hessian_diag_sq'].mul_(beta2).addcmul_(hessian, hessian, value=1. - beta2)
        denom = (state['exp_hessian_diag_sq'] / (1. - beta2 ** step)).pow_(group['hessian_power'] / 2)
        param.addcdiv_(state['exp_avg'], denom.add_(group['eps']), value=-group['lr'] / (1. - beta1 ** step))
