"""HTTP clients for the feed fetcher: aiohttp against httpx, the measurement behind choosing aiohttp.

A server process (aiohttp.web, pinned to the second core) listens on 127.0.0.1 .. 127.0.0.H, port 18766 (one
"outlet" per loopback address, as in ``bench/feeds.py``), and serves one sample article page (by default the
largest of ``samples/feeds/pages/*.html``, served as ``text/html; charset=utf-8`` with an ETag). For each client,
on one asyncio loop in a fresh process pinned to the first core, ``--requests`` GETs are spread round-robin over
the H hosts, with at most 2 in flight per host (a per-host ``asyncio.Semaphore``, as ``producers.feeds.http``
does) and at most ``--concurrency`` over all; every body is streamed in 64 KiB chunks into a buffer capped at
10 MB, as the real fetcher reads it:

* aiohttp: one ``ClientSession`` with a ``TCPConnector(limit=C, limit_per_host=0)`` (the fetcher's settings:
  no cookies kept, 32 KiB header lines), ``resp.content.iter_chunked``;
* httpx: one ``AsyncClient(http1=True, http2=False)`` with ``Limits(max_connections=C,
  max_keepalive_connections=C)``, ``trust_env=False``, ``client.stream`` + ``aiter_bytes``.

Both keep idle connections 15 s, follow no redirects and send the same User-Agent and Accept.

Scenarios (``--scenarios``):

* ``page``: a cold article fetch, 200 with the whole page (identity encoding);
* ``not_modified``: conditional GETs (``If-None-Match`` matching the page's ETag) answered 304 with no body:
  the "re-poll unchanged feeds" case, where per-request overhead is all there is;
* ``gzip``: the same page sent ``Content-Encoding: gzip`` (compressed once by the server), decompressed by the
  client.

Before the timed part each run makes one untimed GET per host (imports, first-call paths; the pool then holds one
connection per host, the timed part opens the second). Each run (client x scenario x round) is its own process,
so its peak RSS is that client's alone. Runs are interleaved (aiohttp, httpx, aiohttp, httpx, ...) for
``--rounds``; reported per client and scenario, as medians and for every run:

* ``req_per_s``: requests per second of wall time of the timed part;
* ``cpu_ms_per_req``: the client process's CPU (``time.process_time``) per request;
* ``client_cpu_share`` / ``server_cpu_share``: CPU over wall time of the client / the server process: a client
  near 1.0 is the bottleneck (its req/s is its own); a server near 1.0 means req/s is capped by the server and
  only CPU per request tells the clients apart;
* ``rss_base_mb`` (after imports and client set-up, before the timed part) and ``peak_rss_mb`` (ru_maxrss);
* ``errors``: exceptions, unexpected statuses, wrong body sizes or encodings (must be 0: the run fails otherwise).

The JSON report goes to stdout, progress and a summary line to stderr.

httpx's CPU per request grows with the number of pooled connections: httpcore 1.0's pool scans all of them
whenever a request starts or ends (``AsyncConnectionPool._assign_requests_to_connections``, see
encode/httpcore#1035), so ``--concurrency 10`` shows its floor; the default of 100 is the fetcher's
``max_connections``.

    python bench/http_clients.py [--requests 3000] [--hosts 50] [--concurrency 100] [--rounds 3]
                                 [--scenarios page,not_modified,gzip] [--page madar-port-expansion.html]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import version
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "samples" / "feeds" / "pages"
PORT = 18766
CLIENT_CORE, SERVER_CORE = 0, 1
CLIENTS = ("aiohttp", "httpx")
SCENARIOS = ("page", "not_modified", "gzip")
ETAG = '"akhbar-page-1"'
HTML = "text/html; charset=utf-8"
PER_HOST = 2  # requests in flight per host: FeedSettings' per_host_concurrency
READ_CHUNK_BYTES = 64 * 1024  # as producers/feeds/http.py (not imported: the httpx runs must not load aiohttp)
MAX_BYTES = 10 * 1024 * 1024
MAX_HEADER_BYTES = 32 * 1024
KEEPALIVE_S = 15.0
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 30.0
RUN_TIMEOUT_S = 300.0
USER_AGENT = "akhbar-bench/1 (+bench/http_clients.py)"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
METRICS = ("req_per_s", "cpu_ms_per_req", "client_cpu_share", "server_cpu_share", "rss_base_mb", "peak_rss_mb")

# One GET: (url, headers) -> (status, body bytes read after decompression, Content-Encoding of the answer)
Get = Callable[[str, dict[str, str]], Awaitable[tuple[int, int, str]]]


@dataclass(frozen=True)
class Job:
    """What one client run does; pickled to the run's process."""

    client: str
    scenario: str
    requests: int
    hosts: int
    concurrency: int
    page_bytes: int
    server_pid: int


def pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core})


def rss_mb() -> float:
    """The current RSS of this process (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of another process (Linux /proc), None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the server ---------------------------------------------------------------------------------------------------
def serve(hosts: int, body: bytes, ready: Event) -> None:
    """The server process: one app on every host address. /p/{i}: the page, or 304 when If-None-Match is its
    ETag; /gz/{i}: the page gzip-encoded when the client accepts gzip."""
    from aiohttp import web

    pin(SERVER_CORE)
    compressed = gzip.compress(body, compresslevel=6)

    async def page(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(body=body, headers={"Content-Type": HTML, "ETag": ETAG})

    async def gzipped(request: web.Request) -> web.Response:
        if "gzip" not in request.headers.get("Accept-Encoding", ""):
            return web.Response(body=body, headers={"Content-Type": HTML, "ETag": ETAG, "Vary": "Accept-Encoding"})
        headers = {"Content-Type": HTML, "Content-Encoding": "gzip", "ETag": ETAG, "Vary": "Accept-Encoding"}
        return web.Response(body=compressed, headers=headers)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/p/{i}", page)
        app.router.add_get("/gz/{i}", gzipped)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for h in range(hosts):
            await web.TCPSite(runner, f"127.0.0.{h + 1}", PORT).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


# -- one client run (in its own process) --------------------------------------------------------------------------
def client_run(job: Job, conn: Connection) -> None:
    pin(CLIENT_CORE)
    try:
        result = asyncio.run(_aiohttp_run(job) if job.client == "aiohttp" else _httpx_run(job))
    except BaseException as exc:
        conn.send({"fatal": f"{type(exc).__name__}: {exc}"})
        raise
    conn.send(result)
    conn.close()


async def _aiohttp_run(job: Job) -> dict[str, Any]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=job.concurrency, limit_per_host=0, keepalive_timeout=KEEPALIVE_S)
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT_S, sock_read=READ_TIMEOUT_S),
        headers={"User-Agent": USER_AGENT},
        cookie_jar=aiohttp.DummyCookieJar(),
        max_line_size=MAX_HEADER_BYTES,
        max_field_size=MAX_HEADER_BYTES,
    )
    async with session:

        async def get(url: str, headers: dict[str, str]) -> tuple[int, int, str]:
            async with session.get(url, headers=headers, allow_redirects=False) as resp:
                body = bytearray()
                async for chunk in resp.content.iter_chunked(READ_CHUNK_BYTES):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        del body[MAX_BYTES:]
                        break
                data = bytes(body)
                return resp.status, len(data), resp.headers.get("Content-Encoding", "")

        return await _drive(job, get)


async def _httpx_run(job: Job) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(
        max_connections=job.concurrency, max_keepalive_connections=job.concurrency, keepalive_expiry=KEEPALIVE_S
    )
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=READ_TIMEOUT_S, pool=None)
    client = httpx.AsyncClient(
        http1=True,
        http2=False,
        limits=limits,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )
    async with client:

        async def get(url: str, headers: dict[str, str]) -> tuple[int, int, str]:
            async with client.stream("GET", url, headers=headers) as resp:
                body = bytearray()
                async for chunk in resp.aiter_bytes(READ_CHUNK_BYTES):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        del body[MAX_BYTES:]
                        break
                data = bytes(body)
                return resp.status_code, len(data), resp.headers.get("Content-Encoding", "")

        return await _drive(job, get)


async def _drive(job: Job, get: Get) -> dict[str, Any]:
    """The warm-up, then the timed GETs: every request its own task, waiting for its host's slot, then for one of
    the ``concurrency`` slots over all hosts (the fetcher's order)."""
    path, headers, want = {
        "page": ("p", {"Accept": PAGE_ACCEPT}, (200, job.page_bytes, "")),
        "not_modified": ("p", {"Accept": PAGE_ACCEPT, "If-None-Match": ETAG}, (304, 0, "")),
        "gzip": ("gz", {"Accept": PAGE_ACCEPT}, (200, job.page_bytes, "gzip")),
    }[job.scenario]
    urls = [f"http://127.0.0.{i % job.hosts + 1}:{PORT}/{path}/{i}" for i in range(job.requests)]
    slots = [asyncio.Semaphore(PER_HOST) for _ in range(job.hosts)]
    sockets = asyncio.Semaphore(job.concurrency)
    errors: dict[str, int] = {}

    async def one(i: int, url: str) -> None:
        async with slots[i % job.hosts], sockets:
            try:
                got = await get(url, headers)
            except Exception as exc:
                key = type(exc).__name__
            else:
                if got == want:
                    return
                key = f"status {got[0]}, {got[1]} bytes, encoding {got[2]!r}"
        errors[key] = errors.get(key, 0) + 1

    await asyncio.gather(*(one(h, url) for h, url in enumerate(urls[: job.hosts])))  # warm-up, one per host
    rss_base = rss_mb()
    server0 = process_cpu_s(job.server_pid)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i, url) for i, url in enumerate(urls)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    server1 = process_cpu_s(job.server_pid)
    server_share = None if server0 is None or server1 is None else round((server1 - server0) / wall, 3)
    return {
        "wall_s": round(wall, 3),
        "req_per_s": round(job.requests / wall, 1),
        "cpu_ms_per_req": round(1000 * cpu / job.requests, 4),
        "client_cpu_share": round(cpu / wall, 3),
        "server_cpu_share": server_share,
        "rss_base_mb": round(rss_base, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def run_once(ctx: Any, job: Job) -> dict[str, Any]:
    """One client run in a fresh (spawned) process: its result, or SystemExit when it failed or hung."""
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=client_run, args=(job, send), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(RUN_TIMEOUT_S):
            raise SystemExit(f"{job.client} {job.scenario}: no result in {RUN_TIMEOUT_S:.0f} s")
        result: dict[str, Any] = recv.recv()
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join(10)
    if "fatal" in result:
        raise SystemExit(f"{job.client} {job.scenario}: {result['fatal']}")
    return result


# -- main ---------------------------------------------------------------------------------------------------------
def pick_page(name: str | None) -> Path:
    pages = sorted(PAGES.glob("*.html"), key=lambda p: (-p.stat().st_size, p.name))
    if not pages:
        raise SystemExit(f"no pages in {PAGES}: run python samples/feeds/make_pages.py")
    if name is None:
        return pages[0]
    path = PAGES / name
    if not path.is_file():
        raise SystemExit(f"no page {path}")
    return path


def medians(runs: list[dict[str, Any]], scenarios: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for scenario in scenarios:
        out[scenario] = {}
        for client in CLIENTS:
            mine = [r for r in runs if r["scenario"] == scenario and r["client"] == client]
            row: dict[str, Any] = {}
            for key in METRICS:
                values = [r[key] for r in mine if r[key] is not None]
                row[key] = round(statistics.median(values), 4) if values else None
            row["errors_total"] = sum(r["errors"] for r in mine)
            out[scenario][client] = row
    return out


def summary(med: dict[str, dict[str, dict[str, Any]]]) -> str:
    parts = []
    for scenario, by_client in med.items():
        a, h = by_client["aiohttp"], by_client["httpx"]
        parts.append(
            f"{scenario}: aiohttp {a['req_per_s']:.0f} vs httpx {h['req_per_s']:.0f} req/s, "
            f"{a['cpu_ms_per_req']:.3f} vs {h['cpu_ms_per_req']:.3f} CPU ms/req, "
            f"peak RSS {a['peak_rss_mb']:.0f} vs {h['peak_rss_mb']:.0f} MB"
        )
    errors = sum(row["errors_total"] for by_client in med.values() for row in by_client.values())
    return "http_clients medians: " + "; ".join(parts) + f"; errors {errors}"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000, help="GETs per run (timed part)")
    ap.add_argument("--hosts", type=int, default=50, help="loopback addresses 127.0.0.1..N served")
    ap.add_argument("--concurrency", type=int, default=100, help="requests in flight over all hosts")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    ap.add_argument("--page", help="file name in samples/feeds/pages (default: the largest page)")
    args = ap.parse_args()
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if unknown := sorted(set(scenarios) - set(SCENARIOS)):
        raise SystemExit(f"unknown scenarios {unknown}: choose from {list(SCENARIOS)}")
    if not 1 <= args.hosts <= 250:
        raise SystemExit("--hosts must be 1..250 (loopback addresses 127.0.0.1..N)")
    if args.requests < args.hosts:
        raise SystemExit("--requests must be at least --hosts")
    page = pick_page(args.page)
    body = page.read_bytes()

    ctx = multiprocessing.get_context("spawn")  # every run starts clean: no library loaded but its own
    ready = ctx.Event()
    server = ctx.Process(target=serve, args=(args.hosts, body, ready), daemon=True)
    server.start()
    runs: list[dict[str, Any]] = []
    try:
        if not ready.wait(30):
            raise SystemExit("the page server did not start")
        assert server.pid is not None
        pin(CLIENT_CORE)  # the client runs on one core, the server on the other
        for rnd in range(1, args.rounds + 1):
            for scenario in scenarios:
                for client in CLIENTS:
                    job = Job(client, scenario, args.requests, args.hosts, args.concurrency, len(body), server.pid)
                    result = run_once(ctx, job)
                    runs.append({"round": rnd, "scenario": scenario, "client": client, **result})
                    print(
                        f"round {rnd} {scenario:12} {client:7} {result['req_per_s']:8.0f} req/s "
                        f"{result['cpu_ms_per_req']:.3f} CPU ms/req  peak RSS {result['peak_rss_mb']:.0f} MB  "
                        f"server CPU {result['server_cpu_share']}  errors {result['errors']}",
                        file=sys.stderr,
                    )
    finally:
        server.terminate()
        server.join(10)

    med = medians(runs, scenarios)
    report = {
        "bench": "http_clients",
        "versions": {
            "python": platform.python_version(),
            "aiohttp": version("aiohttp"),
            "httpx": version("httpx"),
            "httpcore": version("httpcore"),
            "h11": version("h11"),
        },
        "params": {
            "requests": args.requests,
            "hosts": args.hosts,
            "concurrency": args.concurrency,
            "per_host": PER_HOST,
            "rounds": args.rounds,
            "scenarios": scenarios,
            "read_chunk_bytes": READ_CHUNK_BYTES,
            "max_bytes": MAX_BYTES,
            "client_core": CLIENT_CORE,
            "server_core": SERVER_CORE,
            "cpus": os.cpu_count(),
        },
        "page": {
            "file": str(page.relative_to(ROOT)),
            "bytes": len(body),
            "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
        },
        "medians": med,
        "runs": runs,
    }
    print(json.dumps(report, indent=2))
    print(summary(med), file=sys.stderr)
    if any(r["errors"] for r in runs):
        raise SystemExit("bench invalid: some requests failed (see error_kinds)")


if __name__ == "__main__":
    main()
