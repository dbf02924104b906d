"""Every guard is a coroutine function: Litestar runs a plain-function guard in a worker thread, a thread
hop on every request it guards (it showed in the served sale's profile)."""

from __future__ import annotations

import inspect

from litestar import Litestar
from litestar.routes import HTTPRoute


def test_every_guard_of_every_route_is_a_coroutine_function(app: Litestar) -> None:
    guarded = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for guard in handler.resolve_guards():
                guarded += 1
                assert inspect.iscoroutinefunction(guard), f"{route.path}: {guard.__qualname__} is not async"
    assert guarded > 50  # the manage pages, the API, the register…
