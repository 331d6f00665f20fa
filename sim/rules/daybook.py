"""The day book: the day's contacts summed per consumer, and its named columns.

Contacts of the day are scored as they happen and summed per consumer in a
``(N, 8)`` float32 array (two consumers per cache line); a one-byte flag per
consumer marks the rows written, so closing the day reads those rows alone.
float32 sums of a consumer's few events of a day keep 7 significant digits.

The book is used by two passes in turn, each with its own columns:

- the contact passes (scoring, broken response-time promises) write the
  ``CONTACT`` columns, read and cleared by :func:`sim.rules.experience.close_day`;
- the peer pass (:func:`sim.rules.word_of_mouth.deliver`) writes and clears
  the ``PEER`` columns within one call.

:class:`DayBook` records which layout holds data, so a phase that would read
one layout while the other is pending raises instead of corrupting results.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOOK_COLUMNS", "DayBook"]

BOOK_COLUMNS = 8

# Contact columns (scoring passes, closed by experience.close_day).
WEIGHT = 0                 #: sum of contact weights (evidence units)
WEIGHTED_QUALITY = 1       #: sum of perceived quality x weight
WEIGHTED_SATISFACTION = 2  #: sum of satisfaction x weight
POSITIVE = 3               #: positive evidence
NEGATIVE = 4               #: negative evidence
RECOGNITION = 5            #: recognition value received
COUNT = 6                  #: number of events
CONTACT_COLUMNS = 7

# Peer columns (word-of-mouth delivery, cleared by the same pass).
PEER_POSITIVE = 0          #: positive evidence about one's own firm
PEER_NEGATIVE = 1          #: negative evidence about one's own firm
PEER_COUNT = 2             #: peer messages received
PEER_PREDICTED_GAP = 3     #: sum of (reported quality - predicted level)
PEER_DESIRED_GAP = 4       #: sum of max(reported quality - desired level, 0)
PEER_WARNINGS = 5          #: warnings received
PEER_COLUMNS = 6


class DayBook:
    """The book's arrays and which layout currently holds data."""

    def __init__(self, n: int):
        self.values = np.zeros((n, BOOK_COLUMNS), np.float32)
        self.touched = np.zeros(n, np.uint8)      # rows written since the book was last cleared
        self.hits = np.empty(n, np.int32)         # scratch: rows touched by the peer pass
        self.pending: str | None = None           # "contacts" while contact rows await closing

    def open(self, layout: str) -> DayBook:
        """Declare that a pass writes ``layout`` ("contacts" or "peer"); refuse to mix layouts."""
        if self.pending not in (None, layout):
            raise RuntimeError(f"day book: {layout} pass while {self.pending} rows are pending; "
                               "phases out of order")
        if layout == "contacts":
            self.pending = "contacts"
        return self

    def closed(self) -> None:
        """The pending rows were read and cleared."""
        self.pending = None
