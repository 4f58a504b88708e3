"""A bounded cache of values made once: documents, pages and prepared answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class BoundedCache:
    """Values made once and kept, the least recently used dropped beyond a number.

    Safe across threads; a value is made outside the lock (two threads may both make it, the
    first one kept). ``make`` answering None keeps nothing: the next call tries again.
    """

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        """Return the value kept under a key, making it with ``make`` the first time."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                return found
        made = make()
        if made is None:
            return None
        with self._lock:
            made = self._values.setdefault(key, made)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._values)


__all__ = ["BoundedCache"]
