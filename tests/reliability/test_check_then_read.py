"""Check, then read: FIFOs, devices, sparse files and links given to `qa add` or dropped into sources/ are
refused before a byte is read (never a hang, never gigabytes in memory); BOM and UTF-16 files dropped in
are stored once as UTF-8 so that offsets refer to the file as stored."""

from __future__ import annotations

import codecs
import os
import shutil
import threading
import tracemalloc
from pathlib import Path

import pytest

from qa.files import RefusedFile, read_checked

LIMIT = 5_000_000
FACT = "The fixture reports that 43 cranes nested near Zardab in April."
QUESTION = "How many cranes nested near Zardab?"


def article(fact: str = FACT) -> str:
    return f"A fixture article\n\nFirst, an unrelated sentence about the weather.\n{fact}\nOfficials declined to comment.\n"


def within(seconds: float, work):
    """`work()`'s result, or a failure if it has not returned after `seconds` (a FIFO open would hang)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: it blocked or read without end"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture()
def project(lab, tmp_path) -> Path:
    """A copy of the indexed seed project."""
    shutil.copytree(lab.base, tmp_path / "project")
    return tmp_path / "project"


@pytest.fixture()
def sparse(tmp_path) -> Path:
    """A 1.5 GB file that takes no disk space."""
    path = tmp_path / "outside" / "sparse.txt"
    path.parent.mkdir(exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(1_500_000_000)
    return path


def test_read_checked_refuses_fifos_devices_and_oversized_files_without_reading_them(tmp_path, sparse):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(RefusedFile, match="FIFO"):
        within(10, lambda: read_checked(fifo, LIMIT))
    with pytest.raises(RefusedFile, match="character device"):
        within(10, lambda: read_checked(Path("/dev/zero"), LIMIT))
    tracemalloc.start()
    try:
        with pytest.raises(RefusedFile, match="over the limit"):
            within(10, lambda: read_checked(sparse, LIMIT))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # refused on its size: not one block of it was read
    (tmp_path / "exact.txt").write_bytes(b"x" * 1000)
    assert read_checked(tmp_path / "exact.txt", 1000) == b"x" * 1000
    with pytest.raises(RefusedFile, match="over the limit"):
        read_checked(tmp_path / "exact.txt", 999)


def test_qa_add_refuses_a_fifo_dev_zero_a_link_to_it_and_a_sparse_file(project, run_cli, tmp_path, sparse):
    outside = tmp_path / "outside"
    os.mkfifo(outside / "pipe.txt")
    (outside / "zero.txt").symlink_to("/dev/zero")
    before = sorted(p.name for p in (project / "sources").iterdir())
    rc, out, err = within(300, lambda: run_cli(project, ["add", str(outside / "pipe.txt"), "/dev/zero",
                                                         str(outside / "zero.txt"), str(sparse)]))
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert rc == 1 and "Traceback" not in err and "added" not in out
    assert len(errors) == 4, err
    assert "FIFO" in errors[0] and "character device" in errors[1] and "character device" in errors[2]
    assert "over the limit" in errors[3] and "1,500,000,000" in errors[3]
    assert sorted(p.name for p in (project / "sources").iterdir()) == before


def test_odd_files_dropped_into_sources_are_skipped_with_a_warning_and_nothing_hangs(project, make_engine,
                                                                                    sparse):
    sources = project / "sources"
    os.mkfifo(sources / "pipe.txt")
    (sources / "zero.txt").symlink_to("/dev/zero")
    (sources / "passwd.txt").symlink_to("/etc/passwd")
    shutil.move(sparse, sources / "sparse.txt")
    (sources / "plain.txt").write_text(article(), encoding="utf-8")
    os.mkfifo(sources / "plain.meta.json")  # a sidecar that is a FIFO must not hang the scan either
    engine = within(300, lambda: make_engine(project))
    warnings = engine.warnings + engine.last_report.warnings
    said = {name: next((w for w in warnings if w.startswith(f"skipped {name}:")), "")
            for name in ("pipe.txt", "zero.txt", "passwd.txt", "sparse.txt")}
    assert "FIFO" in said["pipe.txt"]
    assert "outside sources/" in said["zero.txt"] and "outside sources/" in said["passwd.txt"]
    assert "over the limit" in said["sparse.txt"]
    assert engine.source("passwd") is None and engine.source("zero") is None
    assert engine.source("plain") is not None and engine.source("plain").meta.title == ""
    answer = engine.ask(QUESTION)
    assert answer.answer and answer.answer[0].source_id == "plain"


def test_links_inside_sources_are_followed_and_a_link_named_on_the_command_line_is_read(project, make_engine,
                                                                                        run_cli, tmp_path):
    sources = project / "sources"
    (sources / "archive").mkdir()
    (sources / "archive" / "kept.txt").write_text(article(), encoding="utf-8")
    (sources / "alias.txt").symlink_to(Path("archive") / "kept.txt")
    engine = make_engine(project)
    assert engine.source("alias") is not None and FACT in engine.source("alias").body
    outside = tmp_path / "elsewhere" / "real.txt"
    outside.parent.mkdir()
    outside.write_text(article("The fixture reports that 47 ibises were seen near Sabirabad."), encoding="utf-8")
    (tmp_path / "named.txt").symlink_to(outside)
    rc, out, err = run_cli(project, ["add", str(tmp_path / "named.txt")])
    assert rc == 0 and "added" in out and "as named" in out, err
    assert not (sources / "named.txt").is_symlink()  # stored as a copy of the text, not as the link


@pytest.mark.parametrize("name, data, was", [
    ("bom.txt", codecs.BOM_UTF8 + article().encode("utf-8"), "UTF-8 with a BOM"),
    ("utf16.txt", codecs.BOM_UTF16_LE + article().encode("utf-16-le"), "UTF-16"),
    ("utf16be.md", codecs.BOM_UTF16_BE + article().replace("\n", "\r\n").encode("utf-16-be"), "UTF-16"),
], ids=["utf8-bom", "utf16-le", "utf16-be-crlf"])
def test_a_bom_or_utf16_file_dropped_in_is_stored_once_as_utf8_and_offsets_refer_to_it(
        project, make_engine, name, data, was):
    path = project / "sources" / name
    path.write_bytes(data)
    os.chmod(path, 0o640)
    engine = make_engine(project)
    told = [w for w in engine.last_report.warnings if w.startswith(f"{name} was {was}")]
    assert told and "UTF-8" in told[0]
    stored = path.read_bytes()
    assert not stored.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert os.stat(path).st_mode & 0o777 == 0o640  # the user's permissions are kept
    answer = engine.ask(QUESTION)
    quote = answer.answer[0]
    assert quote.source_id == Path(name).stem and quote.quote == FACT
    assert stored.decode("utf-8")[quote.start:quote.end] == FACT  # the offsets of the file read as UTF-8
    mtime = path.stat().st_mtime_ns
    again = make_engine(project)
    assert not again.last_report.changed and not any(name in w for w in again.last_report.warnings)
    assert path.stat().st_mtime_ns == mtime  # converted once, not at every indexing


def test_a_folder_is_made_whole_or_not_at_all(tmp_path):
    from qa.files import folder_made_whole

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "half.bin").write_text("left by an interrupted run")
    with pytest.raises(RuntimeError):
        with folder_made_whole(folder) as temporary:
            (temporary / "model.onnx").write_text("partial")
            raise RuntimeError("the export failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"] and (folder / "half.bin").exists()
    with folder_made_whole(folder) as temporary:
        (temporary / "model.onnx").write_text("whole")
    assert sorted(p.name for p in folder.iterdir()) == ["model.onnx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no temporary folder left
