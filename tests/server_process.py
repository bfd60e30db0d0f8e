"""A real `mlwatch-server` process on a free loopback port, for tests that kill and restart it."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

KEY = "front-door-key-0123"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """`python -m mlwatch_server` on the CPU; start, kill -9 and restart on the same port."""

    def __init__(self, log: Path, *args: str, api_key: str | None = KEY) -> None:
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
        cmd = [sys.executable, "-m", "mlwatch_server", "--port", str(self.port), "--device", "cpu"]
        cmd += ["--threads", "1", "--log-level", "WARNING", *self.args]
        if self.api_key:
            cmd += ["--api-key", self.api_key]
        with self.log.open("ab") as log:
            self._proc = await asyncio.create_subprocess_exec(*cmd, stderr=log)
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                assert self._proc.returncode is None, self.log.read_text()
                try:
                    async with session.get(self.url + "/health", headers=self.headers()) as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
        raise TimeoutError(f"mlwatch-server on {self.port} did not start")

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
