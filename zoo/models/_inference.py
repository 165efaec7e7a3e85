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

Optionally, in place of steps 4 and 5, post-training int8 quantization (``int8_calibration=`` a few batches): the
model is exported with `torch.export`, annotated by torchao's x86 inductor quantizer (int8 weights per output
channel, uint8 activations per tensor), calibrated on the batches given, converted, and lowered by torchao's x86
lowering, which folds each quantize/conv/dequantize group into a oneDNN int8 kernel (`onednn.qconv_pointwise`,
`qlinear_pointwise`). The lowered graph runs eagerly: with torch 2.14 / torchao 0.18, `torch.compile` of the
quantized graph fails in both forms (with freezing: `onednn.qconv_prepack` has no fake-tensor kernel; of the
lowered graph: "packed_weight must be a graph constant"), so compile is skipped there. This needs the optional
``torchao`` package (``pip install zoo[int8]``).

Each step that cannot apply to a model (no fx trace for BN folding, no re-parameterisable block) is skipped and
listed in `steps_skipped`, so the caller can see what the fast path actually did.
"""
import logging
import os
import time
from contextlib import nullcontext
from typing import Callable, Iterable, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from zoo.models._fuse import fuse_bn
from zoo.models._reparam import reparameterize_model

__all__ = ['InferenceModel', 'optimize_for_inference', 'quantize_int8', 'cpu_has_native_bf16']

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
        fixed_batch: the only batch size the graph runs (int8), or None. Other batches go through in chunks of it,
            the last padded by repeating its final image (the padded rows are dropped).
    """

    def __init__(self, model: nn.Module, runner: Callable, dtype: Optional[torch.dtype], autocast: bool,
                 channels_last: bool, steps: List[str], steps_skipped: List[Tuple[str, str]],
                 fixed_batch: Optional[int] = None):
        super().__init__()
        self.model = model
        self.__dict__['_runner'] = runner  # not a submodule: a compiled wrapper would duplicate the state_dict
        self.dtype = dtype
        self.autocast = autocast
        self.channels_last = channels_last
        self.steps = steps
        self.steps_skipped = steps_skipped
        self.compile_seconds: Optional[float] = None
        self.fixed_batch = fixed_batch
        self.training = False
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
            out = self._run_fixed(x) if self.fixed_batch and x.shape[0] != self.fixed_batch else self._runner(x)
        if start is not None:
            self.compile_seconds = time.perf_counter() - start
        return out.float()

    def train(self, mode: bool = True) -> 'InferenceModel':
        """Stays in eval mode (`.eval()` is a no-op): the rewritten model is for inference only, and an exported int8
        graph refuses mode switches altogether."""
        if mode:
            raise RuntimeError('An optimized inference model cannot train; train the original model instead.')
        return self

    def _run_fixed(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for chunk in x.split(self.fixed_batch):
            pad = self.fixed_batch - chunk.shape[0]
            if pad:
                chunk = torch.cat([chunk, chunk[-1:].expand(pad, *chunk.shape[1:])])
            outs.append(self._runner(chunk)[:self.fixed_batch - pad])
        return torch.cat(outs)

    def extra_repr(self) -> str:
        return f'steps={self.steps}, skipped={[s for s, _ in self.steps_skipped]}'


def _torchao_pt2e():
    try:
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
        from torchao.quantization.pt2e.lowering import lower_pt2e_quantized_to_x86
        from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86
    except ImportError as e:
        raise ImportError(f'int8 quantization needs torchao ({e}); install it with `pip install zoo[int8]` '
                          f'(or `pip install torchao`), or drop int8_calibration.') from e
    return prepare_pt2e, convert_pt2e, x86, lower_pt2e_quantized_to_x86


def quantize_int8(model: nn.Module, calibration: Iterable[torch.Tensor]) -> Tuple[nn.Module, int, int]:
    """Post-training static int8 quantization of an eval-mode model (torch.export + torchao's x86 quantizer).

    The graph is exported at the batch size of the first calibration batch and is fixed to it: the int8 lowering
    pre-packs the convolution weights for static shapes and refuses a symbolic batch (`onednn.qconv_prepack`).
    `optimize_for_inference` runs other batch sizes through it in chunks, padding the last.

    Args:
        model: a float32 model in eval mode.
        calibration: float32 image batches in the model's input layout; their activation ranges set the int8
            scales, so they should look like the data the model will see (a few dozen to a hundred images).
            Batches of another size than the first (a loader's last batch) are left out.

    Returns:
        The lowered graph module (oneDNN int8 convolutions and linears between quantize/dequantize steps), the
        number of calibration images used, and the fixed batch size.

    Raises:
        ImportError: torchao is not installed.
        ValueError: no calibration batch was given.
    """
    batches = iter(calibration)
    first = next(batches, None)
    if first is None:
        raise ValueError('int8_calibration gave no batch; pass a few batches of real images (about 100 images).')
    prepare_pt2e, convert_pt2e, x86, lower = _torchao_pt2e()
    batch_size = first.shape[0]
    graph = torch.export.export(model, (first,)).module()
    quantizer = x86.X86InductorQuantizer().set_global(x86.get_default_x86_inductor_quantization_config())
    prepared = prepare_pt2e(graph, quantizer)
    seen = left_out = 0
    with torch.no_grad():
        for x in (first, *batches):
            if x.shape[0] != batch_size:
                left_out += x.shape[0]
                continue
            prepared(x)
            seen += batch_size
    if left_out:
        _logger.info('int8 calibration: %d images in batches of another size than %d left out', left_out, batch_size)
    with torch.no_grad():
        lowered = lower(convert_pt2e(prepared), (first,))
    return lowered, seen, batch_size


def optimize_for_inference(
        model: nn.Module,
        dtype: DTypeArg = 'auto',
        bf16_mode: str = 'weights',
        fold_bn: bool = True,
        reparameterize: bool = True,
        channels_last: bool = True,
        compile: bool = True,
        example_input: Optional[torch.Tensor] = None,
        int8_calibration: Optional[Iterable[torch.Tensor]] = None,
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
        int8_calibration: float32 image batches (an iterable, e.g. a few loader batches): quantize to int8 with them
            (see `quantize_int8`) in place of the bfloat16 and compile steps. Needs torchao.

    Raises:
        ValueError: on an unknown `dtype` or `bf16_mode`.
        ImportError: int8 without torchao installed.
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
    resolved, fixed_batch = None, None
    if int8_calibration is not None:
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        model, seen, fixed_batch = quantize_int8(
            model, (x.to(device, memory_format=memory_format) for x in int8_calibration))
        steps.append('int8')
        _logger.info('int8: calibrated on %d images; the graph runs batches of %d', seen, fixed_batch)
    else:
        resolved = _resolve_dtype(dtype, device)
        if resolved is None:
            if dtype == 'auto':
                skipped.append(('bfloat16', 'this CPU has no native bfloat16 (AVX512-BF16/AMX); float32 is faster'))
        elif bf16_mode == 'autocast':
            steps.append(f'autocast_{str(resolved).split(".")[-1]}')
        else:
            model = model.to(dtype=resolved)
            steps.append(f'weights_{str(resolved).split(".")[-1]}')
    autocast = resolved is not None and bf16_mode == 'autocast'

    runner: Callable = model
    if compile and int8_calibration is not None:
        skipped.append(('compile', 'the int8 graph is already lowered to oneDNN kernels; inductor cannot compile it '
                                   'with this torch/torchao'))
    elif compile:
        _enable_compile_cache()
        runner = torch.compile(model, options={'freezing': True})
        steps.append('compile')

    fast = InferenceModel(model, runner, resolved, autocast, channels_last, steps, skipped, fixed_batch)
    if example_input is not None:
        fast(example_input)
    _logger.info('optimize_for_inference: applied %s; skipped %s', steps, [s for s, _ in skipped])
    return fast
