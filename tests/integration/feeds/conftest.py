"""A real HTTP server on 127.0.0.1 for the feed tests: feeds, sitemaps and pages as routes set by the test.

The server is aiohttp.web on its own event loop in a background thread (port 0), so a test's client runs on its
own loop in the test's thread, as in production. It needs no Kafka or Elasticsearch: nothing here requests the
``stack_settings`` fixture chain of ``tests/integration/conftest.py``.

    def test_x(feed_server: FeedServer) -> None:
        feed_server.route("/feed.xml", body=RSS, etag='"v1"')
        ... fetch feed_server.url("/feed.xml") ...
        assert feed_server.hits("/feed.xml") == 1

``feed_server_factory()`` starts more servers (another host, another port) in the same test.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import pytest
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
START_TIMEOUT_S = 10.0  # a loopback server starts in milliseconds; on a loaded 2-core machine allow ten seconds
SHUTDOWN_TIMEOUT_S = 1.0  # handlers still running at teardown (a slow-loris drip) are cancelled after this


@dataclass(frozen=True)
class _Route:
    body: bytes
    status: int
    content_type: str
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    handler: Handler | None
    delay_s: float


class FeedServer:
    """One HTTP server on 127.0.0.1; routes, hits, request headers and concurrency per path.

    A request matches the route of its path with its query string first, then of its path alone; the hits and
    headers are recorded under the path it matched (under its path alone when nothing matched: a 404).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._requests: dict[str, list[dict[str, str]]] = {}
        self._events: list[tuple[str, int]] = []  # (path, +1 at a request's start / -1 at its end), in order
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="feed-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- the test's side ---------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        *,
        body: bytes | str = b"",
        status: int = 200,
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        handler: Handler | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """Serve ``path`` (replacing an earlier route): a static answer, 304 to a conditional GET matching
        ``etag``/``last_modified``, or ``handler`` in full control. ``delay_s`` waits before answering."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = _Route(
                data, status, content_type, dict(headers or {}), etag, last_modified, handler, delay_s
            )

    def remove(self, path: str) -> None:
        """The path answers 404 from now on."""
        with self._lock:
            self._routes.pop(path, None)

    def hits(self, path: str) -> int:
        """Requests received for the path, every method."""
        with self._lock:
            return len(self._requests.get(path, []))

    def requests(self, path: str) -> list[dict[str, str]]:
        """The headers of each request received for the path, in order."""
        with self._lock:
            return [dict(h) for h in self._requests.get(path, [])]

    def max_concurrent(self, host_path_prefix: str = "/") -> int:
        """The most requests that were in flight at once among the paths starting with the prefix."""
        with self._lock:
            events = [step for path, step in self._events if path.startswith(host_path_prefix)]
        return max(itertools.accumulate(events), default=0)

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(START_TIMEOUT_S)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(START_TIMEOUT_S + SHUTDOWN_TIMEOUT_S)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_S)
            self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        current = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not current]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    # -- the server's side ---------------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            key = request.path_qs if request.path_qs in self._routes else request.path
            route = self._routes.get(key)
            self._requests.setdefault(key, []).append(dict(request.headers))
            self._events.append((key, 1))
        try:
            if route is not None and route.delay_s:
                await asyncio.sleep(route.delay_s)
            if route is None:
                response: web.StreamResponse = web.Response(status=404, text="not found")
            elif route.handler is not None:
                response = await route.handler(request)
            else:
                response = _static(route, request)
            if not response.prepared:  # finish it here, so a request counts as in flight until its last byte
                await response.prepare(request)
                await response.write_eof()
            return response
        finally:
            with self._lock:
                self._events.append((key, -1))


def _static(route: _Route, request: web.Request) -> web.Response:
    validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
    headers = {name: value for name, value in validators.items() if value is not None}
    if _not_modified(route, request):
        return web.Response(status=304, headers=headers)
    headers.update({"Content-Type": route.content_type, **route.headers})
    return web.Response(status=route.status, body=route.body, headers=headers)


def _not_modified(route: _Route, request: web.Request) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when sent; else If-Modified-Since against Last-Modified."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if route.etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or route.etag.removeprefix("W/") in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since is None or route.last_modified is None:
        return False
    try:
        return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


@pytest.fixture()
def feed_server_factory() -> Iterator[Callable[[], FeedServer]]:
    """Starts servers on demand (one per host a test needs); all stopped at teardown."""
    servers: list[FeedServer] = []

    def start() -> FeedServer:
        server = FeedServer()
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture()
def feed_server(feed_server_factory: Callable[[], FeedServer]) -> FeedServer:
    return feed_server_factory()
