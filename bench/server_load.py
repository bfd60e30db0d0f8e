"""Load run: cameras bursting at once through one mlwatch-server on loopback, vs in-process.

Run: .venv/bin/python bench/server_load.py [--cameras 8] [--burst 10] [--interval 1.0]
     [--threads 2] [--workers 1] [--queue 16] [--rounds 2] [--flood-inflight 4] [--flood-queue 4]
     [--flood-seconds 5]
Prints per-scenario tables (status counts, throughput, latency percentiles, server queue time),
the server's /metrics and RSS, and server / in-process ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _repo  # noqa: F401 - before devtools: puts the repo root on sys.path
import aiohttp
from mlwatch_core.engine import Classifier, Settings

from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.net import free_port
from devtools.photos import snapshot
from devtools.server import server_command, wait_healthy

# Colour photos scikit-image ships without a download; the cameraman is grey, as at night.
PHOTOS = (
    "chelsea",
    "coffee",
    "astronaut",
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
    "camera",
)
CLASSIFY = "/v1/mlwatch/classify"


@dataclass(frozen=True, slots=True)
class Sample:
    """One frame's outcome; times in ms, the server's fields None where they do not apply."""

    status: int  # 0: the connection failed
    latency: float  # send (or submit) to parsed answer
    queue: float | None = None  # waiting for an interpreter (server) or the thread (in-process)
    core: float | None = None  # decode + preprocess + invoke + post
    server_total: float | None = None  # the server handler, from body read to JSON built
    retry_after: str | None = None


@dataclass(slots=True)
class Tally:
    """Samples of one backend in one scenario, summed over rounds."""

    samples: list[Sample] = field(default_factory=list)
    dropped: int = 0
    wall: float = 0.0  # seconds from the common start to the last answer

    def ok(self) -> list[Sample]:
        """The answered frames."""
        return [s for s in self.samples if s.status == 200]  # HTTP OK


type Send = Callable[[bytes], Coroutine[Any, Any, Sample]]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def med(values: list[float]) -> float:
    """Median; NaN for no values."""
    return statistics.median(values) if values else float("nan")


@dataclass(frozen=True, slots=True)
class Pattern:
    """How the cameras send: frames each, seconds apart (0: back to back), requests in flight."""

    name: str
    burst: int
    interval: float
    inflight: int = 1
    seconds: float = 0.0  # > 0: keep sending until then, ignoring `burst` (the flood)


async def drive(send: Send, frames: list[bytes], pattern: Pattern, tally: Tally) -> None:
    """All cameras start at one moment and burst like the integration's coordinator."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05  # every camera is scheduled before the first one sends
    stop = start + pattern.seconds

    async def until(moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - loop.time()))

    async def sender(frame: bytes) -> None:
        sent = 0
        while loop.time() < stop if pattern.seconds > 0 else sent < pattern.burst:
            tally.samples.append(await send(frame))
            sent += 1

    async def camera(frame: bytes) -> None:
        await until(start)
        if pattern.interval <= 0:  # back to back: the next frame as soon as the answer is in
            await asyncio.gather(*(sender(frame) for _ in range(pattern.inflight)))
            return
        tasks: list[asyncio.Task[Sample]] = []
        for i in range(pattern.burst):
            await until(start + i * pattern.interval)
            # The coordinator drops a frame while the camera's previous one is still running.
            if tasks and not tasks[-1].done():
                tally.dropped += 1
                continue
            tasks.append(asyncio.create_task(send(frame)))
        tally.samples.extend(await asyncio.gather(*tasks))

    await asyncio.gather(*(camera(frame) for frame in frames))
    tally.wall += loop.time() - start


def http_sender(session: aiohttp.ClientSession, url: str) -> Send:
    """POST the raw JPEG the way the integration's remote backend does."""

    async def send(frame: bytes) -> Sample:
        t0 = time.perf_counter()
        try:
            async with session.post(
                url + CLASSIFY, data=frame, headers={"Content-Type": "image/jpeg"}
            ) as resp:
                if resp.status != 200:  # HTTP OK
                    await resp.read()
                    ms = (time.perf_counter() - t0) * 1000
                    return Sample(resp.status, ms, retry_after=resp.headers.get("Retry-After"))
                body = await resp.json()
        except aiohttp.ClientError:
            return Sample(0, (time.perf_counter() - t0) * 1000)
        ms = (time.perf_counter() - t0) * 1000
        t = body["timings"]
        core = t["decode"] + t["preprocess"] + t["invoke"] + t["post"]
        return Sample(200, ms, t["queue"], core, t["total"])

    return send


