"""Deployment paths: the layer switches (`scriptable` / `exportable`), torch.export, ONNX and TorchScript.

References: the eager model (an exported program must compute the same function), timm's `pad_same` for TF 'SAME'
padding, and onnxruntime for the ONNX files. A representative sample of families runs by default (a plain CNN, a
ViT, hierarchical transformers, a mobile net with TF 'SAME' padding); `-m slow` runs every family's smallest model.
"""
from pathlib import Path
from typing import Dict, Tuple

import pytest
import torch
import torch.nn as nn

import zoo
from _sample import representative
from zoo.layers.config import is_exportable, is_scriptable, set_layer_config, use_fused_attn
from zoo.layers.conv2d_same import Conv2dSame
from zoo.layers.padding import pad_same, pad_same_traceable
from zoo.layers.pool2d_same import MaxPool2dSame

EXPORT_ATOL = 1e-5  # torch.export runs the same kernels as eager
ONNX_ATOL = 1e-4  # onnxruntime has its own kernels (conv algorithms, fused GELU / layer norm)

# (name, create_model kwargs, input side): a small CNN, a ViT, a hierarchical transformer with TF 'SAME' pooling and
# relative-position attention and a mobile net with TF 'SAME' convs (both built exportable); ConvNeXt under slow
SAMPLE = (
    ('test_resnet', {}, 64),
    ('test_vit', {}, 160),
    # the hierarchical case costs ~40 s of ONNX export; its torch.export path is in the every-family slow run too
    pytest.param('test_maxvit', dict(exportable=True), 64, marks=pytest.mark.slow),
    pytest.param('test_convnext', {}, 64, marks=pytest.mark.slow),  # CNN already covered; keeps the default run short
    ('tf_mobilenetv3_small_minimal_100', dict(exportable=True), 64),
)


def _require_onnx() -> None:
    for module in ('onnx', 'onnxscript', 'onnxruntime'):
        pytest.importorskip(module, reason=f'ONNX export checks need {module}: pip install "zoo[onnx]"')


def _max_err(got: torch.Tensor, ref: torch.Tensor) -> float:
    # relative to the output's scale, so logits of any magnitude get the same tolerance
    return float((got - ref).abs().max()) / max(1., float(ref.abs().max()))


def _input(model: nn.Module, side: int, batch: int = 2) -> torch.Tensor:
    cfg = model.pretrained_cfg
    size = cfg.get('input_size', (3, 224, 224))
    if not cfg.get('fixed_input_size', False):
        size = (size[0], side, side)
    return torch.randn(batch, *size, generator=torch.Generator().manual_seed(0))


def _build(name: str, kwargs: Dict, side: int) -> Tuple[nn.Module, torch.Tensor]:
    model = zoo.create_model(name, **kwargs).eval()
    return model, _input(model, side)


