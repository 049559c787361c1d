"""What every handler receives: the store, the media store and the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from tams_reference.config import ServerConfig
from tams_reference.media import MediaStore
from tams_reference.store import Store


@dataclass(frozen=True)
class Api:
    store: Store
    media: MediaStore
    config: ServerConfig
