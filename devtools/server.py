"""The real `mlwatch-server` as a child process: its command line, and waiting for `/health`."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import aiohttp

from .net import free_port

KEY = "front-door-key-0123"


def server_command(port: int, *args: str) -> list[str]:
    """`python -m mlwatch_server` on the CPU at `port` with the bundled classifier, then `args`.

    The classifier, not the server's default detector: these servers stand in for the tests'
    classifier entries (a later `--model` in `args` wins).
    """
    base = [sys.executable, "-m", "mlwatch_server", "--port", str(port), "--device", "cpu"]
    return [*base, "--model", "classifier", *args]


async def wait_healthy(
    session: aiohttp.ClientSession,
    url: str,
    proc: asyncio.subprocess.Process,
    *,
    headers: dict[str, str] | None = None,
    why: Callable[[], str] = str,
) -> None:
    """Return once `url`/health answers 200; raise with `why()` if the process exits first."""
    for _ in range(600):
        if proc.returncode is not None:
            raise RuntimeError(f"mlwatch-server exited with {proc.returncode}: {why()}")
        with contextlib.suppress(aiohttp.ClientConnectionError):
            async with session.get(url + "/health", headers=headers) as resp:
                if resp.status == HTTPStatus.OK:
                    return
        # A child process has no event to wait on: it starts in 1-3 s, so poll.
        await asyncio.sleep(0.1)
    raise TimeoutError(f"mlwatch-server at {url} did not answer /health within 60 s")


class ServerProcess:
    """`python -m mlwatch_server` on the CPU; start, kill -9 and restart on the same port."""

    def __init__(self, log: Path, *args: str, api_key: str | None = KEY) -> None:
        """Prepare (do not start) a server logging to `log`, with `args` on its command line."""
        self.port = free_port()
        self.api_key = api_key
        self.args = args
        self.log = log
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Where clients reach it."""
        return f"http://127.0.0.1:{self.port}"

    def headers(self) -> dict[str, str]:
        """The Bearer header for its key."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    async def start(self) -> None:
        """Start and wait until `/health` answers."""
        cmd = server_command(self.port, "--threads", "1", "--log-level", "WARNING", *self.args)
        if self.api_key:
            cmd += ["--api-key", self.api_key]
        with self.log.open("ab") as log:
            self._proc = await asyncio.create_subprocess_exec(*cmd, stderr=log)
        async with aiohttp.ClientSession() as session:
            await wait_healthy(
                session, self.url, self._proc, headers=self.headers(), why=self.log.read_text
            )

    async def metrics(self) -> dict[str, object]:
        """Its `/metrics` counters."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + "/metrics", headers=self.headers()) as r,
        ):
            body: dict[str, object] = await r.json()
            return body

    async def kill(self) -> None:
        """Stop it with kill -9: no goodbye to clients."""
        if self._proc and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()
