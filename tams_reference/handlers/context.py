"""What every handler receives: the store, the media store and the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from tams_reference.config import ServerConfig
from tams_reference.httputil import paged_response
from tams_reference.media import MediaStore
from tams_reference.paging import Page, shape_headers
from tams_reference.store import Store
from tams_reference.variants import RELATIVE_NEXT_LINKS


@dataclass(frozen=True)
class Api:
    store: Store
    media: MediaStore
    config: ServerConfig

    def paged(
        self,
        request: Request,
        page: Page,
        reverse: bool = False,
        extra: dict[str, str] | None = None,
    ) -> Response:
        """A listing answer; its next link's form follows the ``relative-next-links`` variant."""
        relative = self.config.chose(RELATIVE_NEXT_LINKS)
        response = paged_response(request, page, reverse, extra, relative_link=relative)
        shape_headers(response.headers, page, self.config.faults, self.config.variants)
        return response
