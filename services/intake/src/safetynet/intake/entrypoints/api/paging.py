"""Paged lists over HTTP: `limit` and `after` query parameters; the body stays the list
it always was, and the next page is named by a `Link: <…>; rel="next"` header (and
`X-Next-Cursor`), absent on the last page."""

from typing import Annotated

from fastapi import HTTPException, Query, Request, Response

from safetynet.intake.domain import paging

Limit = Annotated[int, Query(ge=1, le=paging.MAX_LIMIT, description="Items per page")]
After = Annotated[
    str | None, Query(max_length=400, pattern=r"^[A-Za-z0-9_-]+$", description="The previous page's `X-Next-Cursor`")
]
PAGED = {
    "headers": {
        "Link": {
            "description": 'The next page: `<url>; rel="next"` (absent on the last page)',
            "schema": {"type": "string"},
        },
        "X-Next-Cursor": {"description": "The `after` of the next page", "schema": {"type": "string"}},
    }
}


def bad_cursor() -> HTTPException:
    return HTTPException(422, [{"loc": ["query", "after"], "type": "bad_cursor", "msg": "not a cursor from this list"}])


def link_next(request: Request, response: Response, cursor: str | None) -> None:
    if cursor is None:
        return
    url = request.url.include_query_params(after=cursor)
    response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    response.headers["X-Next-Cursor"] = cursor
