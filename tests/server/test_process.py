"""The `mlwatch-server` command: configuration, a bad model, and SIGTERM with requests in flight."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import aiohttp
import cv2
import pytest
from mlwatch_server.cli import main
from mlwatch_server.config import DEFAULT_PORT, ServerConfig, bundled_model, parse

from devtools.net import free_port
from devtools.photos import photo
from devtools.server import server_command, wait_healthy


def test_flags_win_over_environment_over_defaults() -> None:
    assert parse([], {}).port == DEFAULT_PORT
    assert parse([], {}).model == bundled_model()[0]
    assert parse([], {}).embedder == bundled_model("classifier")
    assert parse(["--model", "classifier"], {}).labels == bundled_model("classifier")[1]
    assert parse(["--model", "classifier"], {}).embedder is None
    custom = parse(["--model", "m/my.tflite", "--labels", "m/l.txt"], {})
    assert (custom.model, custom.labels) == (Path("m/my.tflite"), Path("m/l.txt"))
    assert custom.embedder is None
    env = {"MLWATCH_PORT": "9000", "MLWATCH_API_KEY": "k", "MLWATCH_MAX_BODY_MB": "2"}
    config = parse([], env)
    assert (config.port, config.api_key, config.max_body_bytes) == (9000, "k", 2 * 1024 * 1024)
    assert parse(["--port", "9100"], env).port == 9100
    assert not parse([], {}).allow_remote_without_key
    assert parse([], {"MLWATCH_ALLOW_REMOTE_WITHOUT_KEY": "true"}).allow_remote_without_key
    assert parse(["--model-name", "mat"], {}).name == "mat"
    assert parse([], {}).name == "nanodet_fp16"


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--timeout", "0"], ["--port", "x"]])
def test_bad_flags_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(argv, {})
    assert exit_.value.code == 2


def test_unloadable_model_exits_2_with_a_json_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"not a model")
    assert main(["--model", str(bad)]) == 2
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert lines[-1]["level"] == "error"
    assert lines[-1]["msg"].startswith("Cannot load the model")
    assert lines[-1]["model"] == str(bad)


async def test_sigterm_finishes_requests_in_flight(socket_enabled: None) -> None:
    # 24 MP PNGs cannot be decoded reduced: each keeps the interpreter thread busy ~0.3 s.
    ok, png = cv2.imencode(".png", cv2.resize(photo("chelsea"), (6000, 4000)))
    assert ok
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = await asyncio.create_subprocess_exec(
        *server_command(port, "--max-body-mb", "20", "--shutdown-timeout", "60"),
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, url, proc)

            async def post() -> int:
                async with session.post(url + "/v1/mlwatch/classify", data=png.tobytes()) as r:
                    await r.json()
                    return r.status

            inflight = [asyncio.create_task(post()) for _ in range(4)]
            for _ in range(1000):
                async with session.get(url + "/metrics") as resp:
                    if (await resp.json())["queue"]["depth"] == 4:
                        break
                await asyncio.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            statuses = await asyncio.gather(*inflight)
        assert statuses == [200] * 4
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    served = [line for line in lines if line["msg"] == "POST /v1/mlwatch/classify 200"]
    assert len(served) == 4
    assert lines[-1]["msg"] == "Stopped"


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--api-key", ""], {}),  # what "$(openssl rand -hex 16)" gives without openssl
        (["--api-key", " \t"], {}),
        ([], {"MLWATCH_API_KEY": ""}),
        ([], {"MLWATCH_API_KEY": "   "}),
        (["--api-key", " s3cret "], {}),  # every Bearer token is stripped: all would get 401
        (["--api-key", "s3cret\n"], {}),
        ([], {"MLWATCH_API_KEY": "s3cret "}),
    ],
    ids=["empty", "blank", "empty env", "blank env", "spaces", "newline", "space env"],
)
def test_a_key_no_client_can_send_is_refused_at_start(
    argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(argv, env)
    assert exit_.value.code == 2
    assert "--api-key (MLWATCH_API_KEY)" in capsys.readouterr().err


def test_main_refuses_an_empty_key_before_loading_the_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--api-key", "", "--model", "/nonexistent.tflite"])
    assert exit_.value.code == 2
    assert "is empty: make one with `mlwatch-server --generate-key`" in capsys.readouterr().err


def test_an_empty_key_never_reaches_the_app() -> None:
    """Were it let through, `check_key` would say yes to anyone."""
    model, labels = bundled_model()
    with pytest.raises(ValueError, match="empty"):
        ServerConfig(model=model, labels=labels, api_key="")
    assert ServerConfig(model=model, labels=labels, api_key="k3y").api_key == "k3y"


def test_generate_key_prints_a_fresh_random_key(capsys: pytest.CaptureFixture[str]) -> None:
    keys = []
    for _ in range(2):
        with pytest.raises(SystemExit) as exit_:
            parse(["--generate-key"], {})
        assert exit_.value.code == 0
        keys.append(capsys.readouterr().out.strip())
    assert all(len(key) == 32 and int(key, 16) >= 0 for key in keys)
    assert keys[0] != keys[1]
    assert parse(["--api-key", keys[0]], {}).api_key == keys[0]