def local_sender(clf: Classifier, executor: ThreadPoolExecutor) -> Send:
    """The in-process backend: one classifier on one inference thread, as LocalBackend has."""

    async def send(frame: bytes) -> Sample:
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()

        def job() -> tuple[float, float]:
            started = time.perf_counter()
            return started, clf.classify(frame).timings.total

        started, core = await loop.run_in_executor(executor, job)
        ms = (time.perf_counter() - t0) * 1000
        return Sample(200, ms, (started - t0) * 1000, core)

    return send


def rss(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )

    def mb(key: str) -> float:
        return float(fields[key].split()[0]) / 1024  # the kernel reports kB

    return mb("VmRSS"), mb("VmHWM")


@dataclass(slots=True)
class Server:
    """A running mlwatch-server subprocess and a session to it."""

    proc: asyncio.subprocess.Process
    url: str
    session: aiohttp.ClientSession

    async def get(self, path: str) -> dict[str, Any]:
        """GET a JSON endpoint."""
        async with self.session.get(self.url + path) as resp:
            body: dict[str, Any] = await resp.json()
            return body


@contextlib.asynccontextmanager
async def server(threads: int, workers: int, queue: int) -> AsyncIterator[Server]:
    """Start the real server as a subprocess, wait for /health, stop it with SIGTERM."""
    port = free_port()
    # Its JSON request log goes to a file: a pipe nobody reads would fill and block the server.
    with tempfile.TemporaryFile() as log:
        proc = await asyncio.create_subprocess_exec(
            *server_command(port, "--threads", str(threads), "--workers", str(workers)),
            *("--queue", str(queue)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )

        def tail() -> str:
            log.seek(0)
            return log.read().decode()[-2000:]

        # No connection limit: every camera and every flooding sender gets its own socket.
        connector = aiohttp.TCPConnector(limit=0)
        try:
            async with aiohttp.ClientSession(connector=connector) as session:
                srv = Server(proc, f"http://127.0.0.1:{port}", session)
                await wait_healthy(session, srv.url, proc, why=tail)
                yield srv
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


@dataclass(slots=True)
class Watch:
    """The deepest queue seen while a scenario ran, and the server's RSS over time."""

    depth: int = 0
    waiting: int = 0
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds in, MB)


@contextlib.asynccontextmanager
async def watch(srv: Server, seen: Watch) -> AsyncIterator[None]:
    """Poll /metrics and /proc while a scenario runs."""
    t0 = time.monotonic()

    async def poll() -> None:
        while True:
            queue = (await srv.get("/metrics"))["queue"]
            seen.depth = max(seen.depth, queue["depth"])
            seen.waiting = max(seen.waiting, queue["waiting"])
            seen.rss.append((time.monotonic() - t0, rss(srv.proc.pid)[0]))
            # Often enough to catch a full queue (it drains in about queue x 10 ms), rarely
            # enough not to load the server it watches.
            await asyncio.sleep(0.05)

    task = asyncio.create_task(poll())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def row(name: str, scenario: str, t: Tally) -> str:
    """One line of the results table."""
    ok = t.ok()
    status = Counter(s.status for s in t.samples)
    other = sum(n for code, n in status.items() if code not in {200, 503})
    lat = [s.latency for s in ok]
    wait = [s.queue for s in ok if s.queue is not None]
    core = [s.core for s in ok if s.core is not None]
    return (
        f"| {scenario} | {name} | {len(t.samples) + t.dropped} | {len(ok)} | {status[503]} "
        f"| {other} | {t.dropped} | {len(ok) / t.wall:.1f} | {med(lat):.1f} | {pct(lat, 0.95):.1f} "
        f"| {max(lat, default=float('nan')):.1f} | {med(wait):.1f} | {med(core):.1f} |"
    )


def outside_core(t: Tally) -> list[float]:
    """Per answered frame: latency that is neither waiting nor the core (HTTP, JSON, hand-offs)."""
    return [s.latency - (s.queue or 0.0) - (s.core or 0.0) for s in t.ok()]


def ratios(scenario: str, srv: Tally, loc: Tally) -> str:
    """Server / in-process, measured in the same run."""
    s_lat = [s.latency for s in srv.ok()]
    l_lat = [s.latency for s in loc.ok()]
    s_out, l_out = med(outside_core(srv)), med(outside_core(loc))
    return (
        f"| {scenario} | {(len(srv.ok()) / srv.wall) / (len(loc.ok()) / loc.wall):.2f} "
        f"| {med(s_lat) / med(l_lat):.2f} | {pct(s_lat, 0.95) / pct(l_lat, 0.95):.2f} "
        f"| {s_out:.2f} | {l_out:.2f} | {s_out - l_out:.2f} |"
    )


