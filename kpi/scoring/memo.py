"""A bounded memo for the pure scorers, keyed by the exact text of their arguments (pure: no ORM, no Django).

The monthly form's live preview scores one branch at every keystroke, and a keystroke changes one component:
the indicators that do not read it have the very inputs they had a keystroke ago. Their explained scores and
next steps are looked up rather than worked out again (kpi.scoring.window, kpi.scoring.next_step).

The key is the subject's identity (the parsed indicator, kept alive by the memo) and the other arguments' repr,
not their hash: Decimal("1.0") == Decimal("1.00"), but an explanation writes them differently. Only pure
functions of their arguments may be memoised here, and what they return must not be changed by the caller (or
is copied by it).
"""


class Memo:
    """Results of a pure function by its subject (an object, by identity: a parsed indicator, shared by every version
    that defines it alike) and the repr of its other arguments; emptied when it holds `size`."""

    def __init__(self, size: int):
        self._found: dict[tuple[int, str], tuple[object, object]] = {}
        self._size = size

    def get(self, subject, arguments: tuple, compute):
        key = (id(subject), repr(arguments))
        found = self._found.get(key)
        if found is None or found[0] is not subject:  # an id is only reused once its object is gone (we keep it)
            if len(self._found) >= self._size:
                self.clear()
            found = self._found[key] = (subject, compute())
        return found[1]

    def clear(self) -> None:
        self._found.clear()

    def __len__(self) -> int:
        return len(self._found)
