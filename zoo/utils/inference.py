"""Inference helpers: a one-file reader and top-k prediction rows in which unreadable files are marked as errors."""
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from zoo.data.readers import Reader
from zoo.utils.progress import ProgressBar
from zoo.utils.train_loop import Runtime

__all__ = ['ResultColumns', 'SingleFileReader', 'lists_as_text', 'predict_rows']

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
        progress_bar: bool = False,
        valid_labels: Optional[Sequence[int]] = None,
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
        progress_bar: Draw a progress bar instead of the periodic log lines.
        valid_labels: Rank only these class indices (the others are never predicted); probabilities are the
            softmax over them. Indices and names stay those of the full model output.
    """
    if output_type not in ('prob', 'logit'):
        raise ValueError(f"output_type must be 'prob' or 'logit', got {output_type!r}.")
    rt = rt or Runtime()
    keep = None if valid_labels is None else torch.as_tensor(list(valid_labels), dtype=torch.long)
    k = min(topk, len(names) if keep is None else len(keep))
    predictions: List[Tuple[List[int], List[float]]] = []
    errors: Dict[int, str] = {}
    start = time.time()
    bar = ProgressBar(len(loader), 'Predict', enabled=progress_bar)
    for batch_idx, batch in enumerate(loader):
        for bad in getattr(batch, 'unreadable', ()):
            errors[bad.index] = f'unreadable image: {bad.error}'
        x = batch[0].to(rt.device)
        if rt.dtype is not None and x.is_floating_point():
            x = x.to(rt.dtype)
        if x.shape[0]:
            if rt.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with rt.autocast():
                out = model(x).float()
            if keep is not None:
                out = out[:, keep.to(out.device)]
            scores = out.softmax(dim=-1) if output_type == 'prob' else out
            values, indices = scores.topk(k, dim=-1)
            if keep is not None:
                indices = keep.to(indices.device)[indices]
            predictions += list(zip(indices.tolist(), values.tolist()))
        if bar.active:
            bar.step(img_s=round(len(predictions) / max(time.time() - start, 1e-9), 1))
        elif log_interval and batch_idx % log_interval == 0:
            _logger.info('Predict: [%d/%d] %.1f img/s', batch_idx, len(loader),
                         len(predictions) / max(time.time() - start, 1e-9))
    bar.close()
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


@dataclass
class ResultColumns:
    """Which columns the rows of :func:`predict_rows` keep, under which names (inference.py's column flags).

    Attributes:
        filename: Name of the file-name column.
        index: Name of the class-index column(s).
        label: Name of the class-name column(s).
        output: Name of the probability / logit column(s) (default: the output type, 'prob' or 'logit').
        include_index: Keep the class indices.
        include_label: Keep the class names.
        include_output: Keep the probabilities / logits.
        separate: One column per rank (``index_0``, ``index_1``, ...) instead of one column holding the top-k
            list (a single value when k is 1).
    """
    filename: str = 'filename'
    index: str = 'index'
    label: str = 'label'
    output: Optional[str] = None
    include_index: bool = False
    include_label: bool = True
    include_output: bool = True
    separate: bool = False

    def shape(self, rows: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Rows of :func:`predict_rows` restricted to and renamed by these columns (error rows keep ``error``)."""
        if not (self.include_index or self.include_label or self.include_output):
            raise ValueError('no result column left: --exclude-output needs class indices (--include-index) or '
                             'labels (a --label-type other than none).')
        shaped = []
        for row in rows:
            out: Dict[str, Any] = {self.filename: row['filename']}
            if 'error' in row:
                out['error'] = row['error']
                shaped.append(out)
                continue
            output_key = 'prob' if 'prob' in row else 'logit'
            columns = ((self.include_index, 'index', self.index), (self.include_label, 'label', self.label),
                       (self.include_output, output_key, self.output or output_key))
            for keep, key, name in columns:
                if not keep:
                    continue
                values = row[key]
                if self.separate:
                    out.update({f'{name}_{i}': v for i, v in enumerate(values)})
                else:
                    out[name] = values[0] if len(values) == 1 else list(values)
            shaped.append(out)
        return shaped


def lists_as_text(rows: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Rows with list values written as JSON text, so a CSV keeps a top-k list in one cell."""
    return [{k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()} for row in rows]