@pytest.fixture(scope='module')
def onnx_registry_once():
    """Build the exporter's aten -> ONNX function table once per module instead of once per export (~10 s each).

    `torch.onnx.export` rebuilds it on every call; the table does not change between calls without a custom
    translation table. Private API: when it moves, the tests still run, only slower.
    """
    try:
        from torch.onnx._internal.exporter import _registration
        original = _registration.ONNXRegistry.from_torchlib
    except (ImportError, AttributeError):
        yield
        return
    cache = {}

    def from_torchlib(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = original(*args, **kwargs)
        return cache[key]

    _registration.ONNXRegistry.from_torchlib = staticmethod(from_torchlib)  # called on an instance, too
    try:
        yield
    finally:
        _registration.ONNXRegistry.from_torchlib = original


def _check_torch_export(model: nn.Module, x: torch.Tensor) -> torch.export.ExportedProgram:
    batch = torch.export.Dim('batch', min=1, max=256)
    with torch.no_grad():
        program = torch.export.export(model, (x,), dynamic_shapes=({0: batch},))
        for inp in (x, x[:1]):  # the batch dim is dynamic: one program serves both
            assert _max_err(program.module()(inp), model(inp)) <= EXPORT_ATOL
    return program


def _check_onnx(program: torch.export.ExportedProgram, model: nn.Module, x: torch.Tensor, path: Path) -> None:
    import onnxruntime as ort
    with torch.no_grad():
        # from the exported program (dynamic batch included), so the model is traced once
        torch.onnx.export(program, (x,), str(path), dynamo=True, input_names=['input'], output_names=['output'])
        session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
        for inp in (x, torch.cat([x, x.flip(0)[:1]])):  # the exported batch dim takes another size
            got = torch.from_numpy(session.run(None, {'input': inp.numpy()})[0])
            assert _max_err(got, model(inp)) <= ONNX_ATOL


# ---- the switches ----

def test_set_layer_config_is_a_call_and_a_context_manager():
    assert not is_exportable() and not is_scriptable()
    with set_layer_config(exportable=True):
        assert is_exportable() and not is_scriptable()
        with set_layer_config(scriptable=True, exportable=False):
            assert is_scriptable() and not is_exportable()
        assert is_exportable() and not is_scriptable()
    assert not is_exportable()
    set_layer_config(scriptable=True)  # a plain call keeps the switch set
    try:
        assert is_scriptable()
    finally:
        set_layer_config(scriptable=False)
    assert not is_scriptable()


def test_exportable_turns_off_fused_attention_only_while_set():
    fused = use_fused_attn()
    with set_layer_config(exportable=True):
        assert not use_fused_attn()
    assert use_fused_attn() == fused


def test_create_model_applies_switches_during_construction_only():
    default = zoo.create_model('test_vit')
    exportable = zoo.create_model('test_vit', exportable=True)
    assert not is_exportable()
    assert {m.fused_attn for m in default.modules() if hasattr(m, 'fused_attn')} == {True}
    assert {m.fused_attn for m in exportable.modules() if hasattr(m, 'fused_attn')} == {False}
    exportable.load_state_dict(default.state_dict())
    x = torch.randn(2, 3, 160, 160)
    with torch.no_grad():
        assert _max_err(exportable.eval()(x), default.eval()(x)) < 1e-5

    same_default = zoo.create_model('tf_mobilenetv3_small_minimal_100')
    same_export = zoo.create_model('tf_mobilenetv3_small_minimal_100', exportable=True)
    same_script = zoo.create_model('tf_mobilenetv3_small_minimal_100', scriptable=True)
    for model, traceable in ((same_default, False), (same_export, True), (same_script, True)):
        flags = {m.traceable_pad for m in model.modules() if isinstance(m, Conv2dSame)}
        assert flags == {traceable}


def test_no_jit_is_refused_with_the_reason():
    with pytest.raises(TypeError, match='no_jit'):
        zoo.create_model('test_resnet', no_jit=True)


# ---- TF 'SAME' padding: the traceable formulation ----

@pytest.mark.parametrize('kernel,stride,dilation', [(3, 2, 1), (1, 2, 1), (2, 2, 1), (5, 2, 1), (3, 1, 2), (2, 3, 1),
                                                    (4, 4, 1), (7, 3, 2)])
def test_traceable_pad_matches_timm_pad_same(kernel: int, stride: int, dilation: int):
    timm_layers = pytest.importorskip('timm.layers')
    for h, w in ((1, 1), (7, 8), (32, 33), (57, 64)):
        x = torch.randn(1, 2, h, w)
        args = ((kernel, kernel), (stride, stride), (dilation, dilation))
        ref = timm_layers.pad_same(x, *args[:2], args[2], value=-1.)
        assert torch.equal(pad_same_traceable(x, *args, value=-1.), ref)
        assert torch.equal(pad_same(x, *args, value=-1.), ref)


@pytest.mark.parametrize('layer', [lambda: Conv2dSame(3, 4, 3, stride=2), lambda: MaxPool2dSame(3, 2)])
def test_exportable_same_padding_exports_dynamic_height_width(layer):
    dims = ({0: torch.export.Dim('b'), 2: torch.export.Dim('h', min=4, max=512),
             3: torch.export.Dim('w', min=4, max=512)},)
    x = torch.randn(2, 3, 33, 40)
    default = layer().eval()
    with pytest.raises(Exception, match='onstraint'):  # the eager padding branches on the size: a guard fails
        torch.export.export(default, (x,), dynamic_shapes=dims)
    with set_layer_config(exportable=True):
        exportable = layer().eval()
    exportable.load_state_dict(default.state_dict())
    program = torch.export.export(exportable, (x,), dynamic_shapes=dims)
    for size in ((1, 3, 32, 32), (2, 3, 57, 64), (1, 3, 7, 9)):
        inp = torch.randn(*size)
        assert torch.allclose(program.module()(inp), default(inp), atol=EXPORT_ATOL)


# ---- torch.export and ONNX ----

@pytest.mark.parametrize('name,kwargs,side', SAMPLE)
def test_torch_export_and_onnx_match_eager(name: str, kwargs: Dict, side: int, tmp_path: Path, onnx_registry_once):
    model, x = _build(name, kwargs, side)
    program = _check_torch_export(model, x)
    _require_onnx()
    _check_onnx(program, model, x, tmp_path / f'{name}.onnx')


@pytest.mark.slow
@pytest.mark.parametrize('module', zoo.list_modules())
def test_every_family_exports(module: str, tmp_path: Path, onnx_registry_once):
    name = representative(module)
    model = zoo.create_model(name, exportable=True).eval()
    side = max(96, *model.pretrained_cfg.get('min_input_size', (3, 0, 0))[-2:])
    x = _input(model, side)
    program = _check_torch_export(model, x)
    _require_onnx()
    _check_onnx(program, model, x, tmp_path / f'{name}.onnx')


# ---- TorchScript ----

# regnet / resnetv2 / vovnet script since ZooModel keeps its trunk declaration out of TorchScript
SCRIPTED = ('resnet18', 'efficientnet_b0', 'tf_efficientnet_b0', 'regnetx_002', 'resnetv2_50', 'ese_vovnet19b_dw')


@pytest.mark.parametrize('name', SCRIPTED)
def test_torchscript_with_scriptable(name: str):
    model = zoo.create_model(name, scriptable=True).eval()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3, 64, 80)  # 80 is not a multiple of 32: TF 'SAME' padding is asymmetric
    with torch.no_grad():
        assert _max_err(scripted(x), model(x)) <= EXPORT_ATOL


