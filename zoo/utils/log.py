"""Logging setup for the scripts."""
import logging
import sys
from typing import Optional

__all__ = ['setup_default_logging']


def setup_default_logging(level: int = logging.INFO, log_path: Optional[str] = None) -> None:
    """Send ``zoo`` and script logs to stdout (and optionally a file) with a compact format.

    Args:
        level: Root log level.
        log_path: Also append logs to this file.
    """
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter('%(message)s'))
    root.addHandler(console)
    if log_path:
        file_handler = logging.FileHandler(log_path)
        file_handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(name)s: %(message)s'))
        root.addHandler(file_handler)
