"""`chophien serve --workers N` (app.serving): the workers share one socket and the least busy one
accepts the next connection."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.serving import QUICK_EXIT_SECONDS, can_balance

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(not can_balance(), reason="workers share a socket only where it is inherited"),
    # Serving touches no database: the SQLite run covers it, and the PostgreSQL run saves its time.
    pytest.mark.skipif(os.environ.get("TEST_DB") == "postgres", reason="no database here: run on SQLite"),
]


STUCK_SECONDS = 3.0


async def pid_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the serving process's id; `/stuck` first holds the worker for `STUCK_SECONDS`;
    `/frozen` answers how many objects the garbage collector no longer walks."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/stuck":
        time.sleep(STUCK_SECONDS)  # noqa: ASYNC251 - the point: a request that holds the event loop
    body = str(gc.get_freeze_count() if scope["path"] == "/frozen" else os.getpid()).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int, workers: int, **options: str) -> subprocess.Popen[bytes]:
    """`python -m app.serving` as `chophien serve` runs it; with uvicorn `options` (TLS), `serve()` itself."""
    if options:
        call = f"serve('tests.integration.test_serving:pid_app', host='127.0.0.1', port={port}, "
        call += f"workers={workers}, log_level='warning', **{options!r})"
        command = [sys.executable, "-c", "from app.serving import serve; " + call]
    else:
        command = [
            *(sys.executable, "-m", "app.serving", "tests.integration.test_serving:pid_app"),
            *("--port", str(port), "--workers", str(workers)),
        ]
    return subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE)


@contextlib.contextmanager
def _served(workers: int, **options: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """(port, server process) once it accepts connections; killed afterwards if the test left it running."""
    port = _free_port()
    server = _serve(port, workers, **options)
    try:
        _wait_until_serving(port, server)
        yield port, server
    finally:
        if server.poll() is None:
            server.kill()


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str = "/") -> str:
    writer.write(b"GET %s HTTP/1.1\r\nHost: test\r\n\r\n" % path.encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    return (await reader.readexactly(length)).decode()


async def _pids_of_connections(port: int, connections: int) -> list[str]:
    """Opens `connections` keep-alive connections at once and keeps them, as registers do, then asks on
    each which process serves it."""
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(connections)))
    pids = await asyncio.gather(*(_ask(reader, writer) for reader, writer in opened))
    for _reader, writer in opened:
        writer.close()
    return list(pids)


def _wait_until_serving(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def test_connections_opened_at_once_are_shared_evenly_by_the_workers() -> None:
    with _served(workers=2) as (port, server):
        time.sleep(1)  # both workers accepting
        pids = asyncio.run(_pids_of_connections(port, 16))
        # uvicorn's shared socket gave the first worker to wake all of them; SO_REUSEPORT sockets split them
        # at random (11/5 as often as 8/8). Two workers may each take one as they both become least busy.
        shares = sorted(Counter(pids).values())
        assert len(shares) == 2 and shares[1] - shares[0] <= 2, shares
        # Closed connections leave the counts: the next ones are shared evenly again.
        time.sleep(0.5)
        shares = sorted(Counter(asyncio.run(_pids_of_connections(port, 8))).values())
        assert len(shares) == 2 and shares[1] - shares[0] <= 2, shares
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def test_a_stuck_worker_does_not_hold_up_new_connections() -> None:
    """The least busy worker is offered each connection first; when it is stuck in a long request, the
    others take it after a moment."""

    async def scenario(port: int) -> tuple[str, list[str], float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        stuck = asyncio.create_task(_ask(reader, writer, "/stuck"))
        await asyncio.sleep(0.5)  # its worker is now stuck, holding one connection
        began = time.monotonic()
        others = await _pids_of_connections(port, 6)
        waited = time.monotonic() - began
        return await stuck, others, waited

    with _served(workers=2) as (port, server):
        time.sleep(1)
        stuck_pid, others, waited = asyncio.run(scenario(port))
        assert stuck_pid not in others and len(set(others)) == 1
        assert waited < STUCK_SECONDS / 2  # none waited for the stuck worker
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def test_a_worker_that_dies_is_replaced_and_its_share_goes_to_the_others() -> None:
    with _served(workers=2) as (port, server):
        time.sleep(QUICK_EXIT_SECONDS)  # a worker dying sooner stops the server
        first = set(asyncio.run(_pids_of_connections(port, 4)))
        assert len(first) == 2
        dead = int(min(first))
        os.kill(dead, signal.SIGKILL)
        # Every connection is answered meanwhile (by the live worker until the new one has started).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(asyncio.run(_pids_of_connections(port, 4)))
            assert str(dead) not in now
            if len(now) == 2:
                break
            time.sleep(0.1)
        assert len(now) == 2 and str(dead) not in now, now
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_what_the_app_made_at_start_up_is_kept_out_of_full_collections(workers: int) -> None:
    """A full collection walked every object made at import and start-up (≈ 150 ms, 340 ms seen under
    load) while the worker's requests waited."""

    async def frozen(port: int) -> list[int]:
        opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(workers * 2)]
        counts = [int(await _ask(reader, writer, "/frozen")) for reader, writer in opened]
        for _reader, writer in opened:
            writer.close()
        return counts

    with _served(workers=workers) as (port, server):
        time.sleep(1)
        assert all(count > 1000 for count in asyncio.run(frozen(port)))
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)  # one worker: uvicorn re-raises the signal