async def warm(send: Send, frames: list[bytes]) -> None:
    """First invokes pack weights and fill caches: keep them out of the measurement."""
    for _ in range(3):
        for frame in frames:
            await send(frame)


@dataclass(slots=True)
class ServerReport:
    """What the server said about itself: /metrics at the end, RSS, the queue seen."""

    metrics: dict[str, Any]
    rss: dict[str, tuple[float, float]]
    seen: Watch


async def compare(
    args: argparse.Namespace, frames: list[bytes], patterns: list[tuple[Pattern, list[bytes]]]
) -> tuple[dict[tuple[str, str], Tally], ServerReport]:
    """Each pattern through the server and in-process, alternating who goes first."""
    clf = Classifier(
        DEFAULT_MODEL,
        DEFAULT_LABELS,
        Settings(device="cpu", num_threads=args.local_threads),
    )
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
    local = local_sender(clf, executor)
    tallies = {(p.name, b): Tally() for p, _ in patterns for b in ("server", "in-process")}
    seen = Watch()
    async with server(args.threads, args.workers, args.queue) as srv:
        remote = http_sender(srv.session, srv.url)
        rss_start = rss(srv.proc.pid)
        await warm(remote, frames)
        await warm(local, frames)
        rss_warm = rss(srv.proc.pid)
        for r in range(args.rounds):
            for pattern, cams in patterns:
                # Alternate who goes first, so drift on the shared machine hits both alike.
                order = ("server", "in-process") if r % 2 == 0 else ("in-process", "server")
                for backend in order:
                    tally = tallies[pattern.name, backend]
                    if backend == "in-process":
                        await drive(local, cams, pattern, tally)
                    elif len(cams) == 1:  # the bare HTTP cost: nothing else may load the server
                        await drive(remote, cams, pattern, tally)
                    else:
                        async with watch(srv, seen):
                            await drive(remote, cams, pattern, tally)
        metrics = await srv.get("/metrics")
        rss_end = rss(srv.proc.pid)
    executor.shutdown()
    return tallies, ServerReport(
        metrics, {"start": rss_start, "warm": rss_warm, "end": rss_end}, seen
    )


async def flood(args: argparse.Namespace, frames: list[bytes]) -> tuple[Tally, ServerReport]:
    """Every camera keeps several requests in flight against a small queue."""
    tally = Tally()
    seen = Watch()
    pattern = Pattern("flood", 0, 0.0, args.flood_inflight, args.flood_seconds)
    async with server(args.threads, args.workers, args.flood_queue) as srv:
        await warm(http_sender(srv.session, srv.url), frames)
        before = rss(srv.proc.pid)
        async with watch(srv, seen):
            await drive(http_sender(srv.session, srv.url), frames, pattern, tally)
        metrics = await srv.get("/metrics")
        after = rss(srv.proc.pid)
    return tally, ServerReport(metrics, {"warm": before, "end": after}, seen)


