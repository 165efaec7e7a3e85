"""Per-epoch summary CSV and output folder helpers."""
import csv
import os
from typing import Any, Dict, Optional

__all__ = ['get_outdir', 'update_summary']


def get_outdir(path: str, *paths: str, inc: bool = False) -> str:
    """Create (if needed) and return ``path/*paths``.

    Args:
        path: Base folder.
        *paths: Sub folders.
        inc: When the folder exists, use the first free ``<folder>-<n>`` instead.
    """
    outdir = os.path.join(path, *paths)
    if os.path.exists(outdir) and inc:
        count = 1
        while os.path.exists(f'{outdir}-{count}'):
            count += 1
        outdir = f'{outdir}-{count}'
    os.makedirs(outdir, exist_ok=True)
    return outdir


def update_summary(
        epoch: int,
        train_metrics: Dict[str, Any],
        eval_metrics: Optional[Dict[str, Any]],
        filename: str,
        lr: Optional[float] = None,
        write_header: bool = False,
) -> None:
    """Append one row ``epoch, train_<k>..., eval_<k>..., lr`` to a CSV file.

    Args:
        epoch: Epoch index.
        train_metrics: Training metrics (e.g. loss).
        eval_metrics: Evaluation metrics (e.g. loss, top1, top5), or None.
        filename: CSV path.
        lr: Learning rate of the epoch.
        write_header: Write the header row first (new file).
    """
    row: Dict[str, Any] = {'epoch': epoch}
    row.update({f'train_{k}': v for k, v in train_metrics.items()})
    if eval_metrics:
        row.update({f'eval_{k}': v for k, v in eval_metrics.items()})
    if lr is not None:
        row['lr'] = lr
    with open(filename, mode='a', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if write_header:
            writer.writeheader()
        writer.writerow(row)
