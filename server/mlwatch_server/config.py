"""Server settings from command-line flags, each with an `MLWATCH_*` environment fallback."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import __version__

DEFAULT_PORT = 8780
_KEY = "--api-key (MLWATCH_API_KEY)"


BUNDLED = ("detector", "classifier")


def bundled_model(name: str = "detector") -> tuple[Path, Path]:
    """A model and its labels that ship with the package: the detector or the classifier."""
    root = Path(str(resources.files("mlwatch_server.model")))
    if name == "detector":
        return root / "nanodet_fp16.tflite", root / "coco_labels.txt"
    return root / "efficientnet_lite0_int8.tflite", root / "imagenet_labels.txt"


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the server needs to start."""

    model: Path
    labels: Path
    device: str = "auto"
    threads: int = 2
    workers: int = 1
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    api_key: str | None = None
    allow_remote_without_key: bool = False
    max_body_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    queue: int = 16
    timeout: float = 10.0
    shutdown_timeout: float = 15.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 100
    model_name: str | None = None
    log_level: str = "INFO"
    # The classifier whose embedding of the region the detector's answers carry (for learning).
    embedder: tuple[Path, Path] | None = None

    def __post_init__(self) -> None:
        """A key that no client can send would leave the server open or closed to all."""
        if self.api_key is not None and (problem := key_problem(self.api_key)):
            raise ValueError(problem)

    @property
    def name(self) -> str:
        """The model's name for DeepStack's `/v1/vision/custom/<name>`: flag, else the file stem."""
        return self.model_name or self.model.stem


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an API key, or None when it can."""
    if not key.strip():
        return f"{_KEY} is empty: make one with `mlwatch-server --generate-key`"
    if key != key.strip():
        # HTTP strips a header's value, so a Bearer token never carries them: all would get 401.
        return f"{_KEY} starts or ends with whitespace, which no client can send"
    if not key.isprintable():
        return f"{_KEY} holds control characters, which no client can send"
    return None


class _GenerateKey(argparse.Action):
    """Print a new random key and exit, as --version does."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        sys.stdout.write(secrets.token_hex(16) + "\n")
        parser.exit()


def _env(environ: Mapping[str, str], flag: str) -> str | None:
    return environ.get("MLWATCH_" + flag.upper().replace("-", "_")) or None


def _parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlwatch-server",
        description="Serve a TFLite image model over HTTP for the mlwatch Home Assistant "
        "integration (and DeepStack/CodeProject.AI clients). Every flag can also be set as an "
        "environment variable: --api-key is MLWATCH_API_KEY.",
    )

    def opt(flag: str, default: object, kind: type = str, help_text: str = "") -> None:
        env = _env(environ, flag)
        p.add_argument(
            f"--{flag}",
            type=kind,
            default=kind(env) if env is not None else default,
            help=help_text,
        )

    opt(
        "model",
        "detector",
        str,
        "'detector' (bundled NanoDet, 80 COCO classes), 'classifier' (bundled EfficientNet-Lite0, "
        "1000 ImageNet classes) or a .tflite file",
    )
    opt("labels", None, Path, "labels file of a .tflite --model (default: ImageNet's)")
    opt("device", "auto", str, "cpu, auto, usb[:N] or pci[:N] (Coral Edge TPU)")
    opt("threads", 2, int, "CPU threads per interpreter")
    opt("workers", 1, int, "interpreters working in parallel (one per Coral)")
    opt("host", "127.0.0.1", str, "address to listen on (0.0.0.0 for all)")
    opt("port", DEFAULT_PORT, int, "TCP port")
    # An empty MLWATCH_API_KEY is someone's failed attempt at a key: refused, not unset.
    p.add_argument(
        "--api-key",
        default=environ.get("MLWATCH_API_KEY"),
        help="clients must send it as 'Authorization: Bearer <key>' (see --generate-key)",
    )
    opt("max-body-mb", 10.0, float, "largest request body")
    opt("max-pixels", 40_000_000, int, "largest image, refused before it is decoded")
    opt("queue", 16, int, "requests that may wait for an interpreter; more get 503")
    opt("timeout", 10.0, float, "seconds a request may wait and run before it gets 504")
    opt("shutdown-timeout", 15.0, float, "seconds to finish in-flight requests on SIGTERM")
    opt("header-timeout", 10.0, float, "seconds a client has to send a request's headers")
    opt("body-timeout", 30.0, float, "seconds a client has to send a request's body")
    opt("max-connections", 100, int, "open connections; when full, those without a key make room")
    opt("model-name", None, str, "name for /v1/vision/custom/<name> (default: file stem)")
    opt("log-level", "INFO", str, "DEBUG, INFO, WARNING or ERROR")
    allow = _env(environ, "allow-remote-without-key") in ("1", "true", "yes")
    p.add_argument(
        "--allow-remote-without-key",
        action="store_true",
        default=allow,
        help="without an API key, accept clients other than this machine (unsafe)",
    )
    p.add_argument(
        "--generate-key", nargs=0, action=_GenerateKey, help="print a new random API key and exit"
    )
    p.add_argument("--version", action="version", version=f"mlwatch-server {__version__}")
    return p


def parse(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> ServerConfig:
    """Flags win over the environment, which wins over the defaults."""
    environ = os.environ if environ is None else environ
    parser = _parser(environ)
    a = parser.parse_args(argv)
    for name in ("threads", "workers", "port", "max_pixels", "queue", "max_connections"):
        if getattr(a, name) < (0 if name == "queue" else 1):
            parser.error(f"--{name.replace('_', '-')} is too small")
    if min(a.timeout, a.max_body_mb, a.header_timeout, a.body_timeout) <= 0:
        parser.error("--timeout, --max-body-mb and the read timeouts must be positive")
    if a.api_key is not None and (problem := key_problem(a.api_key)):
        parser.error(problem)
    if a.model in BUNDLED:
        model, labels = bundled_model(a.model)
        labels = a.labels or labels
    else:
        model, labels = Path(a.model), a.labels or bundled_model("classifier")[1]
    return ServerConfig(
        model=model,
        labels=labels,
        embedder=bundled_model("classifier") if a.model == "detector" else None,
        device=a.device,
        threads=a.threads,
        workers=a.workers,
        host=a.host,
        port=a.port,
        api_key=a.api_key,
        allow_remote_without_key=a.allow_remote_without_key,
        max_body_bytes=int(a.max_body_mb * 1024 * 1024),
        max_pixels=a.max_pixels,
        queue=a.queue,
        timeout=a.timeout,
        shutdown_timeout=a.shutdown_timeout,
        header_timeout=a.header_timeout,
        body_timeout=a.body_timeout,
        max_connections=a.max_connections,
        model_name=a.model_name,
        log_level=a.log_level.upper(),
    )
