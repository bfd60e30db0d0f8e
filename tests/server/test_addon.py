"""The Home Assistant add-on: its manifest, and its install and start scripts run for real.

What needs Docker or an HA OS machine (the image build, s6, the Supervisor's option checks, a
Coral) is not run here; the scripts that the Dockerfile and the container run are.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlwatch_server import __version__
from mlwatch_server.config import DEFAULT_PORT, parse

from devtools.net import free_port

REPO = Path(__file__).parents[2]
ADDON = REPO / "addon"
INSTALL = ADDON / "install.sh"
RUN = ADDON / "run.sh"
KEY = "addon-test-key"
EDGETPU = "libedgetpu1-std"
# In the container the server must listen on every address: the Supervisor maps the port to it.
ANY = "0.0.0.0"  # noqa: S104
# Run by the installed venv's Python: where the packages and the bundled model came from.
WHERE = (
    "import importlib.resources, mlwatch_core, mlwatch_server, mlwatch_server.model;"
    "print(mlwatch_server.__file__, mlwatch_core.__file__, importlib.resources.files("
    "mlwatch_server.model).joinpath('efficientnet_lite0_int8.tflite').is_file())"
)


def _yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


CONFIG = _yaml(ADDON / "config.yaml")
BUILD = _yaml(ADDON / "build.yaml")

# --- The Supervisor's option schema, as its add-on configuration docs define the types. ---------

_RANGE = re.compile(r"^(int|float|str)(?:\((-?[\d.]*),(-?[\d.]*)\))?$")


_SIMPLE: dict[str, Callable[[object], bool]] = {
    "password": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "port": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65535,
}


def _check(kind: str, value: object) -> str | None:
    """Why `value` does not fit the schema type `kind` (without the `?`), or None."""
    if kind in _SIMPLE:
        return None if _SIMPLE[kind](value) else f"not a {kind}"
    if choices := re.fullmatch(r"list\((.+)\)", kind):
        return None if value in choices.group(1).split("|") else f"not one of {choices.group(1)}"
    match = _RANGE.fullmatch(kind)
    if match is None:
        return f"unknown schema type {kind!r}"
    name, low, high = match.groups()
    types: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,)}
    if isinstance(value, bool) or not isinstance(value, types[name]):
        return f"not a {name}"
    size = len(value) if isinstance(value, str) else value
    assert isinstance(size, int | float)
    too_small = bool(low) and size < float(low)
    too_large = bool(high) and size > float(high)
    return f"outside {low},{high}" if too_small or too_large else None


def validate(schema: Mapping[str, str], options: Mapping[str, object]) -> list[str]:
    """Problems the Supervisor would report for these options; empty when they fit."""
    problems = [f"{key}: not in the schema" for key in options if key not in schema]
    for key, kind in schema.items():
        if key not in options:
            if not kind.endswith("?"):
                problems.append(f"{key}: required")
            continue
        if problem := _check(kind.removesuffix("?"), options[key]):
            problems.append(f"{key}: {problem}")
    return problems


# --- The manifest, the build file and the repository file. ------------------------------------


def test_manifest_names_this_server_version_and_port() -> None:
    assert CONFIG["name"] == "mlwatch inference server"
    assert CONFIG["slug"] == "mlwatch_server"
    assert CONFIG["description"]
    assert CONFIG["version"] == __version__
    assert CONFIG["startup"] == "services"
    assert CONFIG["boot"] == "auto"
    assert CONFIG["ports"] == {f"{DEFAULT_PORT}/tcp": DEFAULT_PORT}
    assert CONFIG["watchdog"] == f"tcp://[HOST]:[PORT:{DEFAULT_PORT}]"
    # The base image's s6-overlay must be PID 1 (HA's docs: init false with s6-overlay v3).
    assert CONFIG["init"] is False


def test_manifest_passes_both_kinds_of_coral_through() -> None:
    assert CONFIG["usb"] is True
    assert "/dev/apex_0" in CONFIG["devices"]
    assert all(re.fullmatch(r"/dev/apex_\d", device) for device in CONFIG["devices"])


def test_every_architecture_has_a_debian_base_image() -> None:
    assert sorted(CONFIG["arch"]) == sorted(BUILD["build_from"]) == ["aarch64", "amd64"]
    for arch, image in BUILD["build_from"].items():
        assert image == f"ghcr.io/home-assistant/{arch}-base-debian:trixie"


def test_default_options_fit_the_schema_once_the_api_key_is_set() -> None:
    schema, options = CONFIG["schema"], CONFIG["options"]
    assert set(options) <= set(schema)
    assert schema["api_key"] == "password"
    # The key has no default: the Supervisor will not start the add-on until the user sets one.
    assert validate(schema, options) == ["api_key: required"]
    assert validate(schema, {**options, "api_key": KEY}) == []
    assert validate(schema, {**options, "api_key": KEY, "device": "pci:0"})
    assert validate(schema, {**options, "api_key": KEY, "workers": 0})
    # Each default is also what the server itself would choose.
    defaults = parse([], {})
    for name in ("device", "threads", "workers", "queue", "timeout", "log_level"):
        assert options[name] == getattr(defaults, name), name


def test_every_option_and_the_port_are_translated() -> None:
    translations = _yaml(ADDON / "translations" / "en.yaml")
    assert set(translations["configuration"]) == set(CONFIG["schema"])
    for key, text in translations["configuration"].items():
        assert text["name"], key
        assert text["description"], key
    assert set(translations["network"]) == set(CONFIG["ports"])


def test_repository_file_makes_this_repo_an_add_on_repository() -> None:
    repository = _yaml(REPO / "repository.yaml")
    assert repository["name"]
    assert repository["maintainer"] == "mlwatch"


def test_dockerfile_installs_the_sdist_with_install_sh_and_runs_run_sh() -> None:
    dockerfile = (ADDON / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG BUILD_FROM\nFROM \$\{BUILD_FROM\}$", dockerfile, re.MULTILINE)
    assert "COPY dist/ /tmp/dist/" in dockerfile
    assert "/install.sh /tmp/dist/mlwatch-*.tar.gz /opt/mlwatch" in dockerfile
    assert 'CMD ["/run.sh"]' in dockerfile
    for script in (INSTALL, RUN, REPO / "scripts" / "addon-context"):
        assert os.access(script, os.X_OK), script


# --- run.sh against a stand-in server that records how it was started. ------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without settings that would leak into the scripts."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MLWATCH_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return env | extra


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    """A venv whose `mlwatch-server` writes its arguments and MLWATCH_* settings to files."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    server = venv / "bin" / "mlwatch-server"
    server.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{tmp_path}/args"\n'
        f'env | grep "^MLWATCH_" | sort > "{tmp_path}/env"\n',
        encoding="utf-8",
    )
    server.chmod(0o755)
    return venv


