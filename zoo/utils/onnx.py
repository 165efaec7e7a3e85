"""ONNX export of zoo models, and an onnxruntime session used as a model (needs the optional `onnx` extra).

The exported file carries the model's name, class count and data config (input size, interpolation, mean / std, crop)
in its metadata, so `onnx_validate.py` preprocesses images the way the model expects without being told.
"""
import importlib
import importlib.util
import json
import logging
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

__all__ = ['export_onnx', 'read_onnx_metadata', 'OnnxClassifier']

_logger = logging.getLogger(__name__)

_META_PREFIX = 'zoo.'
INPUT_NAME = 'input'
OUTPUT_NAME = 'output'
PathT = Union[str, Path]


def _require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f'{module} is needed for ONNX export / inference; install it with pip install "zoo[onnx]" '
                          f'(onnx, onnxscript, onnxruntime).') from e


def export_onnx(
        model: nn.Module,
        path: PathT,
        input_size: Sequence[int],
        dynamic_batch: bool = True,
        opset_version: Optional[int] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        check_atol: Optional[float] = 1e-4,
) -> Tuple[Path, float]:
    """Write `model` as an ONNX file through `torch.export` and the dynamo ONNX exporter.

    Build the model with `create_model(..., exportable=True)` so its layers take their export-friendly forms.

    Args:
        model: the model; put in eval mode.
        path: file to write.
        input_size: (C, H, W) of one image.
        dynamic_batch: leave the batch dimension free (else it is fixed to 2).
        opset_version: ONNX opset; the exporter's default when None.
        metadata: JSON-serialisable values stored in the file's metadata (read back by `read_onnx_metadata`).
        check_atol: when onnxruntime is installed, run the file on the example batch and raise if it differs from
            the eager model by more than this (relative to the output scale); None skips the check.

    Returns:
        The path written and the measured difference to eager (NaN when not checked).
    """
    _require('onnxscript')
    path = Path(path)
    model.eval()
    # two images: an example batch of 1 would let torch.export specialise the batch dimension to a constant
    x = torch.randn(2, *input_size, generator=torch.Generator().manual_seed(0))
    dims = ({0: torch.export.Dim('batch', min=1, max=4096)},) if dynamic_batch else None
    with torch.no_grad():
        program = torch.export.export(model, (x,), dynamic_shapes=dims)
        onnx_program = torch.onnx.export(program, (x,), dynamo=True, input_names=[INPUT_NAME],
                                         output_names=[OUTPUT_NAME], opset_version=opset_version)
    for key, value in (metadata or {}).items():
        onnx_program.model.metadata_props[_META_PREFIX + key] = json.dumps(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx_program.save(str(path))
    err = float('nan')
    if check_atol is not None and importlib.util.find_spec('onnxruntime') is not None:
        with torch.no_grad():
            ref = model(x)
        got = OnnxClassifier(path)(x)
        err = float((got - ref).abs().max()) / max(1., float(ref.abs().max()))
        if err > check_atol:
            raise RuntimeError(f'The ONNX file {path} differs from the eager model by {err:.3g} (more than '
                               f'{check_atol:g}); the exporter mistranslated an op of this model.')
    return path, err


def _decode(props: Mapping[str, str]) -> Dict[str, Any]:
    return {k[len(_META_PREFIX):]: json.loads(v) for k, v in props.items() if k.startswith(_META_PREFIX)}


def read_onnx_metadata(path: PathT) -> Dict[str, Any]:
    """The metadata `export_onnx` stored in an ONNX file (empty for files written by other tools)."""
    ort = _require('onnxruntime')
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    return _decode(session.get_modelmeta().custom_metadata_map)


class OnnxClassifier(nn.Module):
    """An onnxruntime session behind the `nn.Module` call interface: NCHW float tensor in, logits tensor out.

    It lets the evaluation loop that scores PyTorch models (`zoo.utils.validate`) score an ONNX file unchanged.

    Args:
        path: the ONNX file.
        providers: onnxruntime execution providers, in order of preference.
        num_threads: intra-op threads (onnxruntime's default when None).
    """

    def __init__(self, path: PathT, providers: Sequence[str] = ('CPUExecutionProvider',),
                 num_threads: Optional[int] = None):
        super().__init__()
        ort = _require('onnxruntime')
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=list(providers))
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f'{path} takes {len(inputs)} inputs; an image classifier takes one image batch.')
        self.input_name = inputs[0].name
        self.input_shape = tuple(inputs[0].shape)  # a free dimension is a name (str) or None
        self.metadata = _decode(self.session.get_modelmeta().custom_metadata_map)

    def check_input_size(self, input_size: Sequence[int]) -> None:
        """Raise when images of (C, H, W) `input_size` do not fit the file's fixed input dimensions."""
        for got, fixed, what in zip(input_size, self.input_shape[1:], ('channels', 'height', 'width')):
            if isinstance(fixed, int) and got != fixed:
                raise ValueError(f'{self.path} was exported for {what} {fixed}, but the data config gives {got}; '
                                 f'drop the size override or export again with that size (onnx_export.py '
                                 f'--img-size).')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.session.run(None, {self.input_name: x.detach().to('cpu', torch.float32).contiguous().numpy()})
        return torch.from_numpy(out[0])
