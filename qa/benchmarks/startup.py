"""Cold starts: a fresh `qa ask` process until it has printed its answer, `qa serve` until the page answers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..config import Config
from .stats import Figure

SERVE_TIMEOUT_S = 180


def _environment(config: Config) -> dict[str, str]:
    env = dict(os.environ, QA_HOME=str(config.root), QA_SOURCES_DIR=str(config.sources_dir),
               QA_INDEX_DIR=str(config.index_dir), QA_DATA_DIR=str(config.data_dir), HF_HUB_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False")
    return env


def _qa_command() -> list[str]:
    executable = shutil.which("qa", path=str(Path(sys.executable).parent))
    return [executable] if executable else [sys.executable, "-m", "qa.cli"]


def ask_cold_start(config: Config, question: str, runs: int) -> dict:
    """Seconds from starting `qa ask QUESTION` to its exit (model load, index load, one answer), and its
    peak memory."""
    seconds, peaks = [], []
    for run in range(runs + 1):  # the first run, untimed, builds the index if it is missing
        start = time.perf_counter()
        process = subprocess.Popen(_qa_command() + ["ask", "--json", question], env=_environment(config),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds.append(time.perf_counter() - start)
        out = process.stdout.read()
        process.stdout.close(), process.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0 or b'"answer"' not in out:
            return {"error": f"qa ask exited with {os.waitstatus_to_exitcode(status)}"}
        if run:
            peaks.append(usage.ru_maxrss / 1024)
        else:
            seconds.pop()
    return {"seconds": Figure.of(seconds, "s").to_dict(), "peak_rss_mib": Figure.of(peaks, "MiB").to_dict()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_cold_start(config: Config, runs: int) -> dict:
    """Seconds from starting `qa serve` to the first HTTP 200 of its page on 127.0.0.1."""
    if importlib.util.find_spec("gradio") is None:  # what `qa serve` needs beyond the core
        return {"error": "qa serve is not available (gradio is not installed)"}
    seconds = []
    for _ in range(runs):
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        start = time.perf_counter()
        process = subprocess.Popen(_qa_command() + ["serve", "--host", "127.0.0.1", "--port", str(port)],
                                   env=_environment(config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            answered = None
            while time.perf_counter() - start < SERVE_TIMEOUT_S and process.poll() is None:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            answered = time.perf_counter() - start
                            break
                except OSError:
                    time.sleep(0.1)
            if answered is None:
                return {"error": f"the page did not answer within {SERVE_TIMEOUT_S} s (exit code {process.poll()})"}
            seconds.append(answered)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    return {"seconds": Figure.of(seconds, "s").to_dict()}
