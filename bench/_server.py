"""Shared by the benchmarks that serve the application for real: a free loopback port, a server started and
waited for, and the CPU its processes used."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], env: dict[str, str], port: int, **popen: Any) -> subprocess.Popen[bytes]:
    """Run `command` (a server on loopback `port`) and return once its /healthz answers 200."""
    server = subprocess.Popen(command, env=env, **popen)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("the server did not start")


def server_cpu(pid: int) -> float:
    """User + system seconds of a server process and its children (gunicorn's master and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def stop(server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM (gunicorn's graceful stop; `careconductor serve` then stops its background worker), SIGKILL if
    it has not stopped within `timeout` seconds."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
