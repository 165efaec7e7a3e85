"""Real ImageNet photos (../shared/data) through a zoo model end to end, grayscale files included."""
import torch
from PIL import Image

import zoo
import zoo.data


def test_imagenet_samples_end_to_end(imagenet_samples):
    files = sorted(p.name for p in imagenet_samples.iterdir() if p.suffix == '.JPEG')
    assert len(files) == 1000
    gray = [f for f in files if Image.open(imagenet_samples / f).mode != 'RGB']
    assert len(gray) >= 20, 'the sample set is documented to hold 23 single-channel JPEGs'

    model = zoo.create_model('resnet18').eval()
    config = zoo.data.resolve_model_data_config(model)
    dataset = zoo.data.create_dataset('', root=str(imagenet_samples), transform=zoo.data.create_transform(**config))
    # every grayscale file plus a spread of colour ones
    wanted = set(gray) | set(files[::50])
    indices = [i for i in range(len(dataset)) if dataset.filename(i) in wanted]
    batch = torch.stack([dataset[i][0] for i in indices])
    assert batch.shape == (len(indices), 3, 224, 224) and batch.dtype == torch.float32
    # normalised pixels: roughly zero-centred, within the range normalisation of [0, 1] allows
    mean, std = torch.tensor(config['mean']), torch.tensor(config['std'])
    lo, hi = (0 - mean) / std, (1 - mean) / std
    assert (batch >= lo.view(1, 3, 1, 1) - 1e-5).all() and (batch <= hi.view(1, 3, 1, 1) + 1e-5).all()
    for i in indices:
        if dataset.filename(i) in gray:  # converted to RGB: three identical channels before normalisation
            px = dataset[i][0] * std.view(3, 1, 1) + mean.view(3, 1, 1)
            assert torch.allclose(px[0], px[1], atol=1e-5) and torch.allclose(px[1], px[2], atol=1e-5)
            break
    with torch.inference_mode():
        logits = model(batch)
    assert logits.shape == (len(indices), 1000) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
