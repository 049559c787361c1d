"""Errors raised by tams_spec; their messages are one line that names the thing and the fix."""


class SpecUnavailable(Exception):
    """The TAMS spec files for a version could not be found, fetched or trusted."""


class SpecIntegrityError(SpecUnavailable):
    """A cached or downloaded copy of the spec does not match its pinned digest.

    A subclass of SpecUnavailable so callers need to catch only one error to report it.
    """
