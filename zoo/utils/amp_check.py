"""How much reduced-precision inference changes a classifier's answers on real images."""
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

__all__ = ['precision_agreement']


def _batches(folder: Path, files: Sequence[str], transform, batch_size: int):
    from PIL import Image
    for i in range(0, len(files), batch_size):
        images = []
        for f in files[i:i + batch_size]:
            with Image.open(folder / f) as img:
                images.append(transform(img.convert('RGB')))
        yield i, torch.stack(images)


def precision_agreement(
        model: nn.Module,
        folder: Path,
        files: Sequence[str],
        labels: Optional[Sequence[int]] = None,
        dtype: torch.dtype = torch.bfloat16,
        batch_size: int = 50,
        channels_last: bool = True,
) -> Dict[str, float]:
    """Top-1 agreement (percent) between float32 and `dtype` autocast on `files`, plus accuracies and timings.

    Both runs see identical preprocessed batches (the model's own data config); with `labels`, top-1 accuracy of
    each precision is reported too.
    """
    from zoo.data import create_transform, resolve_model_data_config
    transform = create_transform(**resolve_model_data_config(model))
    model = model.eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    preds: Dict[str, List[torch.Tensor]] = {'fp32': [], 'amp': []}
    seconds = {'fp32': 0., 'amp': 0.}
    with torch.inference_mode():
        for _, x in _batches(Path(folder), files, transform, batch_size):
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            for key in ('fp32', 'amp'):
                start = time.perf_counter()
                with torch.autocast('cpu', dtype=dtype, enabled=key == 'amp'):
                    out = model(x)
                seconds[key] += time.perf_counter() - start
                preds[key].append(out.float().argmax(1))
    p32, pamp = torch.cat(preds['fp32']), torch.cat(preds['amp'])
    result = dict(images=len(files), top1_agreement=(p32 == pamp).float().mean().item() * 100,
                  fp32_seconds=round(seconds['fp32'], 3), amp_seconds=round(seconds['amp'], 3),
                  amp_speedup=round(seconds['fp32'] / max(seconds['amp'], 1e-9), 3))
    if labels is not None:
        target = torch.tensor(list(labels))
        result['fp32_top1'] = (p32 == target).float().mean().item() * 100
        result['amp_top1'] = (pamp == target).float().mean().item() * 100
    return result
