"""Inference helpers: a one-file reader and top-k prediction rows in which unreadable files are marked as errors."""
import logging
import os
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from zoo.data.readers import Reader
from zoo.utils.train_loop import Runtime

__all__ = ['SingleFileReader', 'predict_rows']

_logger = logging.getLogger(__name__)


class SingleFileReader(Reader):
    """A one-sample reader for predicting a single image file (label 0, unused)."""

    def __init__(self, path: str) -> None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f'image file {path!r} does not exist.')
        self.path = path
        self.class_to_idx = {}

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> Tuple[str, int]:
        if index != 0:
            raise IndexError(index)
        return self.path, 0

    def _filename(self, index: int, basename: bool = False, absolute: bool = False) -> str:
        if basename:
            return os.path.basename(self.path)
        return os.path.abspath(self.path) if absolute else self.path


@torch.inference_mode()
def predict_rows(
        model: nn.Module,
        loader: Any,
        filenames: Sequence[str],
        names: Sequence[str],
        topk: int = 5,
        output_type: str = 'prob',
        rt: Optional[Runtime] = None,
        log_interval: int = 10,
) -> List[Dict[str, Any]]:
    """One row per file, in the order of ``filenames``: its top-k predictions, or an error if it could not be read.

    A readable file's row holds ``filename``, ``index`` (class indices, best first), ``label`` (their names) and
    ``prob`` or ``logit``. An unreadable file's row holds only ``filename`` and ``error``: no prediction is ever
    attributed to a file that was not read.

    Args:
        model: Classifier in eval mode.
        loader: Sequential (unshuffled) loader over the files, as built by ``create_loader(is_training=False)``.
        filenames: Names to print, one per dataset sample in order.
        names: Class names by index.
        topk: Classes per row.
        output_type: 'prob' (softmax) or 'logit'.
        rt: Device, autocast and memory format (CPU, no autocast by default).
        log_interval: Log progress every this many batches.
    """
    if output_type not in ('prob', 'logit'):
        raise ValueError(f"output_type must be 'prob' or 'logit', got {output_type!r}.")
    rt = rt or Runtime()
    k = min(topk, len(names))
    predictions: List[Tuple[List[int], List[float]]] = []
    errors: Dict[int, str] = {}
    start = time.time()
    for batch_idx, batch in enumerate(loader):
        for bad in getattr(batch, 'unreadable', ()):
            errors[bad.index] = f'unreadable image: {bad.error}'
        x = batch[0].to(rt.device)
        if x.shape[0]:
            if rt.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with rt.autocast():
                out = model(x).float()
            scores = out.softmax(dim=-1) if output_type == 'prob' else out
            values, indices = scores.topk(k, dim=-1)
            predictions += list(zip(indices.tolist(), values.tolist()))
        if log_interval and batch_idx % log_interval == 0:
            _logger.info('Predict: [%d/%d] %.1f img/s', batch_idx, len(loader),
                         len(predictions) / max(time.time() - start, 1e-9))
    if len(predictions) + len(errors) != len(filenames):
        raise RuntimeError(f'{len(predictions)} predictions and {len(errors)} unreadable files for {len(filenames)} '
                           f'files: the loader must visit every sample once, in order (no shuffling or sharding).')
    rows: List[Dict[str, Any]] = []
    ordered = iter(predictions)
    for i, filename in enumerate(filenames):
        if i in errors:
            rows.append({'filename': filename, 'error': errors[i]})
            continue
        idx, vals = next(ordered)
        rows.append({'filename': filename, 'index': idx, 'label': [names[j] for j in idx],
                     output_type: [round(v, 6) for v in vals]})
    if errors:
        _logger.warning('%d of %d files could not be read; their rows hold an error instead of predictions: %s',
                        len(errors), len(filenames), ', '.join(filenames[i] for i in sorted(errors)[:10]))
    return rows