def test_same_padding_scripts_only_when_built_scriptable():
    with pytest.raises(Exception):
        torch.jit.script(Conv2dSame(3, 4, 3, stride=2))
    with set_layer_config(scriptable=True):
        conv = Conv2dSame(3, 4, 3, stride=2)
    x = torch.randn(1, 3, 17, 20)
    assert torch.equal(torch.jit.script(conv)(x), conv(x))


@pytest.mark.parametrize('momentum', [0.1, None])
@pytest.mark.parametrize('track_running_stats', [True, False])
def test_batchnorm_act_forward_equals_batchnorm2d(momentum, track_running_stats):
    """BatchNormAct2d spells out nn.BatchNorm2d's forward (so it scripts): same outputs and buffers in every mode."""
    from zoo.layers.norm_act import BatchNormAct2d
    ours = BatchNormAct2d(4, momentum=momentum, track_running_stats=track_running_stats, act_layer=nn.Identity)
    ref = nn.BatchNorm2d(4, momentum=momentum, track_running_stats=track_running_stats)
    with torch.no_grad():
        ref.weight.normal_()
        ref.bias.normal_()
    ours.load_state_dict(ref.state_dict())
    for training in (True, True, False, True):
        ours.train(training)
        ref.train(training)
        x = torch.randn(3, 4, 5, 5)
        assert torch.allclose(ours(x), ref(x), atol=1e-6)
    for key, value in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    assert torch.allclose(torch.jit.script(ours.eval())(x), ref.eval()(x), atol=1e-6)
