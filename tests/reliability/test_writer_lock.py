"""One writer at a time: a second writer waits with a message, or fails after its wait with one line; the
lock is re-entrant in a thread, shared by a process's threads, and released when its holder is killed."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qa.files import WRITER_LOCK, WriterBusy, writer_lock

HOLDER = """
import sys, time
from pathlib import Path
from qa.files import writer_lock
with writer_lock(Path(sys.argv[1]), 5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture()
def project(lab, tmp_path) -> Path:
    shutil.copytree(lab.base, tmp_path / "project")
    return tmp_path / "project"


def hold(folder: Path, seconds: float, env: dict) -> subprocess.Popen:
    """Another process holding the writer lock of `folder` for `seconds` (it says "held" once it has it)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), str(seconds)], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_writer_waits_for_the_first_and_says_so(project, faults, tmp_path):
    incoming = tmp_path / "late.txt"
    incoming.write_text("The ferry to Aktau left on 5 May 2022 with 300 passengers aboard.\n", encoding="utf-8")
    env = faults.child_env(project)
    holder = hold(project / "index", 600, env)
    add = subprocess.Popen([sys.executable, "-m", "qa.cli", "add", str(incoming)], cwd=project, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = ""
    deadline = time.monotonic() + 300
    while "another qa process is writing" not in said and time.monotonic() < deadline and add.poll() is None:
        said += add.stderr.readline()
    time.sleep(1)
    assert add.poll() is None and not list((project / "sources").glob("late*"))  # waiting, nothing written
    holder.terminate()  # the first writer finishes: the second goes on
    holder.wait(30)
    out, err = add.communicate(timeout=300)
    assert add.returncode == 0 and "added" in out, (said + err)[-500:]
    assert (said + err).count("another qa process is writing") == 1


def test_a_writer_that_waits_too_long_fails_with_one_line_and_writes_nothing(project, faults, tmp_path):
    incoming = tmp_path / "late.txt"
    incoming.write_text("The ferry to Aktau left on 5 May 2022 with 300 passengers aboard.\n", encoding="utf-8")
    env = faults.child_env(project)
    holder = hold(project / "index", 600, env)
    try:
        before = sorted(p.name for p in (project / "sources").iterdir())
        done = subprocess.run([sys.executable, "-m", "qa.cli", "add", str(incoming)], cwd=project,
                              env={**env, "QA_WRITER_WAIT_S": "1"}, capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(errors) == 1 and "another writer" in errors[0] and "QA_WRITER_WAIT_S" in errors[0]
    assert sorted(p.name for p in (project / "sources").iterdir()) == before


def test_a_killed_holder_releases_the_lock(project, faults):
    holder = hold(project / "index", 600, faults.child_env(project))
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    with writer_lock(project / "index", 5):
        pass
    assert time.monotonic() - started < 1
    assert (project / "index" / WRITER_LOCK).exists()  # the file stays (empty); only the flock was released


def test_threads_of_one_process_take_turns_and_a_thread_may_take_it_again(tmp_path):
    events: list[str] = []
    entered = threading.Event()

    def first() -> None:
        with writer_lock(tmp_path, 5):
            with writer_lock(tmp_path, 5):  # re-entrant: a writer calling another writer
                events.append("first in")
                entered.set()
                time.sleep(0.5)
                events.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait(5)
    with writer_lock(tmp_path, 5):
        events.append("second in")
    thread.join()
    assert events == ["first in", "first out", "second in"]
    held = [writer_lock(tmp_path, 5)]  # entered by another thread and not left while the test runs
    holder = threading.Thread(target=held[0].__enter__)
    holder.start()
    holder.join()
    with pytest.raises(WriterBusy, match="for over 0.3 s"):
        with writer_lock(tmp_path, 0.3):
            pass
    held[0].__exit__(None, None, None)
    with writer_lock(tmp_path, 0.3):
        pass


def test_a_reader_does_not_wait_for_a_writer_it_answers_from_the_committed_index(project, faults):
    """`qa ask` while a rebuild holds the lock: the answer comes from the index as last committed, at once."""
    env = faults.child_env(project)
    holder = hold(project / "index", 600, env)
    try:
        done = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "--json",
                               "Who was dismissed as commander of the Second Army Corps?"], cwd=project,
                              env={**env, "QA_WRITER_WAIT_S": "600"}, capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr[-500:]
    assert "Barkhudarov" in done.stdout and "being written by another qa process" in done.stderr
