"""The background worker of the asynchronous delete mode.

It takes accepted flow delete requests in order and moves each through created -> started ->
done (or error) with a short pause before each step, so clients can observe the intermediate
states the spec describes.
"""

from __future__ import annotations

import logging
import queue
import threading

from tams_reference.store import Store

log = logging.getLogger(__name__)

STEP_DELAY_S = 0.05
WAKE_UP = ""  # queued on stop so the worker does not wait out its poll


class DeleteWorker:
    """A daemon thread draining ``store.delete_queue``."""

    def __init__(self, store: Store, step_delay_s: float = STEP_DELAY_S) -> None:
        self.store = store
        self.step_delay_s = step_delay_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tams-delete-worker", daemon=True)

    def start(self) -> None:
        for request_id in self.store.pending_delete_requests():
            self.store.delete_queue.put(request_id)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.store.delete_queue.put(WAKE_UP)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                request_id = self.store.delete_queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if request_id == WAKE_UP:
                continue
            try:
                if self._stop.wait(self.step_delay_s):
                    return
                self.store.start_delete_request(request_id)
                if self._stop.wait(self.step_delay_s):
                    return
                self.store.finish_delete_request(request_id)
            except Exception:
                log.exception("flow delete request %s failed", request_id)
