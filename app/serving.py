"""Serving with several worker processes that share the connections evenly.

uvicorn's own workers share one listening socket, and a worker that wakes up accepts every connection
waiting at that moment. Registers keep their connection open while they sell, so when several connect at
once one worker can end up with nearly all of them — busy on one core while another worker idles (the
sales benchmark, 16 registers and 2 workers, measured anything from 280 to 435 sales/s for the same code,
as the connections happened to fall). On Linux each worker here listens on its own socket bound to the
same address with SO_REUSEPORT, and the kernel spreads new connections across the sockets. Elsewhere, and
with one worker or `reload`, it is uvicorn's usual serving.

`python -m app.serving MODULE:APP [--factory] [--host H] [--port P] [--workers N]` serves any ASGI app this
way (the benchmarks serve bare apps beside ours); `chophien serve` serves ours.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("app.serving")
QUICK_EXIT_SECONDS = 5.0  # a worker that dies this soon after starting will not do better when restarted


def can_balance() -> bool:
    """SO_REUSEPORT spreads connections across sockets on Linux only (BSD and macOS let the last one win)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _worker(options: dict[str, Any]) -> None:
    config = uvicorn.Config(**options)
    uvicorn.Server(config).run(sockets=[listening_socket(config.host, config.port)])


def serve(app: str, *, host: str, port: int, workers: int = 1, **options: Any) -> None:
    """Serve `app` (uvicorn's "module:attribute") with `workers` processes; other options are uvicorn's."""
    options = {"app": app, "host": host, "port": port, **options}
    if workers <= 1 or options.get("reload") or not can_balance():
        uvicorn.run(workers=workers, **options)
        return
    # Bound first here, so an address in use is one clear error, not workers failing one after another.
    # Not listening, it is never given a connection.
    try:
        reserved = listening_socket(host, port)
    except OSError as error:
        sys.exit(f"cannot listen on {host}:{port}: {error.strerror}")
    context = multiprocessing.get_context("spawn")
    started: dict[int, float] = {}

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(options,), daemon=False)
        process.start()
        started[id(process)] = time.monotonic()
        return process

    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    failed = False
    try:
        while not stopping:
            time.sleep(0.2)
            for index, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started[id(process)] < QUICK_EXIT_SECONDS:
                    log.error("a worker exited at start (code %s): stopping", process.exitcode)
                    failed = stopping = True
                    break
                log.warning("a worker exited (code %s): starting another", process.exitcode)
                processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(timeout=30)
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("app", help="module:attribute of the ASGI app")
    parser.add_argument("--factory", action="store_true", help="the attribute makes the app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    serve(
        args.app,
        factory=args.factory,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
