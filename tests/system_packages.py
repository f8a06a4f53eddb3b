"""Debian packages some tests need: installed with apt-get when running as root, else the test skips."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def ensure_debian_package(package: str, provides: str) -> Path:
    """Return `provides` once it exists, installing `package` if needed; in CI a failure fails the test."""
    path = Path(provides)
    if not path.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
        if subprocess.run(install, env=environment, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True)
            subprocess.run(install, env=environment, capture_output=True)
    if not path.exists():
        message = f"{provides} is missing: install the Debian package {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