def report(
    args: argparse.Namespace,
    patterns: list[Pattern],
    tallies: dict[tuple[str, str], Tally],
    main: ServerReport,
    flooded: tuple[Tally, ServerReport],
) -> None:
    """Print the tables, the ratios and what the servers said."""
    print(
        "\n| scenario | backend | frames | 200 | 503 | other | dropped | frames/s | p50 ms "
        "| p95 ms | max ms | wait p50 ms | core p50 ms |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for p in patterns:
        for backend in ("server", "in-process"):
            print(row(backend, p.name, tallies[p.name, backend]))
    ftally, fsrv = flooded
    print(row(f"server, {args.flood_inflight} in flight/camera", "flood", ftally))

    print(
        "\n| scenario | throughput server/in-process | p50 server/in-process "
        "| p95 server/in-process | outside core: server ms | in-process ms | HTTP overhead ms |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for p in patterns:
        print(ratios(p.name, tallies[p.name, "server"], tallies[p.name, "in-process"]))

    tight = tallies["tight", "server"]
    capacity = len(tight.ok()) / tight.wall
    if args.interval > 0:
        # Cameras that tick at the same moment all land in the queue at once: beyond
        # workers + queue they are refused, however fast the interpreters are.
        print(
            f"\nserver capacity (tight) {capacity:.1f} frames/s: at {args.interval:g} s that is "
            f"{capacity * args.interval:.0f} frames per tick; cameras ticking together are also "
            f"capped by --workers + --queue = {args.workers + args.queue}"
        )
    m = main.metrics
    print(
        f"\nserver /metrics after the runs: {CLASSIFY} requests "
        f"{m['requests'].get(CLASSIFY, 0)}, responses {m['responses']} (incl. /metrics polls), "
        f"rejected {m['rejected']}, queue {m['queue']}, inference p50 "
        f"{m['inference']['ms_p50']} ms; deepest queue seen {main.seen.depth} "
        f"(waiting {main.seen.waiting}, limit {args.queue} + {args.workers} running)"
    )
    served = sum(len(t.samples) for (_, b), t in tallies.items() if b == "server")
    r = main.rss
    print(
        f"server RSS: {r['start'][0]:.1f} MB after start, {r['warm'][0]:.1f} MB after warm-up, "
        f"{r['end'][0]:.1f} MB after {served} more frames (peak {r['end'][1]:.1f} MB)"
    )
    status = Counter(s.status for s in ftally.samples)
    retry = Counter(s.retry_after for s in ftally.samples if s.status == 503)
    half = args.flood_seconds / 2
    first = max((mb for t, mb in fsrv.seen.rss if t < half), default=float("nan"))
    second = max((mb for t, mb in fsrv.seen.rss if t >= half), default=float("nan"))
    fm = fsrv.metrics
    print(
        f"\nflood: {args.cameras} cameras x {args.flood_inflight} in flight for "
        f"{args.flood_seconds:g} s, --queue {args.flood_queue}: status {dict(status)}, "
        f"Retry-After {dict(retry)}; deepest queue seen {fsrv.seen.depth} (waiting "
        f"{fsrv.seen.waiting}, bound {args.flood_queue} + {args.workers} running); /metrics after: "
        f"rejected {fm['rejected']}, queue {fm['queue']}; RSS {fsrv.rss['warm'][0]:.1f} MB before, "
        f"max {first:.1f} MB in the first half, {second:.1f} MB in the second, "
        f"{fsrv.rss['end'][0]:.1f} MB after (peak {fsrv.rss['end'][1]:.1f} MB)"
    )
    # Where an answered frame's time went: the handler's total starts before the body is read.
    handler = [s.server_total for s in ftally.ok() if s.server_total is not None]
    refused = [s.latency for s in ftally.samples if s.status == 503]
    print(
        f"flood, answered frames: server handler p50 {med(handler):.1f} ms, max "
        f"{max(handler, default=float('nan')):.1f} ms (queue p50 "
        f"{med([s.queue for s in ftally.ok() if s.queue is not None]):.1f} ms); refused frames: "
        f"client latency p50 {med(refused):.1f} ms, p95 {pct(refused, 0.95):.1f} ms"
    )


async def main_async(args: argparse.Namespace) -> None:
    """Measure, then print."""
    frames = [snapshot(PHOTOS[i % len(PHOTOS)]) for i in range(args.cameras)]
    patterns = [
        # One camera alone: the bare HTTP cost, with nothing queued in front of it.
        (Pattern("single", max(30, args.burst), 0.0), frames[:1]),
        (Pattern(f"burst {args.interval:g} s", args.burst, args.interval), frames),
        (Pattern("tight", args.burst, 0.0), frames),
    ]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}; "
        f"{args.cameras} cameras, burst {args.burst}, server --threads {args.threads} "
        f"--workers {args.workers} --queue {args.queue}, in-process threads "
        f"{args.local_threads}, rounds {args.rounds}; frames 1920x1080 q90 "
        f"{min(map(len, frames)) // 1000}-{max(map(len, frames)) // 1000} kB"
    )
    tallies, main = await compare(args, frames, patterns)
    flooded = await flood(args, frames)
    report(args, [p for p, _ in patterns], tallies, main, flooded)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


def main() -> None:
    """Parse the flags and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--burst", type=int, default=10, help="frames per camera and burst")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between frames")
    parser.add_argument("--threads", type=int, default=2, help="server threads per interpreter")
    parser.add_argument("--workers", type=int, default=1, help="server interpreters")
    parser.add_argument("--queue", type=int, default=16, help="server queue limit")
    parser.add_argument("--local-threads", type=int, default=2, help="in-process threads")
    parser.add_argument("--rounds", type=int, default=2, help="server/in-process alternations")
    parser.add_argument("--flood-inflight", type=int, default=4, help="requests per camera")
    parser.add_argument("--flood-queue", type=int, default=4, help="--queue of the flood server")
    parser.add_argument("--flood-seconds", type=float, default=5.0, help="length of the flood")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
