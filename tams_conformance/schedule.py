"""Under xdist, the longest checks start first, one to a worker.

xdist's `load` scheduler hands each worker a chunk of consecutive tests in collection order; the
race and deletion checks (long chains of dependent requests) then end up on whichever worker
meets them last, and the run waits for that one worker at the end. This scheduler orders the
pending checks by how long they take (a static table of modules, longest first; the rest keep
their collection order), gives one of the longest to each worker, and then goes on as `load`
does. Used for `--dist load` (what `-n N` implies); other `--dist` modes are left as they are.
"""

from __future__ import annotations

from itertools import cycle
from typing import Any

import pytest

# Check modules by how long each of their checks takes, longest first (per-check durations of a
# whole-suite run: the race checks run 20 rounds each, the deletion checks build, snapshot,
# delete and snapshot a graph of flows). Matched against the node id's file name.
LONGEST_FIRST = (
    "test_deletion_race.py",
    "test_deletion_cascade.py",
    "test_deletion_spec.py",
    "test_deletion_spec_segments.py",
)


def rank(nodeid: str) -> int:
    """Position of a node id's module in LONGEST_FIRST (after all of them when not listed)."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    for index, module in enumerate(LONGEST_FIRST):
        if name == module:
            return index
    return len(LONGEST_FIRST)


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    """The scheduler for `--dist load`, or None to let xdist choose (other modes)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScheduling

    class LongestFirstScheduling(LoadScheduling):
        def schedule(self) -> None:
            if self.collection is not None or not self._check_nodes_have_same_collection():
                super().schedule()  # a rescheduling, or the collections differ (xdist aborts)
                return
            self.collection = next(iter(self.node2collection.values()))
            if not self.collection:
                return
            order = sorted(range(len(self.collection)), key=lambda i: rank(self.collection[i]))
            self.pending[:] = order
            if self.maxschedchunk is None:
                self.maxschedchunk = len(self.collection)
            # One of the longest to each worker first, then chunks as `load` sends them.
            nodes = cycle(self.nodes)
            for _ in range(min(len(self.nodes), len(self.pending))):
                self._send_tests(next(nodes), 1)
            per_node = len(self.collection) // len(self.node2pending)
            chunk = max(min(per_node // 4, self.maxschedchunk), 1)
            for node in self.nodes:
                if self.pending:
                    self._send_tests(node, chunk)
            if not self.pending:
                for node in self.nodes:
                    node.shutdown()

    return LongestFirstScheduling(config, log)
