"""Training curves from a run's ``summary.csv`` and bar charts from benchmark.py's CSV, as PNG files.

matplotlib is an optional extra (``pip install matplotlib`` or ``pip install zoo[plot]``); without it
:func:`try_plot_summary` logs how to install it and returns None. Figures are drawn on matplotlib's Agg canvas
directly (no ``pyplot``), so plotting never changes the caller's matplotlib backend or global state.

Command line::

    python -m zoo.utils.plot_summary output/train/<run>/summary.csv      # writes summary.png next to it
"""
import argparse
import csv
import logging
import math
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ['INSTALL_HINT', 'plot_summary', 'try_plot_summary', 'plot_benchmark', 'read_csv_rows']

_logger = logging.getLogger(__name__)

INSTALL_HINT = 'install matplotlib to get PNG plots: pip install matplotlib (or pip install "zoo[plot]")'

# (panel title, y label, summary.csv columns drawn in it); a panel whose columns are all absent is left out
_SUMMARY_PANELS = (
    ('Loss', 'loss', ('train_loss', 'eval_loss')),
    ('Accuracy', 'accuracy (%)', ('eval_top1', 'eval_top5')),
    ('Learning rate', 'lr', ('lr',)),
)


def read_csv_rows(path: str) -> List[Dict[str, str]]:
    """The rows of a CSV file as dicts (raises FileNotFoundError / ValueError naming the file)."""
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f'{path} has no data rows to plot.')
    return rows


def _number(value: Optional[str]) -> float:
    try:
        return float(value) if value not in (None, '') else math.nan
    except ValueError:
        return math.nan


def _figure(num_axes: int, width: float, height: float) -> Tuple[Any, List[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=100, layout='constrained')
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, num_axes, i + 1) for i in range(num_axes)]
    return fig, axes


def plot_summary(summary_csv: str, out_path: Optional[str] = None) -> Tuple[str, Any]:
    """Draw loss, top-1 / top-5 and learning rate per epoch from a ``summary.csv``.

    Args:
        summary_csv: The run's summary file (columns epoch, train_loss, eval_loss, eval_top1, eval_top5, lr).
        out_path: PNG to write (default ``summary.png`` next to the CSV).

    Returns:
        (the PNG path, the matplotlib Figure).

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: The CSV has no epoch column or no rows.
    """
    from matplotlib.ticker import MaxNLocator
    rows = read_csv_rows(summary_csv)
    if 'epoch' not in rows[0]:
        raise ValueError(f'{summary_csv} has no epoch column; is it a train.py summary.csv?')
    epochs = [_number(r['epoch']) for r in rows]
    panels = [p for p in _SUMMARY_PANELS if any(c in rows[0] for c in p[2])]
    fig, axes = _figure(len(panels), 4.2 * len(panels), 3.4)
    for ax, (title, ylabel, columns) in zip(axes, panels):
        for column in columns:
            if column in rows[0]:
                ax.plot(epochs, [_number(r[column]) for r in rows], marker='o', markersize=3, label=column)
        ax.set_title(title)
        ax.set_xlabel('epoch')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if len(columns) > 1:
            ax.legend()
    # a run's summary.csv is named after its run folder, a copied one after its own file name
    name = os.path.basename(summary_csv)
    fig.suptitle(os.path.basename(os.path.dirname(os.path.abspath(summary_csv))) if name == 'summary.csv'
                 else os.path.splitext(name)[0])
    out_path = out_path or os.path.join(os.path.dirname(os.path.abspath(summary_csv)), 'summary.png')
    fig.savefig(out_path)
    return out_path, fig


def try_plot_summary(summary_csv: str, out_path: Optional[str] = None) -> Optional[str]:
    """:func:`plot_summary` that logs instead of failing when matplotlib is missing; returns the PNG path or None."""
    try:
        import matplotlib  # noqa: F401 (only checks that the extra is installed)
    except ImportError:
        _logger.info('No training-curve plot: %s.', INSTALL_HINT)
        return None
    path, _ = plot_summary(summary_csv, out_path)
    _logger.info('Training curves: %s', path)
    return path


def plot_benchmark(results_csv: str, out_path: Optional[str] = None,
                   metrics: Sequence[Tuple[str, str]] = (('samples_per_sec', 'throughput (samples/s)'),
                                                         ('pct_of_peak', '% of GEMM peak'))) -> Tuple[str, Any]:
    """Horizontal bar charts, one panel per metric, with a bar per benchmark.py row (model, mode, precision).

    Args:
        results_csv: CSV written by ``benchmark.py --results-file``.
        out_path: PNG to write (default: the CSV path with a .png extension).
        metrics: (column, axis label) pairs to draw; rows without a value (errors) are left out.

    Returns:
        (the PNG path, the matplotlib Figure).
    """
    rows = [r for r in read_csv_rows(results_csv) if not r.get('error')]
    if not rows:
        raise ValueError(f'{results_csv} has only failed benchmark rows; nothing to plot.')
    labels = [' '.join(v for v in (r.get('model', '?'), r.get('mode', ''), r.get('precision', ''),
                                   f"b{r['batch_size']}" if r.get('batch_size') else '') if v) for r in rows]
    fig, axes = _figure(len(metrics), 5.5 * len(metrics), 1.2 + 0.35 * len(rows))
    for ax, (column, label) in zip(axes, metrics):
        values = [_number(r.get(column)) for r in rows]
        positions = list(range(len(rows)))[::-1]  # first row on top
        ax.barh(positions, [0. if math.isnan(v) else v for v in values], color='tab:blue')
        ax.set_yticks(positions, labels if ax is axes[0] else [''] * len(rows))
        ax.set_xlabel(label)
        ax.grid(axis='x', alpha=0.3)
        for y, v in zip(positions, values):
            if not math.isnan(v):
                ax.annotate(f'{v:g}', (v, y), xytext=(3, 0), textcoords='offset points', va='center', fontsize=8)
    out_path = out_path or os.path.splitext(results_csv)[0] + '.png'
    fig.savefig(out_path)
    return out_path, fig


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description='Plot training curves from a train.py summary.csv.')
    parser.add_argument('summary', nargs='+', help='summary.csv file(s), or run folders holding one')
    parser.add_argument('--out', default=None, help='PNG path (one input only; default summary.png beside it)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    if args.out and len(args.summary) > 1:
        parser.error('--out needs a single summary.csv.')
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        _logger.error('matplotlib is missing: %s.', INSTALL_HINT)
        return 1
    for path in args.summary:
        csv_path = os.path.join(path, 'summary.csv') if os.path.isdir(path) else path
        png, _ = plot_summary(csv_path, args.out)
        _logger.info('Wrote %s', png)
    return 0


if __name__ == '__main__':
    sys.exit(main())
