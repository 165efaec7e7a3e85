"""Renaming checkpoint keys by ordered regex rules, for the filters that map an original release to zoo's layout."""
import re
from typing import Dict, Sequence, Tuple, TypeVar

__all__ = ['rename_keys']

V = TypeVar('V')


def rename_keys(state_dict: Dict[str, V], rules: Sequence[Tuple[str, str]]) -> Dict[str, V]:
    """A new dict whose keys went through every (pattern, replacement) of `rules` in order (`re.sub`, all matches).

    Later rules see the output of earlier ones, so a table can first rename whole prefixes and then the parts inside.
    """
    compiled = [(re.compile(pattern), repl) for pattern, repl in rules]
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in compiled:
            key = pattern.sub(repl, key)
        out[key] = value
    return out
