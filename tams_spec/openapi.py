"""Operations of the TAMS OpenAPI document, and the routing of concrete paths to them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True, eq=False)
class Operation:
    """One documented operation; responses and request body have their ``$ref`` resolved."""

    method: str  # upper case
    template: str  # "/flows/{flowId}/segments"
    operation_id: str
    responses: Mapping[str, Mapping[str, Any]]  # "200" / "2XX" / "default" -> response object
    request_body: Mapping[str, Any] | None

    def response_for(self, status: int) -> Mapping[str, Any] | None:
        """The response documented for status: exact code, else ``2XX`` range, else default."""
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in self.responses:
                return self.responses[key]
        return None

    def statuses(self) -> set[int]:
        """Documented numeric status codes (range keys and ``default`` name no single code)."""
        return {int(key) for key in self.responses if key.isdigit()}


def json_schema_of(content_owner: Mapping[str, Any] | None) -> Any | None:
    """The ``application/json`` schema of a response or request body object, if it has one."""
    if not content_owner:
        return None
    media = (content_owner.get("content") or {}).get(JSON_MEDIA_TYPE)
    return media.get("schema") if isinstance(media, Mapping) else None


def load_operations(document: Mapping[str, Any], resolve: Callable[[Any], Any]) -> list[Operation]:
    """Every path operation of the document; resolve follows ``$ref`` of OpenAPI objects."""
    operations = []
    for template, path_item in (document.get("paths") or {}).items():
        path_item = resolve(path_item)
        for method in HTTP_METHODS:
            op = path_item.get(method)
            if not isinstance(op, Mapping):
                continue
            responses = {
                str(status): resolve(response)
                for status, response in (op.get("responses") or {}).items()
            }
            body = op.get("requestBody")
            operations.append(
                Operation(
                    method=method.upper(),
                    template=template,
                    operation_id=op.get("operationId", f"{method.upper()} {template}"),
                    responses=responses,
                    request_body=resolve(body) if body is not None else None,
                )
            )
    return operations


def _segments(path: str) -> list[str]:
    return path[1:].split("/") if path not in ("", "/") else []


class Router:
    """Map a concrete request path (relative to the API base) to its path template.

    Parameters match exactly one raw path segment; an ``objectId`` holding a ``/`` must be sent
    URL-encoded (``a%2Fb``), and the raw, still-encoded path is matched, so it stays one segment.
    When several templates match, literal segments win over parameters, leftmost first.
    """

    def __init__(self, operations: Iterable[Operation]) -> None:
        by_template: dict[str, dict[str, Operation]] = {}
        for op in operations:
            by_template.setdefault(op.template, {})[op.method] = op
        self._routes: dict[int, list[tuple[list[str | None], dict[str, Operation]]]] = {}
        for template, methods in by_template.items():
            pattern = [None if s.startswith("{") else s for s in _segments(template)]
            self._routes.setdefault(len(pattern), []).append((pattern, methods))
        for routes in self._routes.values():
            routes.sort(key=lambda route: [segment is None for segment in route[0]])

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for method on path (query string ignored), or None if undocumented."""
        path = path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith("/"):
            path = "/" + path
        segments = _segments(path)
        for pattern, methods in self._routes.get(len(segments), []):
            if all(
                (seg != "" if lit is None else seg == lit)
                for lit, seg in zip(pattern, segments, strict=True)
            ):
                return methods.get(method.upper())
        return None
