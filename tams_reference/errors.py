"""Errors the model raises; the HTTP layer turns each into its status and an error.json body."""

from __future__ import annotations


class TamsError(Exception):
    """A request the store refuses; ``status`` is the HTTP status the API answers with."""

    status = 500
    type_name = "InternalError"

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


class BadRequest(TamsError):
    status = 400
    type_name = "BadRequest"


class Forbidden(TamsError):
    status = 403
    type_name = "Forbidden"


class NotFound(TamsError):
    status = 404
    type_name = "NotFound"


class Conflict(TamsError):
    status = 409
    type_name = "Conflict"
