"""Inference input helpers."""
import os
from typing import Tuple

from zoo.data.readers import Reader

__all__ = ['SingleFileReader']


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
