"""Lookahead wrapper: every ``k`` inner steps, pull slow weights towards the fast ones and restart from them.

Zhang et al., "Lookahead Optimizer: k steps forward, 1 step back" (NeurIPS 2019).
"""
from typing import Callable, Dict, Optional

import torch
from torch.optim import Optimizer

__all__ = ['Lookahead']


class Lookahead(Optimizer):
    """Wrap ``base_optimizer`` with Lookahead.

    Param groups and per-parameter state are shared with the base optimizer (so lr schedulers and checkpoints see
    one optimizer); slow weights live in the base state under ``lookahead_slow``.

    Args:
        base_optimizer: The inner ("fast") optimizer.
        alpha: Slow weight step size.
        k: Number of fast steps between slow updates.
    """

    def __init__(self, base_optimizer: Optimizer, alpha: float = 0.5, k: int = 6) -> None:
        if not 0. <= alpha <= 1.:
            raise ValueError(f'Lookahead alpha must be in [0, 1], got {alpha}.')
        if k < 1:
            raise ValueError(f'Lookahead k must be >= 1, got {k}.')
        defaults = dict(lookahead_alpha=alpha, lookahead_k=k, lookahead_step=0)
        self._base_optimizer = base_optimizer
        super().__init__(base_optimizer.param_groups, defaults)
        # share, not copy: schedulers and state_dict() must address the base optimizer's groups and state
        self.param_groups = base_optimizer.param_groups
        self.defaults = {**base_optimizer.defaults, **defaults}
        self.state = base_optimizer.state
        for group in self.param_groups:
            for key, value in defaults.items():
                group.setdefault(key, value)

    @torch.no_grad()
    def _update_slow(self, group: Dict) -> None:
        for p in group['params']:
            if p.grad is None:
                continue
            slow = self._base_optimizer.state[p]['lookahead_slow']
            slow.add_(p - slow, alpha=group['lookahead_alpha'])
            p.copy_(slow)

    def step(self, closure: Optional[Callable] = None) -> Optional[float]:
        # slow weights start at the weights before the first fast step; they are stored only after the base step
        # because optimizers initialise their own state when it is empty
        fresh = {p: p.detach().clone() for g in self.param_groups for p in g['params']
                 if 'lookahead_slow' not in self._base_optimizer.state.get(p, {})}
        loss = self._base_optimizer.step(closure)
        for p, slow in fresh.items():
            if p.grad is not None:
                self._base_optimizer.state[p]['lookahead_slow'] = slow
        for group in self.param_groups:
            group['lookahead_step'] += 1
            if group['lookahead_step'] % group['lookahead_k'] == 0:
                self._update_slow(group)
        return loss

    def state_dict(self) -> Dict:
        return self._base_optimizer.state_dict()

    def load_state_dict(self, state_dict: Dict) -> None:
        self._base_optimizer.load_state_dict(state_dict)
        self.param_groups = self._base_optimizer.param_groups
        self.state = self._base_optimizer.state

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._base_optimizer.zero_grad(set_to_none=set_to_none)