def _run_sh(venv: Path, options: object, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    path = tmp / "options.json"
    path.write_text(options if isinstance(options, str) else json.dumps(options), encoding="utf-8")
    env = _clean_env(MLWATCH_OPTIONS_FILE=str(path), MLWATCH_VENV=str(venv))
    return subprocess.run(
        [str(RUN), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_run_sh_turns_the_options_into_server_settings(fake_venv: Path, tmp_path: Path) -> None:
    options = {
        "api_key": "a key with spaces",
        "device": "usb",
        "threads": 3,
        "workers": 2,
        "queue": 7,
        "timeout": 2.5,
        "log_level": "DEBUG",
    }
    done = _run_sh(fake_venv, options, "--log-level", "WARNING", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert args == ["--host", ANY, "--port", str(DEFAULT_PORT), "--log-level", "WARNING"]
    env = dict(
        line.split("=", 1) for line in (tmp_path / "env").read_text(encoding="utf-8").splitlines()
    )
    assert env["MLWATCH_API_KEY"] == "a key with spaces"
    # The server reads these as it would in the container; flags after them win.
    config = parse(args, env)
    assert (config.api_key, config.device, config.threads) == ("a key with spaces", "usb", 3)
    assert (config.workers, config.queue, config.timeout) == (2, 7, 2.5)
    assert (config.host, config.port, config.log_level) == (ANY, DEFAULT_PORT, "WARNING")
    assert config.shutdown_timeout == 10
    assert "a key with spaces" not in done.stderr


def test_run_sh_ignores_options_it_does_not_know(fake_venv: Path, tmp_path: Path) -> None:
    done = _run_sh(fake_venv, {"api_key": KEY, "colour": "blue"}, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ignoring unknown option 'colour'" in done.stderr
    assert "COLOUR" not in (tmp_path / "env").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"device": "cpu"}, "set api_key in the add-on configuration"),
        ({"api_key": "  "}, "set api_key in the add-on configuration"),
        ({"api_key": "a\nb"}, "option 'api_key' holds a line break"),
        ("{not json", "cannot read the add-on options"),
        ("[]", "holds no JSON object"),
    ],
)
def test_run_sh_refuses_to_start_on_bad_options(
    fake_venv: Path, tmp_path: Path, options: object, message: str
) -> None:
    done = _run_sh(fake_venv, options, tmp=tmp_path)
    assert done.returncode == 1
    assert message in done.stderr
    assert not (tmp_path / "args").exists()


def test_install_sh_without_an_sdist_says_how_to_get_one(tmp_path: Path) -> None:
    # What the Dockerfile's glob passes on when dist/ was never filled.
    missing = str(tmp_path / "dist" / "mlwatch-*.tar.gz")
    done = subprocess.run(
        [str(INSTALL), missing, str(tmp_path / "venv")],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "run scripts/addon-context" in done.stderr
    assert not (tmp_path / "venv").exists()


# --- The real thing: build the sdist, install it as the image does, start it. -----------------


@dataclass(frozen=True)
class Installed:
    """A venv that install.sh made from the sdist that scripts/addon-context built."""

    venv: Path
    sdist: Path
    output: str


def _fake_apt(bin_dir: Path, policy: str) -> Path:
    """apt-cache printing `policy`, and an apt-get that only records its arguments."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / "apt-get.log"
    (bin_dir / "apt-cache").write_text(f"#!/bin/sh\nprintf '%s' '{policy}'\n", encoding="utf-8")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n', encoding="utf-8")
    for tool in ("apt-cache", "apt-get"):
        (bin_dir / tool).chmod(0o755)
    return log


def _install(sdist: Path, venv: Path, apt_bin: Path) -> subprocess.CompletedProcess[str]:
    # The interpreter this venv was made from, as Debian's python3 is in the image.
    base = str(getattr(sys, "_base_executable", sys.executable))
    env = _clean_env(MLWATCH_PYTHON=base, PATH=f"{apt_bin}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [str(INSTALL), str(sdist), str(venv)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The add-on's install steps, once per module (pip's cache keeps it to ~20 s)."""
    tmp = tmp_path_factory.mktemp("addon")
    # The uv of the venv running the tests builds the sdist (scripts/setup installs it there).
    env = _clean_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    built = subprocess.run(
        [str(REPO / "scripts" / "addon-context"), str(tmp / "dist")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    sdist = Path(built.stdout.strip())
    assert sdist == tmp / "dist" / f"mlwatch-{__version__}.tar.gz"
    # Debian has no libedgetpu package: apt-cache knows nothing of it (so says trixie's too).
    _fake_apt(tmp / "apt-none", "")
    done = _install(sdist, tmp / "venv", tmp / "apt-none")
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(tmp / "venv", sdist, done.stdout)


def test_install_sh_installs_the_server_and_explains_the_missing_coral_runtime(
    installed: Installed,
) -> None:
    assert f"mlwatch-server {__version__}" in installed.output
    assert f"NOTE: {EDGETPU} (Coral's Edge TPU runtime) is not available" in installed.output
    found = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", WHERE],
        env=_clean_env(),
        cwd=installed.venv,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    server, core, model = found.stdout.split()
    site = str(installed.venv / "lib")
    assert server.startswith(site)
    assert core.startswith(site)
    assert model == "True"


def test_install_sh_installs_the_coral_runtime_when_apt_has_it(
    installed: Installed, tmp_path: Path
) -> None:
    log = _fake_apt(tmp_path / "apt", f"{EDGETPU}:\n  Installed: (none)\n  Candidate: 16.0\n")
    # Again into the same venv: running install.sh twice is harmless.
    done = _install(installed.sdist, installed.venv, tmp_path / "apt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert log.read_text(encoding="utf-8") == f"install -y --no-install-recommends {EDGETPU}\n"
    assert f"installed {EDGETPU} 16.0" in done.stdout
    assert "NOTE" not in done.stdout


def _get(port: int, path: str, key: str | None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {key}"} if key else {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, json.loads(body) if body else None
    finally:
        conn.close()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    """Start a server process and wait for /health; all are stopped (SIGTERM) afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def run(argv: list[str], env: dict[str, str], port: int, key: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"server{len(procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=out, stderr=out)
        procs.append(proc)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            try:
                if _get(port, "/health", key)[0] == 200:
                    return proc
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail("the server did not answer /health")

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def test_installed_server_answers_health_only_with_the_key(
    installed: Installed, start: Any, socket_enabled: None
) -> None:
    port = free_port()
    server = str(installed.venv / "bin" / "mlwatch-server")
    env = _clean_env(MLWATCH_API_KEY=KEY)
    proc = start([server, "--host", "127.0.0.1", "--port", str(port)], env, port, KEY)
    status, body = _get(port, "/health", KEY)
    assert status == 200
    assert body["status"] == "ok"
    assert body["version"] == __version__
    # The bundled detector, with the bundled classifier beside it for learning: both installed.
    assert body["model"]["kind"] == "detector+embedding"
    assert body["model"]["labels"] == 80
    # No libedgetpu in this venv: 'auto' falls back to the CPU and says why.
    assert body["device"] == "cpu"
    assert "libedgetpu" in body["fallback_reason"]
    assert _get(port, "/health", None)[0] == 401
    assert _get(port, "/health", "wrong-key")[0] == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def test_run_sh_starts_the_installed_server_with_the_options(
    installed: Installed, start: Any, socket_enabled: None, tmp_path: Path
) -> None:
    options = {
        "api_key": KEY,
        "device": "cpu",
        "threads": 1,
        "workers": 2,
        "queue": 3,
        "timeout": 5,
        "log_level": "DEBUG",
    }
    path = tmp_path / "options.json"
    path.write_text(json.dumps(options), encoding="utf-8")
    env = _clean_env(MLWATCH_OPTIONS_FILE=str(path), MLWATCH_VENV=str(installed.venv))
    port = free_port()
    # Only the port and a loopback address differ from the add-on (0.0.0.0:8780).
    argv = [str(RUN), "--host", "127.0.0.1", "--port", str(port)]
    proc = start(argv, env, port, KEY)
    status, body = _get(port, "/health", KEY)
    assert status == 200
    assert (body["device"], body["fallback_reason"]) == ("cpu", None)
    assert (body["queue"]["workers"], body["queue"]["limit"]) == (2, 3)
    assert _get(port, "/health", None)[0] == 401
    # run.sh became the server (exec): the Supervisor's SIGTERM reaches it directly.
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[1].endswith(b"/bin/mlwatch-server")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    lines = (tmp_path / "server0.log").read_text(encoding="utf-8").splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(line["level"] == "debug" for line in logged)
    assert logged[-1]["msg"] == "Stopped"


def test_run_sh_with_a_coral_device_but_no_runtime_will_not_start(
    installed: Installed, tmp_path: Path
) -> None:
    path = tmp_path / "options.json"
    path.write_text(json.dumps({"api_key": KEY, "device": "usb"}), encoding="utf-8")
    env = _clean_env(MLWATCH_OPTIONS_FILE=str(path), MLWATCH_VENV=str(installed.venv))
    done = subprocess.run(
        [str(RUN), "--host", "127.0.0.1", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Cannot load the model" in done.stderr
    assert "libedgetpu" in done.stderr
