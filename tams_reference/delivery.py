"""The webhook delivery worker: POSTs queued events, in order, with a bounded retry.

Each delivery gets ``1 + webhook_retries`` attempts with a doubling pause; a receiver that
answers no 2xx by then puts its registration in ``error`` (webhook-get.json ``error``), and
one that answers puts it in ``started``. The host is checked again just before connecting:
only loopback and the configured ``webhook_hosts`` are ever contacted.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import queue
import socket
import threading
from urllib.parse import urlsplit

import requests

from tams_reference.store import Store
from tams_reference.store.db import now_iso
from tams_reference.store.webhooks import Delivery

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
FIRST_PAUSE_S = 0.1


class DeliveryWorker:
    """A daemon thread draining ``store.delivery_queue``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.retries = store.config.webhook_retries
        self._stop = threading.Event()
        self._session = requests.Session()
        self._session.trust_env = False  # never through a proxy of the environment
        self._thread = threading.Thread(target=self._run, name="tams-webhooks", daemon=True)

    def start(self) -> None:
        self.store.deliver_now = self.deliver
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.store.delivery_queue.put(None)
        self._thread.join(timeout=5)
        self._session.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivery = self.store.delivery_queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if delivery is not None:
                self.deliver(delivery)

    def deliver(self, delivery: Delivery) -> None:
        pause = FIRST_PAUSE_S
        problem = ""
        for attempt in range(1 + self.retries):
            if attempt and self._stop.wait(pause):
                return
            pause *= 2
            try:
                self._check_host(delivery.url)
                response = self._session.post(
                    delivery.url,
                    data=json.dumps(delivery.body),
                    headers=delivery.headers,
                    timeout=TIMEOUT_S,
                    allow_redirects=False,
                )
            except (requests.RequestException, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= response.status_code < 300:
                self.store.set_webhook_status(delivery.webhook_id, "started")
                return
            problem = f"the receiver answered {response.status_code}"
        log.warning("webhook %s: delivery failed: %s", delivery.webhook_id, problem)
        error = {"type": "DeliveryFailed", "summary": problem[:200], "time": now_iso()}
        self.store.set_webhook_status(delivery.webhook_id, "error", error)

    def _check_host(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        if host in self.store.config.webhook_hosts:
            return
        for info in socket.getaddrinfo(host, None):
            if not ipaddress.ip_address(info[4][0]).is_loopback:
                raise ValueError(f"{host} resolves to a non-loopback address")