def test_a_client_stalling_its_tls_handshake_holds_up_no_one(tmp_path: Path) -> None:
    """With TLS, starting a connection waits for its handshake: done in the accept loop, two clients that
    connect and say nothing would stop both workers accepting."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl makes the test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    async def scenario(port: int) -> tuple[list[str], float]:
        silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]  # no ClientHello
        await asyncio.sleep(0.3)
        began = time.monotonic()
        opened = [await asyncio.open_connection("127.0.0.1", port, ssl=context) for _ in range(4)]
        pids = [await _ask(reader, writer) for reader, writer in opened]
        waited = time.monotonic() - began
        for _reader, writer in [*opened, *silent]:
            writer.close()
        return pids, waited

    with _served(workers=2, ssl_keyfile=str(key), ssl_certfile=str(cert)) as (port, server):
        time.sleep(1)
        pids, waited = asyncio.run(scenario(port))
        assert len(pids) == 4 and waited < 5, waited  # a stalled handshake waits 60 s for its timeout
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"  # exited, not reaped
    except FileNotFoundError:
        return True


def test_workers_stop_when_the_serving_process_is_killed() -> None:
    with _served(workers=2) as (port, server):
        time.sleep(1)
        workers = {int(pid) for pid in asyncio.run(_pids_of_connections(port, 4))}
        assert len(workers) == 2
        server.kill()  # SIGKILL: no chance to stop its workers
        server.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(_gone(pid) for pid in workers):
            time.sleep(0.2)
        assert all(_gone(pid) for pid in workers)
        with pytest.raises(OSError):  # nobody keeps the address
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_an_address_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _serve(port, workers=2)
        try:
            _out, err = server.communicate(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
    assert server.returncode != 0
    assert err.decode().strip().splitlines() == [f"cannot listen on 127.0.0.1:{port}: Address already in use"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_server_with_live_pages_open_stops_at_once(workers: int, tmp_path: Path) -> None:
    """An open live page (a server-sent event stream, which never ends on its own) held SIGTERM's graceful
    shutdown for ever. The streams now end first: the server stops within seconds, and the page sees its
    stream end cleanly (the browser then connects again)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "serving-test",
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = _free_port()
    serve = f"serve('app.asgi:create_app', factory=True, host='127.0.0.1', port={port}, workers={workers})"
    server = subprocess.Popen(
        [sys.executable, "-c", "from app.serving import serve; " + serve],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_serving(port, server)
        streams = []
        for _ in range(3):  # spread over the workers
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(f"GET /live/products/1/stock HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head, head
            streams.append(sock)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        # One worker: uvicorn re-raises the signal once it has shut down cleanly (its exit says SIGTERM).
        assert server.wait(timeout=15) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 10
        for sock in streams:
            rest = b""
            while chunk := sock.recv(4096):  # the stream ends: the server closes the connection
                rest += chunk
            assert rest.endswith(b"0\r\n\r\n") or rest == b"", rest  # chunked encoding's last chunk
            sock.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
