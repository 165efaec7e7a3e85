"""Per-epoch summary CSV and output folder helpers."""
import csv
import logging
import os
from typing import Any, Dict, Optional

__all__ = ['get_outdir', 'run_output_dir', 'trim_summary', 'update_summary']

_logger = logging.getLogger(__name__)


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


def _same_folder(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run_output_dir(base: str, name: str, resume: str = '', named: bool = True) -> str:
    """Create and return the folder a training run writes to, never one that holds another run's files.

    A resumed run keeps writing to the folder of the checkpoint it resumes (unless ``named`` asks for another
    folder). Otherwise ``base/name`` is used when it is new or empty; when it already holds files (another run,
    e.g. the same ``--experiment`` again without ``--resume``) the run goes to the first free ``base/name-<n>``,
    as timm does, so checkpoints, best metric and summary.csv of the two runs never mix.

    Args:
        base: Output root (``--output``).
        name: Run folder name (``--experiment`` or a generated name).
        resume: The ``--resume`` checkpoint file or run folder, if any.
        named: ``name`` was chosen by the user (``--experiment``) rather than generated.
    """
    resume_dir = ''
    if resume:
        resume_dir = resume if os.path.isdir(resume) else os.path.dirname(os.path.abspath(resume))
        if not named:
            return resume_dir
    outdir = os.path.join(base, name)
    if not os.path.isdir(outdir) or not os.listdir(outdir) or (resume_dir and _same_folder(outdir, resume_dir)):
        os.makedirs(outdir, exist_ok=True)
        return outdir
    count = 1
    while True:
        candidate = f'{outdir}-{count}'
        try:
            os.makedirs(candidate)  # exist_ok=False: two runs starting together still get different folders
        except FileExistsError:
            count += 1
            continue
        _logger.warning('%s already holds another run; writing this one to %s (pass --resume %s to continue that '
                        'run instead).', outdir, candidate, outdir)
        return candidate


def trim_summary(filename: str, start_epoch: int) -> int:
    """Drop the rows of epochs >= ``start_epoch`` from a summary CSV before those epochs are run again.

    A run resumed from an older checkpoint (e.g. after skipping a corrupt newer one) would otherwise log those
    epochs twice. Returns the number of rows removed.
    """
    if not os.path.isfile(filename):
        return 0
    with open(filename, newline='') as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    kept = [r for r in rows if int(float(r['epoch'])) < start_epoch]
    if len(kept) == len(rows) or not fields:
        return 0
    tmp = f'{filename}.tmp-{os.getpid()}'
    with open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    os.replace(tmp, filename)
    return len(rows) - len(kept)


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
