"""One call that turns a trained model into its fastest CPU inference form.

`optimize_for_inference` composes the eval-time rewrites zoo has, in the order that keeps each one valid:

1. re-parameterisation of train-time branches (RepVGG, MobileOne, FastViT, RepViT, ...), which must see the
   unfused BatchNorms of each branch;
2. BatchNorm folding into the conv that feeds it (`fuse_bn`), for the norms left after step 1;
3. channels_last weights, the layout oneDNN's convolutions prefer on CPU;
4. bfloat16: weights and activations cast (``'weights'``) or autocast around float32 weights (``'autocast'``).
   The default, ``dtype='auto'``, uses bfloat16 only where the CPU has native bfloat16 arithmetic (AVX512-BF16 or
   AMX); elsewhere it is emulated and slower than float32, so the model stays in float32;
5. `torch.compile` with inductor, with freezing on (weights become constants, so inductor can pre-pack them and fold
   what is left). The first call compiles; inductor's on-disk cache makes later processes reuse the result, and the
   returned module reports how long the first call took (`compile_seconds`).

Each step that cannot apply to a model (no fx trace for BN folding, no re-parameterisable block) is skipped and
listed in `steps_skipped`, so the caller can see what the fast path actually did.
"""
import logging
import os
import time
from contextlib import nullcontext
from typing import Callable, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.models._fuse import fuse_bn
from zoo.models._reparam import reparameterize_model

__all__ = ['InferenceModel', 'optimize_for_inference', 'cpu_has_native_bf16']

_logger = logging.getLogger(__name__)

DTypeArg = Union[str, torch.dtype, None]


def cpu_has_native_bf16() -> bool:
    """True when oneDNN runs bfloat16 natively on this CPU (AVX512-BF16 or AMX); False means emulated, slow bf16."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _resolve_dtype(dtype: DTypeArg, device: torch.device) -> Optional[torch.dtype]:
    if dtype is None or dtype in ('float32', 'fp32', torch.float32):
        return None
    if dtype == 'auto':
        if device.type == 'cpu':
            return torch.bfloat16 if cpu_has_native_bf16() else None
        return torch.bfloat16 if device.type == 'cuda' and torch.cuda.is_bf16_supported() else torch.float16
    if isinstance(dtype, str):
        resolved = getattr(torch, dtype.replace('bf16', 'bfloat16').replace('fp16', 'float16'), None)
        if not isinstance(resolved, torch.dtype):
            raise ValueError(f"dtype={dtype!r} is not a torch dtype; use 'auto', 'bfloat16', 'float16' or 'float32'.")
        dtype = resolved
    if dtype not in (torch.bfloat16, torch.float16):
        raise ValueError(f'dtype={dtype} is not a reduced precision; use bfloat16, float16, float32 or auto.')
    return dtype


def _count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _has_reparam_blocks(model: nn.Module) -> bool:
    return any(callable(getattr(m, 'reparameterize', None)) or callable(getattr(m, 'fuse', None))
               for m in model.modules())


def _enable_compile_cache() -> Optional[str]:
    """Keep inductor's compiled kernels in a per-user cache that survives /tmp cleaning, unless the user chose one."""
    if 'TORCHINDUCTOR_CACHE_DIR' in os.environ:
        return os.environ['TORCHINDUCTOR_CACHE_DIR']
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    path = os.path.join(base, 'zoo', 'inductor')
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None  # an unwritable home: inductor falls back to its own temp-dir cache
    os.environ['TORCHINDUCTOR_CACHE_DIR'] = path
    return path


class InferenceModel(nn.Module):
    """An optimized model plus the input conversion it needs; call it like the original on float32 images.

    Inputs are moved to the model's device, layout and dtype; outputs come back as float32. Gradients are off.

    Attributes:
        model: the rewritten (and, if compiled, still uncompiled) module, e.g. to save its state_dict.
        steps: the optimizations applied, in order.
        steps_skipped: (step, reason) for those that did not apply.
        compile_seconds: wall time of the first (compiling) call, or None before it / without compile.
    """

    def __init__(self, model: nn.Module, runner: Callable, dtype: Optional[torch.dtype], autocast: bool,
                 channels_last: bool, steps: List[str], steps_skipped: List[Tuple[str, str]]):
        super().__init__()
        self.model = model
        self.__dict__['_runner'] = runner  # not a submodule: a compiled wrapper would duplicate the state_dict
        self.dtype = dtype
        self.autocast = autocast
        self.channels_last = channels_last
        self.steps = steps
        self.steps_skipped = steps_skipped
        self.compile_seconds: Optional[float] = None
        self._compiled = 'compile' in steps
        self._device = next(model.parameters(), torch.empty(0)).device

    @property
    def pretrained_cfg(self):
        return getattr(self.model, 'pretrained_cfg', {})

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            return x  # e.g. a NaFlex patch batch, which the data pipeline already placed
        dtype = self.dtype if (self.dtype is not None and not self.autocast) else x.dtype
        memory_format = torch.channels_last if self.channels_last and x.ndim == 4 else torch.contiguous_format
        return x.to(device=self._device, dtype=dtype, memory_format=memory_format)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._prepare(x)
        cast = (torch.autocast(self._device.type, dtype=self.dtype) if self.autocast and self.dtype is not None
                else nullcontext())
        start = time.perf_counter() if self._compiled and self.compile_seconds is None else None
        with torch.inference_mode(), cast:
            out = self._runner(x)
        if start is not None:
            self.compile_seconds = time.perf_counter() - start
        return out.float()

    def extra_repr(self) -> str:
        return f'steps={self.steps}, skipped={[s for s, _ in self.steps_skipped]}'


