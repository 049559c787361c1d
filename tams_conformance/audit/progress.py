"""The progress bar on stderr (tqdm): flows, then objects, with counts and an estimate.

Off when stderr is not a terminal (CI logs get the final line only) or with --no-progress.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from tqdm import tqdm

from tams_conformance.audit.findings import Finding


class Progress:
    def __init__(self, enabled: bool | None = None, budget: Any = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.budget = budget
        self.findings = 0
        self._lock = threading.Lock()
        self._bar: Any = None
        self._open("flows", None)

    def _open(self, unit: str, total: int | None) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = tqdm(
            total=total,
            unit=f" {unit}",
            desc=f"audit {unit}",
            file=sys.stderr,
            disable=not self.enabled,
            dynamic_ncols=True,
            leave=False,
        )

    def total_flows(self, total: int) -> None:
        with self._lock:
            self._bar.total = total
            self._bar.refresh()

    def phase(self, name: str, total: int) -> None:
        with self._lock:
            self._open(name, total)

    def flow_done(self) -> None:
        self.item_done()

    def item_done(self) -> None:
        with self._lock:
            self._bar.update(1)
            if self.budget is not None and self._bar.n % 20 == 0:
                self._bar.set_postfix(requests=self.budget.used, findings=self.findings)

    def finding(self, finding: Finding) -> None:
        with self._lock:
            self.findings += 1

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
