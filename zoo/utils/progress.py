"""Progress display for the scripts: a tqdm bar on a terminal, the periodic log lines everywhere else.

A bar is only useful to a person watching: under CI, a pipe or a log file it would write carriage-return noise,
so the default follows whether stderr (where the bar is drawn) is a terminal.
"""
import sys
from typing import Any, Optional, TextIO

__all__ = ['ProgressBar', 'use_progress_bar']


def use_progress_bar(requested: Optional[bool] = None, stream: Optional[TextIO] = None) -> bool:
    """Whether to draw a bar.

    Args:
        requested: True / False from a flag; None decides by the terminal.
        stream: Stream the bar draws on (default ``sys.stderr``).
    """
    if requested is not None:
        return requested
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, 'isatty', None)
    return bool(isatty and isatty())


class ProgressBar:
    """A tqdm bar over ``total`` batches that shows running statistics; does nothing when disabled.

    Args:
        total: Number of steps (batches).
        desc: Text before the bar ('Train 3', 'Test').
        enabled: Draw the bar; when False every method is a no-op.
        stream: Stream to draw on (default ``sys.stderr``).
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, stream: Optional[TextIO] = None) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm  # a dependency of huggingface_hub; imported late to keep `import zoo` fast
            self._bar = tqdm(total=total, desc=desc, unit='batch', file=stream or sys.stderr, dynamic_ncols=True,
                             leave=True)  # the finished bar stays as the pass's summary line

    @property
    def active(self) -> bool:
        return self._bar is not None

    def step(self, count: int = 1, **stats: Any) -> None:
        """Advance by ``count`` steps and show ``stats`` (floats are printed with 4 significant digits)."""
        if self._bar is None:
            return
        if stats:
            self._bar.set_postfix({k: f'{v:.4g}' if isinstance(v, float) else v for k, v in stats.items()},
                                  refresh=False)
        self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> 'ProgressBar':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