def optimize_for_inference(
        model: nn.Module,
        dtype: DTypeArg = 'auto',
        bf16_mode: str = 'weights',
        fold_bn: bool = True,
        reparameterize: bool = True,
        channels_last: bool = True,
        compile: bool = True,
        example_input: Optional[torch.Tensor] = None,
) -> InferenceModel:
    """Return the fastest inference form of `model` that this machine supports, as an `InferenceModel`.

    The model is modified in place (re-parameterisation and BN folding rewrite its modules); copy it first to keep
    the trainable form. Outputs match the float32 eval model within float rounding when no reduced dtype is used;
    with bfloat16, expect top-1 agreement around 99% (see results/amp-agreement-cpu.csv).

    Args:
        model: a zoo (or any) image model.
        dtype: 'auto' (bfloat16 where the CPU has native bf16, else float32), 'bfloat16', 'float16', 'float32'/None.
        bf16_mode: 'weights' casts weights and inputs to the reduced dtype (fastest measured on resnet50 and
            EfficientNet); 'autocast' keeps float32 weights and runs matmuls/convs in the reduced dtype.
        fold_bn: fold BatchNorm into the preceding conv (needs a torch.fx-traceable model; skipped otherwise).
        reparameterize: fold train-time branches of re-parameterisable families.
        channels_last: convert weights (and inputs at call time) to channels_last.
        compile: wrap with torch.compile (inductor, freezing on). The first call compiles; pass `example_input` to
            compile here and read the cost from `compile_seconds`.
        example_input: an input batch to run once now (triggers compilation).

    Raises:
        ValueError: on an unknown `dtype` or `bf16_mode`.
    """
    if bf16_mode not in ('weights', 'autocast'):
        raise ValueError(f"bf16_mode={bf16_mode!r}: use 'weights' or 'autocast'.")
    model.eval().requires_grad_(False)
    device = next(model.parameters(), torch.empty(0)).device
    steps: List[str] = []
    skipped: List[Tuple[str, str]] = []

    if reparameterize:
        if _has_reparam_blocks(model):
            before = _count_params(model)
            model = reparameterize_model(model, inplace=True)
            steps.append('reparameterize')
            _logger.info('reparameterized: %d -> %d parameters', before, _count_params(model))
        else:
            skipped.append(('reparameterize', 'no re-parameterisable block'))
    if fold_bn:
        if any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
            try:
                fuse_bn(model)
                steps.append('fold_bn')
            except RuntimeError as e:
                skipped.append(('fold_bn', str(e)))
        else:
            skipped.append(('fold_bn', 'no BatchNorm2d'))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        steps.append('channels_last')
    resolved = _resolve_dtype(dtype, device)
    autocast = resolved is not None and bf16_mode == 'autocast'
    if resolved is None:
        if dtype == 'auto':
            skipped.append(('bfloat16', 'this CPU has no native bfloat16 (AVX512-BF16/AMX); float32 is faster'))
    elif autocast:
        steps.append(f'autocast_{str(resolved).split(".")[-1]}')
    else:
        model = model.to(dtype=resolved)
        steps.append(f'weights_{str(resolved).split(".")[-1]}')

    runner: Callable = model
    if compile:
        _enable_compile_cache()
        runner = torch.compile(model, options={'freezing': True})
        steps.append('compile')

    fast = InferenceModel(model, runner, resolved, autocast, channels_last, steps, skipped)
    if example_input is not None:
        fast(example_input)
    _logger.info('optimize_for_inference: applied %s; skipped %s', steps, [s for s, _ in skipped])
    return fast
