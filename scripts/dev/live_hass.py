"""Drive a real Home Assistant process as the frontend does: onboarding, flows, REST, websocket.

Used by `scripts/develop` (the demo) and by the end-to-end tests. They start this Python's
Home Assistant, or the `hass` executable that MLWATCH_E2E_HASS names (another HA release in its
own virtualenv).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]
# `python scripts/dev/demo.py` starts in scripts/dev/, away from the shared `devtools`.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from devtools.net import free_port  # noqa: E402

CLIENT_ID = "http://127.0.0.1/"  # onboarding wants a client id; any URL of ours will do
HASS_ENV = "MLWATCH_E2E_HASS"

CONFIGURATION = """\
homeassistant:
  name: mlwatch demo
  unit_system: metric
  time_zone: UTC
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
input_boolean:
  doorbell:
    name: Doorbell
    icon: mdi:doorbell
logger:
  default: warning
  logs:
    custom_components.mlwatch: info
"""


class LiveHass:
    """One `hass` child process with its own configuration folder."""

    def __init__(self, config_dir: Path, port: int | None = None) -> None:
        """Prepare (do not start) HA in `config_dir` on `port`."""
        self.config_dir = config_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = config_dir / "hass.stdout.log"
        self._session: aiohttp.ClientSession | None = None
        self.env: dict[str, str] = {}  # extra environment for the hass process
        hass = os.environ.get(HASS_ENV)
        self.command = [hass] if hass else [sys.executable, "-m", "homeassistant"]

    def write_config(self) -> None:
        """A lean configuration.yaml and mlwatch linked into custom_components."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(CONFIGURATION.format(port=self.port))
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / "mlwatch"
        if not link.exists():
            link.symlink_to(REPO / "custom_components" / "mlwatch")

    async def start(self, timeout: float = 180) -> None:
        """Start `hass` and wait until its HTTP server answers."""
        with self.log_path.open("ab") as log:
            # Not measured by the test run's coverage: its data would not combine with ours.
            env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")}
            env.update(self.env)
            self.process = subprocess.Popen(  # noqa: ASYNC220 - started once, watched below
                [*self.command, "--config", str(self.config_dir)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Not the repo: its custom_components would shadow the config folder's.
                cwd=self.config_dir,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it
            )
        self._session = aiohttp.ClientSession()
        async with asyncio.timeout(timeout):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"hass exited with {self.process.returncode}: {self.log_tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError):
                    async with self._session.get(f"{self.url}/manifest.json") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.5)

    async def stop(self, timeout: float = 60) -> int:
        """Stop `hass` as a service manager would (SIGTERM) and return its exit code."""
        if self._session:
            await self._session.close()
            self._session = None
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        # Poll rather than wait in a thread: callers may be test loops that count their threads.
        deadline = asyncio.get_running_loop().time() + timeout
        while self.process.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                self.process.kill()
            await asyncio.sleep(0.1)
        code = self.process.returncode
        self.process = None
        return code

    def log_tail(self, lines: int = 40) -> str:
        """The end of HA's log file."""
        path = self.config_dir / "home-assistant.log"
        if not path.exists():
            path = self.log_path
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log(self) -> str:
        """HA's whole log."""
        path = self.config_dir / "home-assistant.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- HTTP -----------------------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        """The client session (open while HA runs)."""
        assert self._session is not None, "start() first"
        return self._session

    async def request(
        self, method: str, path: str, payload: Any = None, *, auth: bool = True
    ) -> Any:
        """A JSON request to HA; raises on an HTTP error with HA's answer in the message."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        async with self.session.request(
            method, f"{self.url}{path}", json=payload, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path} -> {resp.status}: {text}")
            return json.loads(text) if text else None

    async def wait_running(self, timeout: float = 180) -> None:
        """Until HA reports RUNNING: start-up is over and it handles SIGTERM from then on."""
        async with asyncio.timeout(timeout):
            while (await self.request("GET", "/api/config"))["state"] != "RUNNING":  # noqa: ASYNC110 - HA state, polled
                await asyncio.sleep(0.5)

    async def remove_online_integrations(self) -> None:
        """Remove what onboarding adds that needs the internet (weather, radio, TTS).

        Offline they retry for minutes, which keeps HA from finishing its start-up.
        """
        unwanted = {"met", "radio_browser", "google_translate", "shopping_list"}
        for _ in range(20):  # onboarding starts their flows in the background: watch a while
            for entry in await self.request("GET", "/api/config/config_entries/entry"):
                if entry["domain"] in unwanted:
                    await self.request(
                        "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                    )
            await asyncio.sleep(0.25)

    async def token_from_code(self, code: str) -> str:
        """Exchange an authorization code for an access token."""
        data = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID}
        async with self.session.post(f"{self.url}/auth/token", data=data) as resp:
            body = await resp.json()
        self.token = body["access_token"]
        return self.token

    async def onboard_or_login(self, username: str, password: str) -> str:
        """Complete onboarding with this owner (first start), or log in (later starts)."""
        try:
            steps = await self.request("GET", "/api/onboarding", auth=False)
        except RuntimeError:  # 404: onboarding is over and its view is gone
            steps = []
        if any(s["step"] == "user" and not s["done"] for s in steps):
            user = {
                "client_id": CLIENT_ID,
                "name": "mlwatch demo",
                "username": username,
                "password": password,
                "language": "en",
            }
            answer = await self.request("POST", "/api/onboarding/users", user, auth=False)
            await self.token_from_code(answer["auth_code"])
            await self.request("POST", "/api/onboarding/core_config", {})
            await self.request("POST", "/api/onboarding/analytics", {})
            await self.request(
                "POST",
                "/api/onboarding/integration",
                {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID},
            )
            await self.remove_online_integrations()
            await self.wait_running()
            await self.keep_http_config()
            return self.token
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
            auth=False,
        )
        done = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": username, "password": password},
            auth=False,
        )
        await self.token_from_code(done["result"])
        await self.wait_running()
        await self.keep_http_config()
        return self.token

    async def keep_http_config(self) -> None:
        """Confirm the YAML's `http:` (port, host), as the owner does in HA's dialog.

        From HA 2026.11 that YAML becomes a trial config, and unless it is confirmed within five
        minutes HA restarts on its default port 8123.
        """
        config = await self.http_config()
        pending = config and config.get("pending")
        if pending and not pending.get("error"):
            await self.ws({"type": "http/config/promote"})

    async def http_config(self) -> dict[str, Any] | None:
        """HA's stored HTTP config and its pending trial; None before HA 2026.11 (YAML only)."""
        try:
            config: dict[str, Any] = await self.ws({"type": "http/config"})
        except RuntimeError as err:
            if "unknown_command" in str(err):
                return None
            raise
        return config

    async def config_flow(self, handler: str, *steps: dict[str, Any]) -> dict[str, Any]:
        """Run a config flow as the frontend does; each step's input in order."""
        result: dict[str, Any] = await self.request(
            "POST", "/api/config/config_entries/flow", {"handler": handler}
        )
        for data in steps:
            result = await self.request(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", data
            )
        return result

    async def add_local_file_camera(self, file_path: Path, name: str) -> dict[str, Any]:
        """A local_file camera through its flow; HA 2026.11 names it after the file, not `name`."""
        form = await self.request(
            "POST", "/api/config/config_entries/flow", {"handler": "local_file"}
        )
        data = {"file_path": str(file_path)}
        if any(field["name"] == "name" for field in form["data_schema"]):
            data["name"] = name
        result: dict[str, Any] = await self.request(
            "POST", f"/api/config/config_entries/flow/{form['flow_id']}", data
        )
        return result

    async def options_flow(self, entry_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Open an entry's options form, change some fields, keep the rest, submit."""
        form = await self.request(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        data = {f["name"]: f["default"] for f in form["data_schema"] if "default" in f}
        path = f"/api/config/config_entries/options/flow/{form['flow_id']}"
        result: dict[str, Any] = await self.request("POST", path, {**data, **changes})
        return result

    async def state(self, entity_id: str) -> dict[str, Any]:
        """An entity's state object."""
        state: dict[str, Any] = await self.request("GET", f"/api/states/{entity_id}")
        return state

    async def ws(self, msg: dict[str, Any]) -> Any:
        """One websocket command's result (an error raises)."""
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await ws.send_json({"id": 1, **msg})
            reply = await ws.receive_json()
            if not reply["success"]:
                raise RuntimeError(f"{msg['type']}: {reply['error']}")
            return reply["result"]

    async def events(self, *event_types: str) -> AsyncIterator[dict[str, Any]]:
        """Subscribe on the websocket API and yield events of these types as they come."""
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            for i, event_type in enumerate(event_types, start=1):
                await ws.send_json({"id": i, "type": "subscribe_events", "event_type": event_type})
                assert (await ws.receive_json())["success"]
            yield {"event_type": "subscribed"}  # from here on nothing is missed
            while True:
                message = await ws.receive_json()
                if message.get("type") == "event":
                    yield message["event"]


def make_frames(folder: Path, size: tuple[int, int] = (1280, 720)) -> dict[str, Path]:
    """Real photos (scikit-image's CC0 samples) as camera-sized JPEGs.

    An empty scene, the cat close up, a person, and the cat smaller on the empty scene, as a
    doorbell camera sees a cat on the mat.
    """
    from devtools.photos import on_scene, snapshot  # only the demo and the tests need it

    folder.mkdir(parents=True, exist_ok=True)
    frames = {}
    for name, photo in (("empty", "coffee"), ("cat", "chelsea"), ("person", "astronaut")):
        path = folder / f"{name}.jpg"
        path.write_bytes(snapshot(photo, size))
        frames[name] = path
    frames["cat_on_mat"] = folder / "cat_on_mat.jpg"
    frames["cat_on_mat"].write_bytes(on_scene("chelsea", "coffee", size))
    return frames


def show(camera_file: Path, frame: Path) -> None:
    """Put `frame` in front of the camera, atomically, so HA never reads half a file."""
    tmp = camera_file.with_suffix(".tmp")
    shutil.copyfile(frame, tmp)
    tmp.replace(camera_file)
