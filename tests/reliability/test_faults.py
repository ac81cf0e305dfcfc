"""Faults: `qa index`/`qa add` killed mid-way, damaged index files, a full or read-only disk.

A short version of `python scripts/faults.py --runs 30 --corrupt --disk`; see that script for the checks
each run makes (sources intact, index old or new and answering as such, the command again completes).
"""

from __future__ import annotations

import errno

import pytest


@pytest.mark.parametrize("scenario, stop", [
    ("add-file", "write-half:index/segments/*"),  # half a segment on disk, under its temporary name
    ("modify", "unlink:index/segments/*"),  # new manifest in place, the old segment not yet removed
    # `qa add` killed while writing the new source (its id is a slug of its title)
    ("add-cmd", "write-half:sources/.bridge-inspection-in-tartar-finds-cracks.txt*"),
], ids=["segment-write", "cleanup", "add-source-write"])
def test_sigkill_leaves_the_old_or_the_new_index_and_every_source(lab, faults, scenario, stop):
    result = lab.kill_run(faults.SCENARIOS[scenario], stop=stop)
    assert "[" in result.fault, f"the child never reached {stop}: {result.fault}"
    assert result.errors == [], result.line()
    assert result.outcome in ("old", "new")


def test_sigkill_during_a_rebuild_for_another_model_never_mixes_the_models(lab, faults):
    """Every new segment written, the manifest not yet: the old manifest must not point at new vectors."""
    result = lab.kill_run(faults.SCENARIOS["model-change"], stop="replace:index/manifest.json")
    assert "[" in result.fault, result.fault
    assert result.errors == [], result.line()
    assert result.outcome == "old"


def test_sigkill_half_way_through_the_commit_line_keeps_the_old_index(lab, faults):
    """An incremental change commits by appending one line to the journal: half a line is no commit."""
    result = lab.kill_run(faults.SCENARIOS["delete"], stop="write-half:index/journal-*")
    assert "[" in result.fault, result.fault
    assert result.errors == [], result.line()
    assert result.outcome == "old"


@pytest.mark.parametrize("target, kind", [
    ("manifest", "truncate"), ("manifest", "random-bytes"), ("manifest", "dim=128"),
    ("segment:0", "truncate"), ("segment:2", "random-bytes"), ("segment:4", "deleted"),
    ("journal", "random-bytes"),
])
def test_a_damaged_index_file_is_reported_and_rebuilt_by_the_next_command(lab, target, kind):
    result = lab.corrupt_run(target, kind)
    assert result.errors == [], result.line()


def test_a_damaged_segment_in_a_real_qa_process_prints_no_traceback(faults, embedder, tmp_path):
    """The same check with `qa ask` as its own process, so its real stderr is read."""
    lab = faults.Lab(tmp_path, embedder)
    result = lab.corrupt_run("segment:3", "flip-bytes")
    assert result.errors == [], result.line()


@pytest.mark.parametrize("at", ["write-half:index/segments/*", "write-half:index/journal-*",
                                "fsync:index/journal-*"], ids=["segment", "journal-line", "journal-fsync"])
def test_disk_full_while_writing_keeps_the_old_index_and_names_the_file(lab, faults, at):
    result = lab.fail_run(faults.SCENARIOS["add-file"], at, errno.ENOSPC)
    assert "not reached" not in result.fault
    assert result.errors == [], result.line()


@pytest.mark.parametrize("mode", ["full", "readonly"])
def test_a_real_full_or_read_only_index_folder_gives_a_clear_error(lab, faults, mode):
    if not faults.can_mount():
        # Without root the OS-level injection above (ENOSPC raised by the write call) is the test.
        result = lab.fail_run(faults.SCENARIOS["modify"], "fsync:index/*",
                              errno.ENOSPC if mode == "full" else errno.EROFS)
    else:
        result = lab.mounted_run(mode)
    assert result.errors == [], result.line()
