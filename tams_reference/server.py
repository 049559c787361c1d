"""ReferenceServer: the store, the media store and the WSGI app on a background thread."""

from __future__ import annotations

import contextlib
import logging
import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from tams_reference.app import TamsApp
from tams_reference.config import S3Settings, ServerConfig
from tams_reference.delivery import DeliveryWorker
from tams_reference.handlers.context import Api
from tams_reference.keepalive import Connections, KeepAliveHandler
from tams_reference.media import MediaStore
from tams_reference.store import Store
from tams_reference.store.flows import BasicValidator, RequestValidator
from tams_reference.worker import DeleteWorker

log = logging.getLogger(__name__)

OWN_S3_BUCKET = "media"
OWN_S3_REGION = "us-east-1"


def load_validator(config: ServerConfig) -> tuple[RequestValidator, list[str]]:
    """The spec validator for flow bodies, or the basic one with a warning saying why."""
    try:
        from tams_spec import SpecUnavailable, get_validator
    except ImportError:
        return BasicValidator(), ["tams_spec is not installed; flow bodies get basic checks only"]
    try:
        return get_validator(config.api_version, config.spec_dir), []
    except SpecUnavailable as exc:
        return BasicValidator(), [f"TAMS spec unavailable ({exc}); flow bodies get basic checks"]


class ReferenceServer:
    """The embedded reference TAMS server; use as a context manager.

    With ``config.s3 = None`` it starts its own mock S3 (``s3_profile``, strict by default) and
    stops it again on exit.
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        s3_profile: str = "strict",
        s3_enforce_region: bool = False,
    ) -> None:
        self.config = config or ServerConfig()
        self.s3_profile = s3_profile
        self.s3_enforce_region = s3_enforce_region
        self.host = host
        self.port = port
        self.warnings: list[str] = []
        self.s3_settings: S3Settings | None = None
        self.store: Store | None = None
        self._stack = contextlib.ExitStack()
        self._httpd: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the reference server is not running; call start() first")
        return f"http://{self.host}:{self._httpd.server_port}"

    @property
    def own_s3_endpoint(self) -> str | None:
        """The endpoint of the mock S3 this server started, or None when given one."""
        return self.s3_settings.endpoint if self.config.s3 is None and self.s3_settings else None

    def start(self) -> ReferenceServer:
        try:
            self.s3_settings = self.config.s3 or self._start_own_s3()
            validator, self.warnings = load_validator(self.config)
            media = MediaStore(
                self.s3_settings,
                self.config.faults,
                self.config.presign_expiry_s,
                self.config.variants,
            )
            media.ensure_bucket()
            self.store = Store(self.config, media, validator)
            self._stack.callback(self.store.close)
            worker = DeleteWorker(self.store)
            worker.start()
            self._stack.callback(worker.stop)
            deliveries = DeliveryWorker(self.store)
            deliveries.start()
            self._stack.callback(deliveries.stop)
            app = TamsApp(Api(self.store, media, self.config))
            self._httpd = make_server(
                self.host, self.port, app, threaded=True, request_handler=KeepAliveHandler
            )
            connections = Connections()
            self._httpd.track_connection = connections.track  # type: ignore[attr-defined]
            self._stack.callback(connections.close_all)
            self._stack.callback(self._httpd.server_close)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="tams-reference",
                daemon=True,
            )
            self._thread.start()
            self._stack.callback(self._httpd.shutdown)
        except BaseException:
            self._stack.close()
            raise
        return self

    def stop(self) -> None:
        self._stack.close()
        self._httpd = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_own_s3(self) -> S3Settings:
        """A mock S3 on loopback with random credentials and the ``media`` bucket."""
        from mock_s3 import MockS3

        s3 = MockS3(
            profile=self.s3_profile,
            region=OWN_S3_REGION,
            buckets=[OWN_S3_BUCKET],
            enforce_region=self.s3_enforce_region,
        )
        self._stack.enter_context(s3)
        return S3Settings(s3.endpoint, s3.access_key, s3.secret_key, OWN_S3_BUCKET, OWN_S3_REGION)
