"""Connections: headers within a deadline, a cap on how many are open, and the serving loop."""

from __future__ import annotations

import asyncio
import enum
import signal
from collections.abc import Callable
from typing import cast

from aiohttp import web

# Answered to a connection over the cap when none can make room: better than a silent close.
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
# A refused client's request may still be on its way; closing on unread data sends a reset that
# makes its kernel drop our 503 unread, so the refusal reads and drops input this long first.
_REFUSED_LINGER = 0.5


class _Phase(enum.Enum):
    HEADERS = "headers"  # waiting for a request's headers: on the clock
    STRANGER = "stranger"  # a handler has it, but not the key yet (DeepStack's is in the form)
    REQUEST = "request"  # a handler has it with the key; the body has its own deadline there
    IDLE = "idle"  # kept alive between requests; aiohttp's keep-alive timeout applies
    REFUSED = "refused"  # answered 503: its input is dropped until it goes or the linger ends


class _Guarded(asyncio.Protocol):
    """aiohttp's protocol for one connection, with the header deadline around it."""

    def __init__(self, guard: ConnectionGuard, inner: web.RequestHandler) -> None:
        self._guard, self.inner = guard, inner
        self.phase = _Phase.HEADERS
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._served = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast("asyncio.Transport", transport)
        if not self._guard.admit(self):
            self.phase = _Phase.REFUSED
            self._transport.write(_BUSY)
            if self._transport.can_write_eof():
                self._transport.write_eof()
            self._timer = asyncio.get_running_loop().call_later(_REFUSED_LINGER, self.close)
            return
        self._served = True
        self.wait_for_headers()
        self.inner.connection_made(transport)

    def wait_for_headers(self) -> None:
        """Start the clock for the next request's headers."""
        self.phase = _Phase.HEADERS
        loop = asyncio.get_running_loop()
        self._disarm()
        self._timer = loop.call_later(self._guard.header_timeout, self._too_slow)

    def handled(self, phase: _Phase) -> None:
        """A handler took the request, trusts it, or finished it."""
        self._disarm()
        self.phase = phase

    def close(self) -> None:
        """Hang up."""
        self._disarm()
        if self._transport is not None:
            self._transport.close()

    def _too_slow(self) -> None:
        self._timer = None
        if self.phase is _Phase.HEADERS:
            self._guard.header_timeouts += 1
            self.close()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        if self.phase is _Phase.REFUSED:
            return
        if self.phase is _Phase.IDLE:  # the next request begins: its headers are on the clock
            self.wait_for_headers()
        self.inner.data_received(data)

    def eof_received(self) -> None:
        if self._served:
            self.inner.eof_received()
        else:  # a refused client has read its 503 and gone
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._guard.forget(self)
        if self._served:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class ConnectionGuard:
    """Every open connection, oldest first; the middleware says when a request is handled."""

    def __init__(self, header_timeout: float, limit: int) -> None:
        self.header_timeout, self.limit = header_timeout, limit
        self._open: dict[web.RequestHandler, _Guarded] = {}
        self.header_timeouts = 0
        self.evicted = 0
        self.refused = 0

    def protocol(self, factory: Callable[[], web.RequestHandler]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for `loop.create_server` around aiohttp's."""
        return lambda: _Guarded(self, factory())

    def admit(self, conn: _Guarded) -> bool:
        """Room for one more? When full, the oldest stranger (else the oldest idle) makes room."""
        if len(self._open) >= self.limit:
            waiting = [c for c in self._open.values() if c.phase is not _Phase.REQUEST]
            if not waiting:
                self.refused += 1
                return False
            victim = min(waiting, key=lambda c: c.phase is _Phase.IDLE)  # stable: the oldest
            self.forget(victim)
            victim.close()
            self.evicted += 1
        self._open[conn.inner] = conn
        return True

    def forget(self, conn: _Guarded) -> None:
        """The connection is gone."""
        if self._open.get(conn.inner) is conn:
            del self._open[conn.inner]

    def _set(self, protocol: object, phase: _Phase) -> None:
        if (conn := self._open.get(protocol)) is not None:  # type: ignore[call-overload]
            conn.handled(phase)  # unguarded servers (tests' TestServer) have no entries

    def started(self, protocol: object) -> None:
        """A request's headers are in: a handler has it, from a stranger until the key is seen."""
        self._set(protocol, _Phase.STRANGER)

    def trusted(self, protocol: object) -> None:
        """The request passed the key check: it keeps its connection when the house is full."""
        self._set(protocol, _Phase.REQUEST)

    def finished(self, protocol: object) -> None:
        """The handler answered: the connection idles until the next request begins."""
        self._set(protocol, _Phase.IDLE)

    def snapshot(self) -> dict[str, int]:
        """Counters for `/metrics`."""
        return {
            "open": len(self._open),
            "limit": self.limit,
            "header_timeouts": self.header_timeouts,
            "evicted": self.evicted,
            "refused": self.refused,
        }


class _Site(web.BaseSite):
    """A TCP site whose connections go through a ConnectionGuard."""

    __slots__ = ("_guard", "_host", "_port")

    def __init__(self, runner: web.AppRunner, host: str, port: int, guard: ConnectionGuard) -> None:
        super().__init__(runner)
        self._host, self._port, self._guard = host, port, guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        if server is None:
            raise RuntimeError("the runner is not set up")
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.protocol(server), self._host, self._port, backlog=self._backlog
        )


async def _serve(
    app: web.Application, guard: ConnectionGuard, host: str, port: int, shutdown_timeout: float
) -> None:
    runner = web.AppRunner(
        app,
        access_log=None,  # the middleware logs each request as JSON
        keepalive_timeout=75.0,  # web.run_app's
        shutdown_timeout=shutdown_timeout,
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await _Site(runner, host, port, guard).start()
        await stop.wait()
    finally:
        await runner.cleanup()  # finishes the requests in flight before any task is cancelled


def run(
    app: web.Application, guard: ConnectionGuard, host: str, port: int, shutdown_timeout: float
) -> None:
    """Serve until SIGTERM or Ctrl-C, as `web.run_app` does, with every connection guarded."""
    asyncio.run(_serve(app, guard, host, port, shutdown_timeout))
