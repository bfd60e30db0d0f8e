"""Slow and idle clients against a real server process: hung up on, while /health answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from pathlib import Path
from unittest.mock import MagicMock

import aiohttp
import pytest
from mlwatch_server.conn import ConnectionGuard

from devtools.server import ServerProcess

ATTACKERS = 8


@pytest.fixture
async def server(
    tmp_path: Path, socket_enabled: None, request: pytest.FixtureRequest
) -> AsyncGenerator[ServerProcess]:
    """A server with short read timeouts (header timeout overridable) and a connection cap of 12."""
    header_timeout = str(getattr(request, "param", 1))
    proc = ServerProcess(
        tmp_path / "server.log",
        *("--header-timeout", header_timeout, "--body-timeout", "1", "--max-connections", "12"),
    )
    await proc.start()
    yield proc
    await proc.kill()


async def _dribble(writer: asyncio.StreamWriter, data: bytes, pause: float) -> int:
    """Send one byte at a time until the server hangs up; how many bytes went out."""
    sent = 0
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            sent += 1
            await asyncio.sleep(pause)
    return sent


async def _hung_up(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed; a reset (unread bytes in its buffer) is one too."""
    try:
        return await reader.read()
    except ConnectionResetError:
        return b""


async def _healthy(server: ServerProcess, session: aiohttp.ClientSession) -> int:
    async with (
        asyncio.timeout(5),
        session.get(server.url + "/health", headers=server.headers()) as r,
    ):
        return r.status


async def test_slow_headers_are_hung_up_on_and_health_answers(server: ServerProcess) -> None:
    head = b"POST /v1/mlwatch/classify HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 600
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(60), aiohttp.ClientSession() as session:
        start = loop.time()
        conns = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(ATTACKERS)]
        senders = [asyncio.create_task(_dribble(w, head, 0.05)) for _, w in conns]
        closed = [asyncio.create_task(_hung_up(r)) for r, _ in conns]  # b"" once hung up on
        health = []
        while not all(task.done() for task in closed):
            health.append(await _healthy(server, session))
            await asyncio.sleep(0.1)
        assert [task.result() for task in closed] == [b""] * ATTACKERS
        assert loop.time() - start < 15  # generous: the header timeout is 1 s, dribbling takes 32 s
        sent = await asyncio.gather(*senders)  # each stops at its first write after the hang-up
        assert max(sent) < len(head)  # hung up on long before the headers were complete
        for _, writer in conns:
            writer.close()
        assert health
        assert set(health) == {200}
        metrics = await server.metrics()
    assert metrics["connections"]["header_timeouts"] >= ATTACKERS  # type: ignore[index]


async def test_a_slow_body_gets_408(server: ServerProcess) -> None:
    async with asyncio.timeout(60):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"POST /v1/mlwatch/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            + f"Authorization: Bearer {server.api_key}\r\n\r\n".encode()
        )
        sender = asyncio.create_task(_dribble(writer, b"\xff" * 100000, 0.05))
        assert (await reader.readline()).startswith(b"HTTP/1.1 408")
        sender.cancel()
        writer.close()


@pytest.mark.parametrize("server", [30], indirect=True)  # room is made, not timed out
async def test_idle_connections_over_the_cap_make_room(server: ServerProcess) -> None:
    async with asyncio.timeout(60), aiohttp.ClientSession() as session:
        conns = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(20)]
        assert await _healthy(server, session) == 200
        # The oldest idle ones were hung up on to make room: 20 + 1 > 12.
        async with asyncio.timeout(5):
            assert await conns[0][0].read() == b""
        metrics = await server.metrics()
        for _, writer in conns:
            writer.close()
    assert metrics["connections"]["evicted"] >= 20 + 1 - 12  # type: ignore[index]
    assert metrics["connections"]["limit"] == 12  # type: ignore[index]


async def test_a_full_house_of_requests_gets_503(tmp_path: Path, socket_enabled: None) -> None:
    """When every connection has a handler, a new one is answered 503 and hung up on."""
    server = ServerProcess(tmp_path / "server.log", "--max-connections", "2")
    await server.start()
    try:
        async with asyncio.timeout(60):
            busy = []
            for _ in range(2):  # an upload whose body never comes
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(
                    b"POST /v1/mlwatch/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n"
                    + f"Authorization: Bearer {server.api_key}\r\n".encode()
                    + b"Expect: 100-continue\r\n\r\n"
                )
                # aiohttp answers 100 right before the handler takes the request: no race.
                assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100")
                busy.append((reader, writer))
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = await reader.read()
            assert answer.startswith(b"HTTP/1.1 503")
            assert b"Connection: close" in answer
            writer.close()
            for _, writer in busy:
                writer.close()
                await writer.wait_closed()
            async with aiohttp.ClientSession() as session:
                for _ in range(200):  # room again once the server has seen them go
                    if await _healthy(server, session) == 200:
                        break
                    await asyncio.sleep(0.05)
                assert await _healthy(server, session) == 200
            assert (await server.metrics())["connections"]["refused"] >= 1  # type: ignore[index]
    finally:
        await server.kill()


async def test_strangers_in_a_handler_make_room(tmp_path: Path, socket_enabled: None) -> None:
    """DeepStack's key is in the form: a stranger sending one slowly holds no needed connection."""
    server = ServerProcess(tmp_path / "server.log", "--max-connections", "2")
    await server.start()
    try:
        async with asyncio.timeout(60), aiohttp.ClientSession() as session:
            strangers = []
            for _ in range(2):
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(
                    b"POST /v1/vision/detection HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n"
                    b"Content-Type: multipart/form-data; boundary=b\r\n"
                    b"Expect: 100-continue\r\n\r\n--b\r\n"
                )
                assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100")
                strangers.append((reader, writer))
            assert await _healthy(server, session) == 200
            assert await _healthy(server, session) == 200  # kept alive: trusted, not evicted
            async with asyncio.timeout(5):
                assert await strangers[0][0].read() == b""  # the oldest stranger made room
            metrics = await server.metrics()
            for _, writer in strangers:
                writer.close()
        assert metrics["connections"]["refused"] == 0  # type: ignore[index]
        assert metrics["connections"]["evicted"] >= 1  # type: ignore[index]
    finally:
        await server.kill()


class _Transport(asyncio.Transport):
    """Records what the guard does with a connection."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = b""
        self.eof = self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += bytes(data)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closed = True


async def test_a_refusal_reads_the_request_before_hanging_up() -> None:
    """Closing on unread input resets the connection, and the client's kernel drops the 503."""
    guard = ConnectionGuard(header_timeout=10, limit=0)
    inner = MagicMock()
    conn = guard.protocol(lambda: inner)()
    transport = _Transport()
    conn.connection_made(transport)
    assert transport.sent.startswith(b"HTTP/1.1 503")
    assert transport.eof
    assert not transport.closed  # not yet: the client's request may still be on its way
    conn.data_received(b"GET /health HTTP/1.1\r\n\r\n")  # dropped, never parsed
    inner.data_received.assert_not_called()
    conn.eof_received()  # the client read the 503 and went
    assert transport.closed
    assert guard.refused == 1


async def test_a_refusal_that_the_client_never_ends_is_closed_after_a_linger() -> None:
    guard = ConnectionGuard(header_timeout=10, limit=0)
    transport = _Transport()
    guard.protocol(MagicMock)().connection_made(transport)
    await asyncio.sleep(1)
    assert transport.closed
