"""Cold starts: a fresh `qa ask` process until it has printed its answer, `qa serve` until the page answers;
each with every embedder asked for, alternated run by run, and the peak memory (VmHWM) of the process."""

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


# `qa` itself (what its console script runs), reporting its own peak memory as it exits: a child's
# ru_maxrss can be its parent's peak, copied at fork, instead of its own.
PEAK_MARK = "qa-bench-peak-rss-kib:"
QA_REPORTING_PEAK = (
    "import atexit, sys\n"
    "def peak():\n"
    "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
    f"    sys.stderr.write('\\n{PEAK_MARK} ' + hwm[0] + '\\n')\n"
    "atexit.register(peak)\n"
    "from qa.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n")


def _environment(config: Config, variant: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QA_EMBEDDER", "QA_QUANTIZE")}
    env.update(QA_HOME=str(config.root), QA_SOURCES_DIR=str(config.sources_dir), QA_INDEX_DIR=str(config.index_dir),
               QA_DATA_DIR=str(config.data_dir), QA_ONNX_DIR=str(config.onnx_dir), HF_HUB_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False")
    if variant:
        kind, _, quantize = variant.partition("-")
        env.update(QA_EMBEDDER=kind, QA_QUANTIZE=quantize,
                   QA_INDEX_DIR=str(config.index_dir.with_name(f"{config.index_dir.name}-{variant}")))
    return env


def _qa_command() -> list[str]:
    executable = shutil.which("qa", path=str(Path(sys.executable).parent))
    return [executable] if executable else [sys.executable, "-m", "qa.cli"]


def _peak_mib(stderr: bytes) -> float | None:
    for line in reversed(stderr.decode("utf-8", "replace").splitlines()):
        if line.startswith(PEAK_MARK):
            return int(line.split()[1]) / 1024
    return None


def ask_cold_start(config: Config, question: str, runs: int, variants: tuple[str, ...] = ("",)) -> dict:
    """Seconds from starting `qa ask QUESTION` to its exit (model load, index load, one answer), and its
    peak memory; for each embedder variant ("" = as configured), alternated run by run, each on its own
    index. {variant: {"seconds", "peak_rss_mib"}}."""
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    peaks: dict[str, list[float]] = {v: [] for v in variants}
    for run in range(runs + 1):  # the first run, untimed, builds the index if it is missing
        for variant in variants:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", QA_REPORTING_PEAK, "ask", "--json", question],
                                  env=_environment(config, variant), capture_output=True)
            elapsed = time.perf_counter() - start
            if done.returncode != 0 or b'"answer"' not in done.stdout:
                tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
                return {variant or "configured": {"error": f"qa ask exited with {done.returncode}: {tail}"}}
            if run:
                seconds[variant].append(elapsed)
                peaks[variant].append(_peak_mib(done.stderr) or float("nan"))
    return {variant or "configured": {"seconds": Figure.of(seconds[variant], "s").to_dict(),
                                      "peak_rss_mib": Figure.of(peaks[variant], "MiB").to_dict()}
            for variant in variants}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_cold_start(config: Config, runs: int, variants: tuple[str, ...] = ("",)) -> dict:
    """Seconds from starting `qa serve` to the first HTTP 200 of its page on 127.0.0.1 (the model and the
    index are loaded before the page is served), and the server's peak memory then; for each embedder
    variant, alternated run by run. {variant: {"seconds", "peak_rss_mib"}}."""
    if importlib.util.find_spec("gradio") is None:  # what `qa serve` needs beyond the core
        return {"error": "qa serve is not available (gradio is not installed)"}
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    peaks: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(runs):
        for variant in variants:
            answered, peak = _serve_once(config, variant)
            if answered is None:
                return {variant or "configured": {"error": peak}}
            seconds[variant].append(answered)
            peaks[variant].append(peak)
    return {variant or "configured": {"seconds": Figure.of(seconds[variant], "s").to_dict(),
                                      "peak_rss_mib": Figure.of(peaks[variant], "MiB").to_dict()}
            for variant in variants}


def _serve_once(config: Config, variant: str):
    """(seconds until the page answered, peak RSS MiB then), or (None, why not)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    process = subprocess.Popen(_qa_command() + ["serve", "--host", "127.0.0.1", "--port", str(port)],
                               env=_environment(config, variant), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.perf_counter() - start < SERVE_TIMEOUT_S and process.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        answered = time.perf_counter() - start
                        status = Path(f"/proc/{process.pid}/status").read_text()
                        hwm = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
                        return answered, int(hwm[0]) / 1024
            except OSError:
                time.sleep(0.1)
        return None, f"the page did not answer within {SERVE_TIMEOUT_S} s (exit code {process.poll()})"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
