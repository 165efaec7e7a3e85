"""Model surgery helpers: gradient checkpointing over sequences, recursive init, first-conv adaptation."""
import math
from typing import Any, Callable, Iterable, List, Union

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

__all__ = ['checkpoint_seq', 'maybe_checkpoint', 'run_sequence', 'CheckpointSequential', 'checkpoint_flag',
           'named_apply', 'adapt_input_conv']


def checkpoint_seq(functions: Iterable[nn.Module], x: torch.Tensor, every: int = 1) -> torch.Tensor:
    """Run a sequence of modules with activation checkpointing on every `every`-th segment boundary."""
    functions = list(functions)
    for start in range(0, len(functions), every):
        segment = functions[start:start + every]

        def run(inp: torch.Tensor, segment=segment) -> torch.Tensor:
            for fn in segment:
                inp = fn(inp)
            return inp
        x = checkpoint(run, x, use_reentrant=False)
    return x


def maybe_checkpoint(module: Callable[..., Any], *args: Any, enabled: bool, **kwargs: Any) -> Any:
    """`module(*args, **kwargs)`, recomputed in backward when `enabled` and autograd is recording.

    For blocks a `CheckpointSequential` cannot chain: they take more than the activations (a grid size, a global
    query, a mask) or return several tensors. The owner keeps a plain `grad_checkpointing` flag and passes it here.
    TorchScript runs the module plainly.
    """
    if enabled and torch.is_grad_enabled() and not torch.jit.is_scripting():
        return checkpoint(module, *args, use_reentrant=False, **kwargs)
    return module(*args, **kwargs)


def run_sequence(modules: Iterable[Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor,
                 checkpointed: bool) -> torch.Tensor:
    """Run `modules` one after another, each its own checkpoint segment when `checkpointed`.

    For trunks whose stages are separate attributes (keys `layer1.*`, `level3.*`) that no `CheckpointSequential`
    holds without renaming their weights.
    """
    for module in modules:
        x = maybe_checkpoint(module, x, enabled=checkpointed)
    return x


class CheckpointSequential(nn.Sequential):
    """An `nn.Sequential` that owns its activation-checkpointing switch.

    `ZooModel.set_grad_checkpointing` flips every module's `grad_checkpointing` flag, so a trunk built from these
    checkpoints each child without the family's forward saying so; TorchScript always runs the plain chain.
    """

    def __init__(self, *modules: nn.Module):
        super().__init__(*modules)
        self.grad_checkpointing = False

    def __getitem__(self, idx: Union[int, slice]) -> nn.Module:
        # a slice (e.g. a trunk pruned by `prune_intermediate_layers`) keeps the switch the full sequence had
        item = super().__getitem__(idx)
        if isinstance(item, CheckpointSequential):
            item.grad_checkpointing = self.grad_checkpointing
        return item

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.grad_checkpointing and not torch.jit.is_scripting():
            return checkpoint_seq(self, x)
        for module in self:
            x = module(x)
        return x


def checkpoint_flag(*paths: str) -> property:
    """A `grad_checkpointing` property that stands for the flags of the `CheckpointSequential`s at `paths`.

    A stage or model whose checkpointing lives in a `CheckpointSequential` child declares
    `grad_checkpointing = checkpoint_flag('blocks')` in its class body, so `module.grad_checkpointing = True` (what
    timm users write for a stage or a model) switches that child on and reading it reports the child's state.
    Each path is a dotted submodule path; one naming a plain container (e.g. a sequence of stages) stands for the
    `CheckpointSequential` modules directly inside it; a family whose stages are separate attributes lists them all
    (a path set to None, a pruned stage, is skipped).
    TorchScript never sees the property: scripted forwards read the children's own flags.
    """
    def switches(module: nn.Module) -> List[CheckpointSequential]:
        found = []
        for path in paths:
            parent, _, name = path.rpartition('.')
            target = getattr(module.get_submodule(parent), name)
            if target is None:  # a stage removed by prune_intermediate_layers
                continue
            inside = [target] if isinstance(target, CheckpointSequential) else [
                m for m in target.children() if isinstance(m, CheckpointSequential)]
            if not inside:
                raise TypeError(f'{type(module).__name__}.{path} holds no CheckpointSequential for '
                                f'grad_checkpointing to switch; build it as a CheckpointSequential (or a container '
                                f'of them).')
            found += inside
        return found

    @torch.jit.unused
    def get(self: nn.Module) -> bool:
        return all(m.grad_checkpointing for m in switches(self))

    @torch.jit.unused
    def set(self: nn.Module, enable: bool) -> None:
        for m in switches(self):
            m.grad_checkpointing = enable

    return property(get, set, doc=f'Activation checkpointing of {", ".join(paths)} (reads and writes their flags).')


def named_apply(fn: Callable[..., None], module: nn.Module, name: str = '', depth_first: bool = True,
                include_root: bool = False) -> nn.Module:
    """Like `module.apply(fn)` but `fn(module=..., name=...)` also gets the dotted name of each module."""
    def visit(node: nn.Module, path: str, is_root: bool) -> None:
        call = include_root or not is_root
        if call and not depth_first:
            fn(module=node, name=path)
        for child_name, child in node.named_children():
            visit(child, f'{path}.{child_name}' if path else child_name, False)
        if call and depth_first:  # children first: a block can adjust what its layers' initialisers did
            fn(module=node, name=path)

    visit(module, name, True)
    return module


def adapt_input_conv(in_chans: int, conv_weight: torch.Tensor) -> torch.Tensor:
    """Fit RGB first-conv weights to `in_chans` inputs.

    One channel sums the RGB filters (a grey image then gives the response the RGB image of the same luminance
    would). More channels repeat the RGB filters cyclically and rescale by 3 / in_chans so activations keep their
    magnitude.
    """
    out_ch, src_ch, kh, kw = conv_weight.shape
    if in_chans == src_ch:
        return conv_weight
    dtype = conv_weight.dtype
    weight = conv_weight.float()
    if in_chans == 1:
        if src_ch > 3:
            if src_ch % 3:
                raise ValueError(f'Cannot reduce a {src_ch}-channel first conv to 1 channel (not a multiple of 3).')
            weight = weight.reshape(out_ch, src_ch // 3, 3, kh, kw).sum(dim=2)
        else:
            weight = weight.sum(dim=1, keepdim=True)
    else:
        if src_ch != 3:
            raise ValueError(f'Can only expand a 3-channel first conv, this one has {src_ch} input channels.')
        repeat = math.ceil(in_chans / 3)
        weight = weight.repeat(1, repeat, 1, 1)[:, :in_chans] * (3 / in_chans)
    return weight.to(dtype)
