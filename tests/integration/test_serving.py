"""`chophien serve --workers N` (app.serving): each worker on its own socket, the kernel spreads the
connections."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.serving import can_balance

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not can_balance(), reason="SO_REUSEPORT balances connections on Linux only")


async def pid_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the serving process's id."""
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "app.serving", "tests.integration.test_serving:pid_app"),
            *("--port", str(port), "--workers", str(workers)),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )


async def _pids_of_connections(port: int, connections: int) -> list[str]:
    """Opens `connections` keep-alive connections at once, as registers do, and asks each who serves it."""

    async def ask() -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        pid = (await reader.readexactly(length)).decode()
        writer.close()
        return pid

    return list(await asyncio.gather(*(ask() for _ in range(connections))))


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


def test_connections_opened_at_once_are_spread_over_the_workers() -> None:
    port = _free_port()
    server = _serve(port, workers=2)
    try:
        _wait_until_serving(port, server)
        time.sleep(1)  # both workers listening
        pids = asyncio.run(_pids_of_connections(port, 16))
        # With one shared socket the first worker to wake took them all; the kernel hashes each connection
        # to a socket (all 16 on one: 1 chance in 32,768).
        assert len(set(pids)) == 2, pids
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()


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
