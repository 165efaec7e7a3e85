"""ImageNet-1k class metadata shipped inside the package: class index -> WordNet id -> human-readable name.

The table ``_assets/imagenet_1k.txt`` has one ``<wnid>\\t<name>`` line per class, in class-index order (classes sorted
by wnid, the standard ImageNet-1k order). It was generated once from the file names of the public
``imagenet-sample-images`` collection (``<wnid>_<class_name>.JPEG``, underscores turned into spaces).
"""
import functools
from pathlib import Path
from typing import Dict, List, Tuple

__all__ = ['ImageNetInfo', 'infer_imagenet_subset']

_TABLE = Path(__file__).parent / '_assets' / 'imagenet_1k.txt'


@functools.lru_cache(maxsize=1)
def _load_table() -> Tuple[Tuple[str, str], ...]:
    rows = []
    for line in _TABLE.read_text(encoding='utf-8').splitlines():
        if line.strip():
            wnid, name = line.split('\t', 1)
            rows.append((wnid, name))
    return tuple(rows)


def infer_imagenet_subset(num_classes: int) -> str:
    """Name of the ImageNet label set a classifier with ``num_classes`` outputs most likely uses.

    Only ImageNet-1k metadata is shipped, so this returns ``'imagenet-1k'`` for 1000 (and 1001, background + 1k)
    and raises otherwise.
    """
    if num_classes in (1000, 1001):
        return 'imagenet-1k'
    raise ValueError(f'No ImageNet class info for {num_classes} classes; only imagenet-1k (1000 classes) is shipped.')


class ImageNetInfo:
    """Lookup between ImageNet-1k class index, WordNet id (``n01440764``) and description (``tench``).

    Args:
        subset: Label set; only ``'imagenet-1k'`` (aliases ``'imagenet'``, ``'imagenet1k'``) is available.
    """

    def __init__(self, subset: str = 'imagenet-1k') -> None:
        if subset.lower().replace('_', '-') not in ('imagenet-1k', 'imagenet', 'imagenet1k'):
            raise ValueError(f"Unknown ImageNet subset {subset!r}; only 'imagenet-1k' is shipped with zoo.")
        rows = _load_table()
        self._wnids: List[str] = [wnid for wnid, _ in rows]
        self._names: Dict[str, str] = dict(rows)
        self._index: Dict[str, int] = {wnid: i for i, wnid in enumerate(self._wnids)}

    def num_classes(self) -> int:
        """Number of classes (1000)."""
        return len(self._wnids)

    def label_names(self) -> List[str]:
        """All WordNet ids in class-index order."""
        return list(self._wnids)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self._wnids):
            raise IndexError(f'ImageNet-1k class index {index} out of range 0..{len(self._wnids) - 1}.')

    def index_to_label_name(self, index: int) -> str:
        """WordNet id of class ``index``."""
        self._check_index(index)
        return self._wnids[index]

    def index_to_description(self, index: int, detailed: bool = False) -> str:
        """Human-readable name of class ``index`` (``detailed`` appends the wnid, e.g. ``tench (n01440764)``)."""
        wnid = self.index_to_label_name(index)
        name = self._names[wnid]
        return f'{name} ({wnid})' if detailed else name

    def label_name_to_index(self, label_name: str) -> int:
        """Class index of a WordNet id."""
        if label_name not in self._index:
            raise KeyError(f'{label_name!r} is not an ImageNet-1k WordNet id (expected e.g. n01440764).')
        return self._index[label_name]

    def label_name_to_description(self, label_name: str, detailed: bool = False) -> str:
        """Human-readable name of a WordNet id."""
        return self.index_to_description(self.label_name_to_index(label_name), detailed=detailed)
