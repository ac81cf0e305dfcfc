"""Fault injection: kill, corrupt, fill and lock the index of a temporary project, then check what survives.

    python scripts/faults.py --runs 30            # SIGKILL `qa index` / `qa add` at random points, 30 times
    python scripts/faults.py --runs 0 --corrupt   # corrupt each index file in turn, `qa ask` must rebuild
    python scripts/faults.py --runs 0 --disk      # disk full (tiny tmpfs) and read-only index/ (needs root)
    python scripts/faults.py --runs 0 --races 20  # writers racing: same-name adds, an add during a rebuild,
                                                  # identical-text adds, 20 randomized trials each

Every run works on a fresh copy of a project holding the seed sources and a built index ("old"). A
scenario changes the sources (or not) and runs a `qa` command in a child process whose file writes,
renames, fsyncs and embedding calls are checkpoints: the run either stops the child at one checkpoint and
SIGKILLs it, kills it after a random delay, or makes one checkpoint fail with ENOSPC/EROFS. Afterwards the
index must load with no problem, be the old one or the new one (what the same command gives when nothing
goes wrong), answer the probe questions exactly as that index does, and the same command run again must
complete with the new index. No source file may have been modified or lost by the program.

The races run real `qa add` / `qa index --rebuild` processes against one project that a running `qa serve`
answers from. Most trials pause the first process at a random checkpoint of its writing (the same
checkpoints as above) and run the second meanwhile, so the two meet where it matters; the rest start them
0-2 s apart. After each trial no article that was added may be missing or stored twice, the index must
hold every source file as it is, and the server must answer a question about every article a process
reported added (with a quote from that article).

tests/reliability/ runs a few of these runs in CI; this script is the long version.
"""

from __future__ import annotations

import argparse
import errno
import fnmatch
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONNX_DIR = Path(os.environ.get("QA_ONNX_DIR", ROOT / "data" / "onnx"))  # one export of the model for every run
SEED_SOURCES = ROOT / "sources"

PROBE_QUESTIONS = [
    "How many servicemen died as a result of torture?",
    "Who was dismissed as commander of the Second Army Corps?",
    "Why did the victims of the Tartar case protest in Baku?",
    "How many cracks did the inspection of the Tartar river bridge find?",
]

# An invented article (a test fixture, not news) whose facts only it states.
EXTRA_ARTICLE = """Bridge inspection in Tartar finds cracks

An inspection of the Tartar river bridge carried out on 3 March 2019 found 42 cracks in its supports, \
the district engineering office said on Monday.
The engineers recommended closing the bridge to lorries heavier than ten tonnes until repairs are finished.
According to the office, repairs will cost about 1.2 million manats and take eight months.
Residents said the bridge had not been inspected since 2009.
"""
EXTRA_META = {"title": "Bridge inspection in Tartar finds cracks", "outlet": "Fixture Daily",
              "date": "2019-03-04", "url": "https://example.org/bridge"}
EXTRA_ID = "bridge-inspection-in-tartar-finds-cracks"  # its id everywhere: what `qa add` makes of its title
DELETED_SOURCE = "004_4535bae51ce033c4"
OTHER_MODEL = "other-model"  # a second model of the same dimension, made by make_other_model
MODIFIED_SOURCE = "002_e8a6ebfdac5c0c25"

STOP_WAIT_S = 600  # a stopped child sleeps this long at most, waiting for its SIGKILL
CHILD_TIMEOUT_S = 300


# ---- projects, digests, answers ------------------------------------------------------------------

def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every file under `folder`."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def answer_signature(answer) -> tuple:
    """What an answer says (quotes by offsets, citations, abstention, conflict), without scores or timings."""
    return (
        answer.abstained,
        answer.message,
        tuple((q.source_id, q.start, q.end, q.citation) for q in answer.answer),
        tuple((c.n, c.source_id, c.title, c.outlet, c.date, c.url) for c in answer.citations),
        None if answer.conflict is None else (answer.conflict.kind, json.dumps(answer.conflict.values, sort_keys=True)),
    )


def child_env(root: Path) -> dict[str, str]:
    """The environment of a `qa` child: this project only, offline, no inherited QA_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    # the ONNX export of the model is shared (made once, not per throwaway project)
    env.update(QA_HOME=str(root), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               QA_ONNX_DIR=str(ONNX_DIR),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])))
    return env


def run_qa(root: Path, args: list[str], timeout: float = CHILD_TIMEOUT_S) -> subprocess.CompletedProcess:
    """`qa ARGS` as a real process over the project at `root`."""
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=root, env=child_env(root),
                          capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class Scenario:
    """A change to the sources and the `qa` command that takes it in."""

    name: str
    args: tuple[str, ...]  # the qa command line; {extra} is replaced by the extra article's path

    def prepare(self, root: Path) -> None:
        sources = root / "sources"
        if self.name == "add-file":
            (sources / f"{EXTRA_ID}.txt").write_text(EXTRA_ARTICLE, encoding="utf-8")
            (sources / f"{EXTRA_ID}.meta.json").write_text(json.dumps(EXTRA_META), encoding="utf-8")
        elif self.name == "delete":
            (sources / f"{DELETED_SOURCE}.txt").unlink()
            (sources / f"{DELETED_SOURCE}.meta.json").unlink()
        elif self.name == "modify":
            with open(sources / f"{MODIFIED_SOURCE}.txt", "a", encoding="utf-8", newline="") as fh:
                fh.write("\nThe protest ended after the police dispersed the crowd of 40 people.\n")
        elif self.name == "add-cmd":
            (root / "incoming").mkdir(exist_ok=True)
            (root / "incoming" / "extra-article.txt").write_text(EXTRA_ARTICLE, encoding="utf-8")

    def command(self, root: Path) -> list[str]:
        return [a.replace("{extra}", str(root / "incoming" / "extra-article.txt"))
                .replace("{other_model}", str(root.parent / OTHER_MODEL)) for a in self.args]

    @property
    def adds_sources(self) -> bool:
        return self.args[0] == "add"


SCENARIOS = {
    s.name: s for s in [
        Scenario("add-file", ("index",)),
        Scenario("delete", ("index",)),
        Scenario("modify", ("index",)),
        Scenario("rebuild", ("index", "--rebuild")),
        Scenario("model-change", ("index", "--model", "{other_model}")),
        Scenario("add-cmd", ("add", "{extra}", "--title", EXTRA_META["title"], "--outlet", EXTRA_META["outlet"],
                             "--date", EXTRA_META["date"], "--url", EXTRA_META["url"])),
    ]
}


@dataclass(frozen=True)
class IndexState:
    """An index as the engine sees it: what is indexed, and how it answers the probe questions."""

    sources: dict[str, str] | None
    answers: tuple
    problems: tuple[str, ...]
    model_id: str = ""

    @property
    def key(self) -> tuple:
        return self.model_id, self.sources


@dataclass
class RunResult:
    scenario: str
    fault: str  # what was done to the child: "stop@<label>", "kill after 3.2s", "ENOSPC@<label>", ...
    outcome: str = ""  # "old", "new", or "" when the index matched neither
    child_rc: int | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # harmless leftovers worth knowing about

    def line(self) -> str:
        status = "ok" if not self.errors else "FAIL: " + " | ".join(self.errors)
        status += "".join(f" (note: {note})" for note in self.notes)
        return f"{self.scenario:9s} {self.fault[:70]:70s} -> {self.outcome or '?':3s} {status}"


class Lab:
    """A base project with a built index, fresh copies of it per run, and what each scenario should give."""

    def __init__(self, workdir: Path, embedder, runner=None) -> None:
        """`runner(root, args) -> (rc, stdout, stderr)` runs a `qa` command after a fault, when it must
        complete (default: a real process); faults themselves always hit a real child process."""
        from qa import Config, Engine

        self.workdir = Path(workdir)
        self.embedder = embedder
        self.other_model = make_other_model(self.workdir / OTHER_MODEL)
        self._embedders = {embedder.index_id: embedder}
        self.runner = runner or (lambda root, args: _completed(run_qa(root, args)))
        self.base = self.workdir / "base"
        if not (self.base / "index" / "manifest.json").exists():
            shutil.rmtree(self.base, ignore_errors=True)
            shutil.copytree(SEED_SOURCES, self.base / "sources")
            Engine.load(Config(root=self.base), embedder=embedder)
        self._expected: dict[str, tuple[IndexState, IndexState]] = {}
        self._runs = 0

    def fresh(self, scenario: Scenario) -> Path:
        """A new copy of the base project with the scenario's change made to its sources."""
        self._runs += 1
        root = self.workdir / f"run{self._runs:03d}-{scenario.name}"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(self.base, root)
        scenario.prepare(root)
        return root

    def state(self, root: Path, index_dir: Path | None = None) -> IndexState:
        from qa import Config, Engine
        from qa.index import open_backend

        config = Config(root=root, index_dir=index_dir)
        backend = open_backend(config)
        info = backend.info()
        if info is None:
            return IndexState(None, (), tuple(backend.problems))
        engine = Engine.load(config, build=False, embedder=self.embedder_for(info.model_id))
        answers = tuple(answer_signature(engine.ask(q)) for q in PROBE_QUESTIONS)
        return IndexState(dict(info.sources), answers, tuple(backend.problems), info.model_id)

    def embedder_for(self, model_id: str):
        """The loaded embedder of the default model or of the other model, by model id."""
        if model_id not in self._embedders:
            from qa.embedding import SentenceTransformerEmbedder

            # on torch, as `qa` runs it: the ONNX export takes mean pooling only, and this model's is CLS
            self._embedders[model_id] = SentenceTransformerEmbedder(str(self.other_model))
        return self._embedders[model_id]

    def expected(self, scenario: Scenario) -> tuple[IndexState, IndexState]:
        """(old, new): the index before the scenario's command, and after it ran with nothing going wrong."""
        if scenario.name not in self._expected:
            from qa import Config, Engine
            from qa.types import SourceMeta

            root = self.fresh(scenario)
            old = self.state(root)
            engine = Engine.load(Config(root=root), build=False, embedder=self.embedder)
            if scenario.name == "model-change":
                other = self.embedder_for(OTHER_MODEL)
                engine = Engine.load(Config(root=root, model=str(self.other_model)), build=False, embedder=other)
                engine.index()
            elif scenario.adds_sources:
                engine.index()
                result, _ = engine.add(EXTRA_ARTICLE.encode("utf-8"), "extra-article.txt", SourceMeta(**EXTRA_META))
                assert result.added, "the extra article should be new"
            else:
                engine.index(rebuild="--rebuild" in scenario.args)
            self._expected[scenario.name] = (old, self.state(root))
            shutil.rmtree(root, ignore_errors=True)
        return self._expected[scenario.name]

    # ---- checks ----------------------------------------------------------------------------------

    def check(self, scenario: Scenario, root: Path, sources_before: dict[str, str], result: RunResult,
              rerun: bool = True) -> RunResult:
        """After a fault: sources intact, index old or new and answering as such; the command again -> new."""
        old, new = self.expected(scenario)
        result.errors += source_errors(scenario, root, sources_before)
        result.errors += overwritten_segments(self.base / "index", root / "index")
        now = self.state(root)
        if now.problems:
            result.errors.append(f"index problems after the fault: {now.problems}")
        result.outcome = outcome(now, old, new)
        if not result.outcome:
            result.errors.append(f"index is neither old nor new: {sorted(now.sources or {})}")
        elif now.answers != (old if result.outcome.startswith("old") else new).answers:
            result.errors.append(f"answers differ from the {result.outcome} index's")
        if rerun:
            rc, _, err = self.runner(root, scenario.command(root))
            if rc != 0 or "Traceback" in err:
                result.errors.append(f"`qa {' '.join(scenario.args)}` again failed ({rc}): {err.strip()[-300:]}")
            after = self.state(root)
            if after.key != new.key or after.answers != new.answers or after.problems:
                result.errors.append("after the command ran again, the index is not the new one")
            result.notes += leftovers(root)
            result.errors += source_errors(scenario, root, sources_before, finished=True)
        return result

    # ---- faults ----------------------------------------------------------------------------------

    def kill_run(self, scenario: Scenario, stop: str | None = None, delay: float | None = None,
                 rerun: bool = True) -> RunResult:
        """Run the scenario's command; SIGKILL it at checkpoint `stop` (a number or a label pattern) or after
        `delay` seconds. A child that finishes first is checked all the same."""
        root = self.fresh(scenario)
        before = tree_digest(root / "sources")
        events = root / "checkpoints.log"
        child = spawn_child(root, scenario.command(root), events, stop=stop)
        fault = f"stop@{stop}" if stop is not None else f"kill after {delay:.2f}s"
        deadline = time.monotonic() + (delay if delay is not None else CHILD_TIMEOUT_S)
        hit = ""
        while child.poll() is None and time.monotonic() < deadline:
            hit = stopped_at(events)
            if hit:
                break
            time.sleep(0.02)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            child.wait()
            fault += f" [{hit}]" if hit else f" [after {last_checkpoint(events) or 'no checkpoint'}]"
        else:
            fault += " (finished first)"
        result = RunResult(scenario.name, fault, child_rc=child.returncode)
        if delay is None and not hit and child.returncode != 0:
            result.errors.append(f"child failed by itself ({child.returncode}): {child_stderr(root)[-300:]}")
        self.check(scenario, root, before, result, rerun)
        shutil.rmtree(root, ignore_errors=True)
        return result

    def fail_run(self, scenario: Scenario, at: str, error: int = errno.ENOSPC) -> RunResult:
        """Make the checkpoint `at` raise OSError(`error`) in the child, as a full or read-only disk would."""
        root = self.fresh(scenario)
        before = tree_digest(root / "sources")
        events = root / "checkpoints.log"
        child = spawn_child(root, scenario.command(root), events, fail=at, errno_=error)
        child.wait(CHILD_TIMEOUT_S)
        stderr = child_stderr(root)
        result = RunResult(scenario.name, f"{errno.errorcode[error]}@{at} [{fired_at(events)}]",
                           child_rc=child.returncode)
        result.errors += error_message_errors(child.returncode, stderr, os.strerror(error))
        self.check(scenario, root, before, result)
        if not result.outcome.startswith("old"):
            result.errors.append("the failed command changed the index")
        shutil.rmtree(root, ignore_errors=True)
        return result

    def checkpoints(self, scenario: Scenario) -> list[str]:
        """Every checkpoint the scenario's command passes when nothing goes wrong (and that it ends right)."""
        root = self.fresh(scenario)
        before = tree_digest(root / "sources")
        events = root / "checkpoints.log"
        child = spawn_child(root, scenario.command(root), events)
        child.wait(CHILD_TIMEOUT_S)
        result = self.check(scenario, root, before, RunResult(scenario.name, "none"), rerun=False)
        if child.returncode != 0 or result.errors or result.outcome not in ("new", "old=new"):
            raise AssertionError(f"{scenario.name} does not work without faults: {result.errors} "
                                 f"{child_stderr(root)[-500:]}")
        labels = [line.split(" ", 1)[1] for line in events.read_text().splitlines() if line[:1].isdigit()]
        shutil.rmtree(root, ignore_errors=True)
        return labels

    # ---- corruption ------------------------------------------------------------------------------

    def corrupt_run(self, target: str, kind: str) -> RunResult:
        """Damage one index file, then `qa ask`: a clear message, an automatic rebuild, the same answer.

        The "journal" target is the journal of an incremental change (the extra article added)."""
        scenario = SCENARIOS["add-file"] if target == "journal" else Scenario("corrupt", ("ask",))
        root = self.fresh(scenario)
        if target == "journal":
            from qa import Config, Engine

            Engine.load(Config(root=root), embedder=self.embedder)  # the add: one journal line
            expected = self.expected(scenario)[1]
        else:
            expected = self.expected(SCENARIOS["rebuild"])[0]
        before = tree_digest(root / "sources")
        path = corrupt(root / "index", target, kind)
        result = RunResult("corrupt", f"{kind} {path.relative_to(root)}")
        rc, out, err = self.runner(root, ["ask", "--json", PROBE_QUESTIONS[0]])
        result.child_rc = rc
        if rc != 0 or "Traceback" in err:
            result.errors.append(f"`qa ask` failed ({rc}): {err.strip()[-300:]}")
        if (target, kind) == ("journal", "garbage-line"):
            told = True  # a torn last line is what a crash mid-append leaves: ignored by design, nothing lost
        elif target == "journal" or (target, kind) == ("manifest", "deleted"):
            told = "index:" in err  # what was (re-)embedded is printed
        else:
            told = "index:" in err and any(line.startswith(("warning:", "full rebuild:")) for line in err.splitlines())
        if not told:
            result.errors.append(f"no message about the damaged index and its rebuild: {err.strip()[-300:]!r}")
        now = self.state(root)
        result.outcome = "old=new" if (now.key, now.answers) == (expected.key, expected.answers) else ""
        if not result.outcome or now.problems:
            result.errors.append(f"after `qa ask` the index is not whole again: {now.problems}")
        try:
            printed = json.loads(out.strip().splitlines()[-1])
            if [(q["source_id"], q["start"], q["end"]) for q in printed["answer"]] != \
                    [q[:3] for q in expected.answers[0][2]]:
                result.errors.append("the printed answer differs from the undamaged index's")
        except (ValueError, IndexError, KeyError) as exc:
            result.errors.append(f"`qa ask --json` printed no answer ({exc})")
        if tree_digest(root / "sources") != before:
            result.errors.append("sources changed")
        shutil.rmtree(root, ignore_errors=True)
        return result

    # ---- a real full or read-only file system (root only) ----------------------------------------

    def mounted_run(self, mode: str) -> RunResult:
        """`qa index` with index/ on a tmpfs too small for the new segment ("full"), or bind-mounted
        read-only ("readonly"), inside a private mount namespace (unshare): nothing leaks out of the run."""
        scenario = Scenario("add-big", ("index",))
        root = self.fresh(scenario)
        body = "\n".join(f"Sentence {n} of a long fixture article about the bridge in Tartar." for n in range(150))
        (root / "sources" / "big-article.txt").write_text(body + "\n", encoding="utf-8")
        before = tree_digest(root / "sources")
        old_index = tree_digest(root / "index")
        index, seen = root / "index", root / "index-seen"
        size_kb = sum((index / rel).stat().st_size for rel in old_index) // 1024 + 64
        env_args = " ".join(f"{k}={_sh(v)}" for k, v in child_env(root).items()
                            if k.startswith(("QA_", "HF_", "TOK", "PYTHON")))
        qa = f"env {env_args} {_sh(sys.executable)} -m qa.cli index"
        if mode == "full":
            script = (f"set -e; mkdir {_sh(seen)}; mount -t tmpfs -o size={size_kb}k tmpfs {_sh(seen)}; "
                      f"cp -a {_sh(index)}/. {_sh(seen)}/; rc=0; {qa} --index-dir {_sh(seen)} || rc=$?; "
                      f"rm -rf {_sh(index)}; mkdir {_sh(index)}; cp -a {_sh(seen)}/. {_sh(index)}/; exit $rc")
        else:
            script = (f"set -e; mount --bind {_sh(index)} {_sh(index)}; "
                      f"mount -o remount,bind,ro {_sh(index)}; {qa}")
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                              cwd=root, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        expected = "No space left on device" if mode == "full" else "Read-only file system"
        result = RunResult(scenario.name, f"{mode} index/ (real mount)", child_rc=done.returncode)
        result.errors += error_message_errors(done.returncode, done.stderr, expected)
        if tree_digest(index) != old_index:
            result.errors.append("the old index files changed")
        if tree_digest(root / "sources") != before:
            result.errors.append("sources changed")
        now = self.state(root)
        old, _ = self.expected(SCENARIOS["add-file"])
        result.outcome = "old" if now.sources == old.sources and not now.problems else ""
        if not result.outcome:
            result.errors.append("the old index does not load as it was")
        rc, _, err = self.runner(root, ["index"])
        if rc != 0:
            result.errors.append(f"`qa index` on a writable disk failed: {err[-300:]}")
        shutil.rmtree(root, ignore_errors=True)
        return result


# ---- races between writers --------------------------------------------------------------------------

RACES = ("same-name", "add-during-rebuild", "identical-text")
# Where the first process of a race may be paused (None: not paused). An add: about to store its source
# file (after its duplicate check and choice of id), embedding, about to write its segment, committing.
# A rebuild: embedding, embedded, writing segments, about to write the manifest.
PAUSES = {
    "add": ["replace:sources/*", "embed:*", "replace:index/segments/*", "fsync:index/journal-*", None],
    "rebuild": ["embed:*", "embedded", "replace:index/segments/*", "replace:index/manifest.json", None],
}
SYLLABLES = ["ka", "ro", "zu", "mi", "ta", "ne", "vo", "li", "sha", "gor", "dal", "bek", "fi", "ul", "tir", "sa"]
THINGS = ["cranes", "storks", "herons", "ibises", "pelicans", "flamingos", "egrets", "swans", "plovers", "kites"]
BODIES = ["water office", "wildlife board", "district survey", "rangers' service", "lake authority"]


@dataclass(frozen=True)
class Article:
    """An invented article (a fixture, not news) that states one count only it states, and the question
    whose answer is that count."""

    text: str
    question: str
    number: str


def invent_article(rng: random.Random, used: set[str]) -> Article:
    """A new article about a place with a made-up name, so that its question finds it and nothing else."""
    while True:
        place = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        if place not in used:
            used.add(place)
            break
    thing, body, number = rng.choice(THINGS), rng.choice(BODIES), str(rng.randint(12, 9_999))
    day = rng.randint(1, 28)
    text = (f"Survey near {place}\n\n"
            f"The {body} of {place} published its spring survey on Tuesday.\n"
            f"The {body} of {place} counted {number} {thing} near the {place} reservoir on {day} April.\n"
            "Volunteers helped with the count, which took three days.\n"
            "The next survey is planned for the autumn.\n")
    return Article(text, f"How many {thing} did the {body} of {place} count near the {place} reservoir?", number)


@dataclass
class RaceResult:
    race: str
    detail: str  # the random choices of the trial: delay, order, names
    added: dict[str, str] = field(default_factory=dict)  # source id -> text, as the processes reported
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        status = "ok" if not self.errors else "FAIL: " + " | ".join(self.errors)
        return f"{self.race:18s} {self.detail[:110]:110s} {status}"


class _Process:
    """A `qa` process whose stdout and stderr are read as they come (a race waits for a line of stderr)."""

    def __init__(self, command: list[str], root: Path) -> None:
        self.process = subprocess.Popen(command, cwd=root, env=child_env(root), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(stream, into), daemon=True)
                        for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def poll(self) -> int | None:
        return self.process.poll()

    def stderr_text(self) -> str:
        return "".join(self.err)

    def finish(self, what: str, result: RaceResult) -> str:
        """Wait for it; its stdout. A failure or a traceback is an error of the trial."""
        try:
            self.process.wait(CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            result.errors.append(f"{what} did not finish in {CHILD_TIMEOUT_S} s")
        for reader in self.readers:
            reader.join(10)
        if self.process.returncode != 0 or "Traceback" in self.stderr_text():
            result.errors.append(f"{what} failed ({self.process.returncode}): {self.stderr_text().strip()[-300:]}")
        return "".join(self.out)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _loadtest():
    """scripts/loadtest.py (its `qa serve` child process), loaded once."""
    if "loadtest" not in sys.modules:
        spec = importlib.util.spec_from_file_location("loadtest", Path(__file__).with_name("loadtest.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["loadtest"] = module
        spec.loader.exec_module(module)
    return sys.modules["loadtest"]


class RaceLab:
    """One project with a running `qa serve`, and real `qa` processes racing to write it, trial after trial.

    The project keeps what every trial added, so later trials race against a growing index and against
    names already taken."""

    def __init__(self, workdir: Path, base: Path) -> None:
        self.workdir = Path(workdir)
        self.server = _loadtest().Server(base / "sources", base / "index")
        self.root = self.server.home
        self.added: dict[str, str] = {}  # every article reported added so far: id -> text
        self.used: set[str] = set()
        self.trials = 0
        self._client = None

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> "RaceLab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- the processes -----------------------------------------------------------------------------

    def incoming(self, name: str, text: str) -> Path:
        """A file to add, outside the project, in a folder of its own (so two can share a name)."""
        folder = self.workdir / f"incoming-{self.trials:03d}-{len(list(self.workdir.glob('incoming-*')))}"
        folder.mkdir(parents=True)
        (folder / name).write_text(text, encoding="utf-8")
        return folder / name

    def race(self, first: list[str], second: list[str], kind: str, rng: random.Random,
             result: RaceResult) -> tuple[str, str]:
        """Run `qa FIRST` and `qa SECOND` against each other; their stdouts.

        Left to themselves two processes rarely meet inside the few milliseconds that matter (model loading
        takes seconds, and varies by seconds), so most trials pause the first one at a random checkpoint
        of its writing (about to store its source file, embedding, about to commit the index), run the
        second meanwhile, and let the first go on once the second has finished, is waiting for the writer
        lock, or a random moment has come. The others start the second 0-2 s after the first."""
        pause = rng.choice(PAUSES[kind])
        events = self.workdir / f"events-{self.trials:03d}.log"
        output = self.workdir / f"first-{self.trials:03d}.out"
        a = spawn_child(self.root, first, events, pause=pause, output=output)
        if pause is None:
            delay = rng.uniform(0.0, 2.0)
            time.sleep(delay)
            result.detail = f"second {delay:.2f} s after the first"
        else:
            deadline = time.monotonic() + CHILD_TIMEOUT_S
            while a.poll() is None and "PAUSE" not in _read(events) and time.monotonic() < deadline:
                time.sleep(0.05)
            paused = next((line.split(" ", 2)[2] for line in _read(events).splitlines() if line.startswith("PAUSE")), "")
            result.detail = f"first paused at {paused or pause + ' (not reached)'}"
        b = _Process([sys.executable, "-m", "qa.cli", *second], self.root)
        if pause is not None:
            early = rng.uniform(0.0, 20.0) if rng.random() < 0.25 else None
            started = time.monotonic()
            while b.poll() is None and "another qa process is writing" not in b.stderr_text() and \
                    (early is None or time.monotonic() - started < early) and \
                    time.monotonic() - started < CHILD_TIMEOUT_S:
                time.sleep(0.05)
            how = ("after it finished" if b.poll() is not None else
                   "while it waited for the lock" if "another qa process is writing" in b.stderr_text()
                   else f"after {time.monotonic() - started:.1f} s")
            result.detail += f", released {how}"
            Path(str(events) + ".go").touch()
        try:
            a.wait(CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            a.kill()
            a.wait()
        if a.returncode != 0 or "Traceback" in child_stderr(self.root):
            result.errors.append(f"`qa {' '.join(first)}` failed ({a.returncode}): {child_stderr(self.root)[-300:]}")
        out_b = b.finish(f"`qa {' '.join(second)}`", result)
        return _read(output), out_b

    @staticmethod
    def reported_id(out: str, path: Path) -> tuple[str, str]:
        """("added", id) or ("skipped", id of the source with the same text) from `qa add`'s output."""
        for line in out.splitlines():
            if line.startswith(f"added {path} as "):
                return "added", line.rsplit(" as ", 1)[1].strip()
            if line.startswith(f"skipped {path}: same text as source "):
                return "skipped", line.rsplit(" ", 1)[1].strip()
        return "", ""

    # ---- the races ---------------------------------------------------------------------------------

    def trial(self, race: str, rng: random.Random) -> RaceResult:
        self.trials += 1
        result = {"same-name": self._same_name, "add-during-rebuild": self._during_rebuild,
                  "identical-text": self._identical_text}[race](rng)
        self.check(result)
        return result

    def _same_name(self, rng: random.Random) -> RaceResult:
        """Two different articles under one file name, added by two processes: both kept, under two ids."""
        name = rng.choice(["report.txt", "article.txt", "news.md", "Report.TXT"])
        articles = [invent_article(rng, self.used) for _ in range(2)]
        result = RaceResult("same-name", "")
        paths = [self.incoming(name, article.text) for article in articles]
        outputs = self.race(["add", str(paths[0])], ["add", str(paths[1])], "add", rng, result)
        result.detail = f"{name}: {result.detail}"
        ids = []
        for article, path, out in zip(articles, paths, outputs):
            kind, source_id = self.reported_id(out, path)
            if kind != "added":
                result.errors.append(f"{path.name} was not reported added: {out.strip()[-200:]!r}")
                continue
            ids.append(source_id)
            result.added[source_id] = article.text
            self.ask(article, source_id, result)
        if len(ids) == 2 and ids[0] == ids[1]:
            result.errors.append(f"both reported added as {ids[0]}")
        return result

    def _identical_text(self, rng: random.Random) -> RaceResult:
        """One article under two names, added by two processes: stored once, the other add told so."""
        article = invent_article(rng, self.used)
        names = rng.sample(["copy-one.txt", "copy-two.md", "the same.txt", "duplicate.txt"], 2)
        result = RaceResult("identical-text", "")
        paths = [self.incoming(name, article.text) for name in names]
        outputs = self.race(["add", str(paths[0])], ["add", str(paths[1])], "add", rng, result)
        result.detail = f"{names[0]} / {names[1]}: {result.detail}"
        reports = [self.reported_id(out, path) for path, out in zip(paths, outputs)]
        kinds = sorted(kind for kind, _ in reports)
        if kinds != ["added", "skipped"] or len({source_id for _, source_id in reports}) != 1:
            result.errors.append(f"expected one add and one 'same text as' the same source, got {reports}")
        for kind, source_id in reports:
            if kind == "added":
                result.added[source_id] = article.text
                self.ask(article, source_id, result)
        return result

    def _during_rebuild(self, rng: random.Random) -> RaceResult:
        """`qa add` while `qa index --rebuild` runs: the add survives the rebuild's commit."""
        article = invent_article(rng, self.used)
        result = RaceResult("add-during-rebuild", "")
        path = self.incoming(rng.choice(["late.txt", "during.md", "new-article.txt"]), article.text)
        _, out = self.race(["index", "--rebuild"], ["add", str(path)], "rebuild", rng, result)
        kind, source_id = self.reported_id(out, path)
        if kind != "added":
            result.errors.append(f"the add was not reported added: {out.strip()[-200:]!r}")
        else:
            result.added[source_id] = article.text
            self.ask(article, source_id, result)
        return result

    # ---- the checks --------------------------------------------------------------------------------

    def ask(self, article: Article, source_id: str, result: RaceResult) -> None:
        """The running server answers the article's question with a quote from it stating its count."""
        if self._client is None:
            self._client = _loadtest().make_client(self.server.url, None)
        data = self._client.predict(question=article.question, api_name="/ask")
        quotes = data.get("answer") or []
        if not any(q["source_id"] == source_id and article.number in q["quote"] for q in quotes):
            said = data.get("message") or [(q["source_id"], q["quote"][:60]) for q in quotes]
            result.errors.append(f"the server does not answer about {source_id}: {said}")

    def check(self, result: RaceResult) -> None:
        """No article reported added is lost or stored twice, and the index holds every source file as it is."""
        from qa.index.faiss_backend import read_manifest
        from qa.sources import content_hash, load_sources

        self.added.update(result.added)
        sources, warnings = load_sources(self.root / "sources")
        texts = Counter(s.body for s in sources)
        for source_id, text in self.added.items():
            source = next((s for s in sources if s.source_id == source_id), None)
            if source is None or source.body != text:
                result.errors.append(f"article {source_id} lost or changed in sources/")
            if texts[text] > 1:
                result.errors.append(f"the text of {source_id} is stored {texts[text]} times")
        if warnings:
            result.errors.append(f"sources/ has files that cannot be used: {warnings}")
        indexed = read_manifest(self.root / "index")["sources"]
        folder = {s.source_id: content_hash(s.body) for s in sources}
        if {sid: entry["hash"] for sid, entry in indexed.items()} != folder:
            missing = sorted(set(folder) - set(indexed))
            result.errors.append(f"the index does not hold the sources as they are (not indexed: {missing})")


def run_races(workdir: Path, base: Path, trials: int, rng: random.Random, record) -> dict[str, list[RaceResult]]:
    """`trials` trials of each race, in a random order, against one served project; `record` prints each."""
    order = [race for race in RACES for _ in range(trials)]
    rng.shuffle(order)
    results: dict[str, list[RaceResult]] = {race: [] for race in RACES}
    with RaceLab(workdir, base) as lab:
        for race in order:
            result = lab.trial(race, rng)
            results[race].append(result)
            record(result)
    return results


def outcome(now: IndexState, old: IndexState, new: IndexState) -> str:
    if now.key == old.key == new.key:
        return "old=new"
    return "old" if now.key == old.key else "new" if now.key == new.key else ""


def _completed(done: subprocess.CompletedProcess) -> tuple[int, str, str]:
    return done.returncode, done.stdout, done.stderr


def _sh(value: object) -> str:
    import shlex

    return shlex.quote(str(value))


def can_mount() -> bool:
    """Whether this process may make private mounts (root with unshare): the real disk-full test needs it."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d; rc=$?; "
                            "rmdir $d; exit $rc"], capture_output=True)
    return probe.returncode == 0


def corrupt(index_dir: Path, target: str, kind: str) -> Path:
    """Damage `target` ("manifest", "journal" or "segment:<n>") by `kind`; returns the file damaged."""
    if target == "manifest":
        path = index_dir / "manifest.json"
    elif target == "journal":
        path = index_dir / json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["journal"]
    else:
        path = sorted((index_dir / "segments").glob("*.npz"))[int(target.split(":")[1])]
    data = path.read_bytes()
    rng = random.Random(f"{target}/{kind}")
    if kind == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "random-bytes":
        path.write_bytes(rng.randbytes(len(data)))
    elif kind == "flip-bytes":
        spoiled = bytearray(data)
        for offset in rng.sample(range(len(spoiled)), 16):
            spoiled[offset] ^= 0xFF
        path.write_bytes(bytes(spoiled))
    elif kind == "garbage-line":
        path.write_bytes(data + b'{"add": {"ghost": 42}, "remove"\n')
    elif kind == "deleted":
        path.unlink()
    elif kind.startswith("dim="):
        manifest = json.loads(data)
        manifest["dim"] = json.loads(kind[4:])
        path.write_text(json.dumps(manifest), encoding="utf-8")
    elif kind == "bad-entry":
        manifest = json.loads(data)
        manifest["sources"][sorted(manifest["sources"])[0]] = 42
        path.write_text(json.dumps(manifest), encoding="utf-8")
    elif kind == "model":
        manifest = json.loads(data)
        manifest["model_id"] = "some-other-model"
        path.write_text(json.dumps(manifest), encoding="utf-8")
    else:
        raise ValueError(kind)
    return path


CORRUPTIONS = [
    ("manifest", "truncate"), ("manifest", "empty"), ("manifest", "random-bytes"), ("manifest", "deleted"),
    ("manifest", "dim=128"), ("manifest", "dim=-3"), ("manifest", "dim=null"), ("manifest", "model"),
    ("manifest", "bad-entry"),
    ("segment:0", "truncate"), ("segment:1", "empty"), ("segment:2", "random-bytes"),
    ("segment:3", "flip-bytes"), ("segment:4", "deleted"),
    ("journal", "truncate"), ("journal", "random-bytes"), ("journal", "garbage-line"), ("journal", "deleted"),
]


def source_errors(scenario: Scenario, root: Path, before: dict[str, str], finished: bool = False) -> list[str]:
    """The sources as they were, except the file `qa add` adds (absent, or complete and exact)."""
    now = tree_digest(root / "sources")
    errors = [f"source {name} {'lost' if name not in now else 'modified'}"
              for name, digest in before.items() if now.get(name) != digest]
    extra = {name for name in now if name not in before}
    allowed = {f"{EXTRA_ID}.txt", f"{EXTRA_ID}.meta.json"} if scenario.adds_sources else set()
    for name in sorted(extra):
        if name.startswith(".") and name.endswith(".tmp"):
            continue  # a killed write's temporary file: never read as a source (see leftovers)
        if name not in allowed:
            errors.append(f"unexpected file in sources/: {name}")
    added = root / "sources" / f"{EXTRA_ID}.txt"
    if added.name in extra and added.read_bytes() != EXTRA_ARTICLE.encode("utf-8"):
        errors.append("the added source is not byte-identical to the file given")
    if finished and scenario.adds_sources and added.name not in extra:
        errors.append("the added source is missing after the command ran again")
    return errors


def make_other_model(folder: Path) -> Path:
    """A second 384-d model with no download: the default model's files (linked) with CLS pooling
    instead of mean pooling, so every vector differs."""
    from qa.config import DEFAULT_MODEL
    from qa.embedding import resolve_model

    if (folder / "modules.json").exists():
        return folder
    source = Path(resolve_model(DEFAULT_MODEL)[0])
    folder.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name != "1_Pooling":
            (folder / item.name).symlink_to(item)
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")
    return folder


def overwritten_segments(old_index: Path, index: Path) -> list[str]:
    """Segment files are written once: each of the old index's that is still on disk holds what it held
    (vectors within float noise; a crash must never leave the old manifest over other vectors)."""
    import numpy as np

    errors = []
    for old in sorted((old_index / "segments").glob("*.npz")):
        now = index / "segments" / old.name
        if not now.exists():
            continue
        try:
            with np.load(old) as a, np.load(now) as b:
                same = set(a.files) == set(b.files) and all(
                    np.allclose(a[k], b[k], atol=1e-4) if a[k].dtype.kind == "f" else np.array_equal(a[k], b[k])
                    for k in a.files)
        except Exception:  # noqa: BLE001 - an unreadable rewrite is as bad as a different one
            same = False
        if not same:
            errors.append(f"segment {old.name} of the old index was overwritten with other content")
    return errors


def leftovers(root: Path) -> list[str]:
    """Files in index/ that the manifest does not name, and temporary files in sources/, that a killed
    run left: never read, but disk space until removed."""
    from qa.files import WRITER_LOCK
    from qa.index.faiss_backend import read_manifest  # the manifest with its journal applied

    index = root / "index"
    manifest = read_manifest(index)
    wanted = {"manifest.json", str(manifest.get("journal")), WRITER_LOCK}
    wanted |= {f"segments/{e['segment']}" for e in manifest["sources"].values()}
    present = {str(p.relative_to(index)) for p in index.rglob("*")
               if p.is_file() and not str(p.relative_to(index)).startswith(f"{manifest.get('snapshot')}/")}
    notes = [f"left in index/: {', '.join(sorted(present - wanted))}"] if present - wanted else []
    temporary = sorted(p.name for p in (root / "sources").glob(".*.tmp"))
    return notes + ([f"left in sources/: {', '.join(temporary)}"] if temporary else [])


def error_message_errors(rc: int | None, stderr: str, expected: str) -> list[str]:
    errors = []
    if rc in (0, None):
        errors.append(f"the command did not fail (rc {rc})")
    if "Traceback" in stderr:
        errors.append("a traceback was printed")
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    if not lines or expected not in lines[-1] or "cannot write" not in lines[-1]:
        errors.append(f"no error line saying which file could not be written and why ({expected!r}): "
                      f"{stderr.strip()[-300:]!r}")
    return errors


# ---- the child: a `qa` command whose file operations are checkpoints ----------------------------

def spawn_child(root: Path, args: list[str], events: Path, stop: str | None = None, fail: str | None = None,
                errno_: int = errno.ENOSPC, pause: str | None = None, output: Path | None = None) -> subprocess.Popen:
    """`qa ARGS` whose file operations are checkpoints (see Checkpoints); its stderr goes to child.stderr in
    the project, its stdout to `output` if given."""
    command = [sys.executable, str(Path(__file__).resolve()), "child", "--events", str(events)]
    if stop is not None:
        command += ["--stop", str(stop)]
    if fail is not None:
        command += ["--fail", fail, "--errno", str(errno_)]
    if pause is not None:
        command += ["--pause", pause]
    stderr = open(root / "child.stderr", "w")
    stdout = open(output, "w") if output is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(command + ["--", *args], cwd=root, env=child_env(root), stdout=stdout, stderr=stderr)
    finally:
        stderr.close()
        if output is not None:
            stdout.close()


def child_stderr(root: Path) -> str:
    path = root / "child.stderr"
    return path.read_text(errors="replace") if path.exists() else ""


def stopped_at(events: Path) -> str:
    try:
        lines = events.read_text().splitlines()
    except OSError:
        return ""
    return next((line[5:] for line in lines if line.startswith("STOP ")), "")


def fired_at(events: Path) -> str:
    try:
        return next((line[5:] for line in events.read_text().splitlines() if line.startswith("FAIL ")), "not reached")
    except OSError:
        return "not reached"


def last_checkpoint(events: Path) -> str:
    try:
        lines = [line for line in events.read_text().splitlines() if line[:1].isdigit()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


class Checkpoints:
    """Numbered checkpoints written to a log; the chosen one stops the process, raises an OSError, or
    pauses it until its release file appears (races)."""

    def __init__(self, log: Path, root: Path, stop: str | None, fail: str | None, error: int,
                 pause: str | None = None) -> None:
        self.log = open(log, "a", buffering=1)
        self.release = Path(str(log) + ".go")  # a paused process goes on once this file exists
        self.root = root
        self.stop, self.fail, self.error, self.pause = stop, fail, error, pause
        self.count = 0

    def inside(self, path: object) -> bool:
        try:
            return Path(os.fsdecode(path)).resolve().is_relative_to(self.root)
        except (TypeError, ValueError, OSError):
            return False

    def label(self, path: object) -> str:
        """The path relative to the project, with a temporary file's random part as '~' (stable across runs)."""
        relative = str(Path(os.fsdecode(path)).resolve().relative_to(self.root))
        relative = re.sub(r"(journal|snapshot)-[0-9a-f]{16}", r"\1-~", relative)
        return re.sub(r"[a-z0-9_]{8}\.tmp$", "~.tmp", relative)

    def __call__(self, label: str) -> None:
        self.count += 1
        self.log.write(f"{self.count} {label}\n")
        if self.fail and _matches(self.fail, self.count, label):
            self.fail = None
            self.log.write(f"FAIL {self.count} {label}\n")
            raise OSError(self.error, os.strerror(self.error))
        if self.pause and _matches(self.pause, self.count, label):
            self.pause = None
            self.log.write(f"PAUSE {self.count} {label}\n")
            deadline = time.monotonic() + STOP_WAIT_S
            while not self.release.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.log.write(f"GO {self.count} {label}\n")
        if self.stop and _matches(self.stop, self.count, label):
            self.log.write(f"STOP {self.count} {label}\n")
            time.sleep(STOP_WAIT_S)
            os._exit(99)

    def install(self) -> None:
        """Wrap the OS calls the index and source writers use, and the embedding call."""
        import builtins
        import io
        import pathlib

        from qa.embedding import Embedder

        checkpoint = self
        real_fdopen, real_fsync, real_replace, real_open = os.fdopen, os.fsync, os.replace, io.open
        real_unlink, real_encode = pathlib.Path.unlink, Embedder.encode_passages

        class SlowWrite:
            """A file whose write stops half way: a checkpoint with half the bytes on disk."""

            def __init__(self, fh, label: str) -> None:
                self._fh, self._label = fh, label

            def write(self, data):
                half = len(data) // 2
                self._fh.write(data[:half])
                self._fh.flush()
                checkpoint(f"write-half:{self._label}")
                return half + self._fh.write(data[half:])

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self._fh.__exit__(*exc)

            def __getattr__(self, name):
                return getattr(self._fh, name)

        def fdopen(fd, mode="r", *args, **kwargs):
            fh = real_fdopen(fd, mode, *args, **kwargs)
            path = os.readlink(f"/proc/self/fd/{fd}")
            return SlowWrite(fh, checkpoint.label(path)) if "w" in mode and checkpoint.inside(path) else fh

        def open_(file, mode="r", *args, **kwargs):
            fh = real_open(file, mode, *args, **kwargs)
            if isinstance(file, (str, os.PathLike)) and set(mode) & set("wax") and checkpoint.inside(file):
                return SlowWrite(fh, checkpoint.label(file))
            return fh

        def fsync(fd):
            path = os.readlink(f"/proc/self/fd/{fd}")
            if checkpoint.inside(path):
                checkpoint(f"fsync:{checkpoint.label(path)}")
            return real_fsync(fd)

        def replace(src, dst, *args, **kwargs):
            if not checkpoint.inside(dst):
                return real_replace(src, dst, *args, **kwargs)
            checkpoint(f"replace:{checkpoint.label(dst)}")
            real_replace(src, dst, *args, **kwargs)
            checkpoint(f"replaced:{checkpoint.label(dst)}")

        def unlink(path, missing_ok=False):
            if checkpoint.inside(path):
                checkpoint(f"unlink:{checkpoint.label(path)}")
            return real_unlink(path, missing_ok=missing_ok)

        def encode(embedder, texts, *args, **kwargs):
            checkpoint(f"embed:{len(texts)} texts")
            vectors = real_encode(embedder, texts, *args, **kwargs)
            checkpoint("embedded")
            return vectors

        os.fdopen, os.fsync, os.replace = fdopen, fsync, replace
        io.open = builtins.open = open_
        pathlib.Path.unlink, Embedder.encode_passages = unlink, encode


def _matches(spec: str, count: int, label: str) -> bool:
    return str(count) == spec if spec.isdigit() else fnmatch.fnmatch(label, spec)


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="faults.py child")
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--stop")
    parser.add_argument("--fail")
    parser.add_argument("--errno", type=int, default=errno.ENOSPC)
    parser.add_argument("--pause")
    parser.add_argument("qa_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    root = Path(os.environ["QA_HOME"]).resolve()
    Checkpoints(args.events, root, args.stop, args.fail, args.errno, args.pause).install()
    from qa.cli import main

    qa_args = args.qa_args[1:] if args.qa_args[:1] == ["--"] else args.qa_args
    return main(qa_args)


# ---- the long run ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="SIGKILL runs (random scenario, random point)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--corrupt", action="store_true", help="also corrupt each index file in turn")
    parser.add_argument("--disk", action="store_true", help="also disk full / read-only index (real mounts "
                        "if root, and ENOSPC/EROFS injected at every write)")
    parser.add_argument("--races", type=int, default=0, help="also race writers: this many randomized trials "
                        "of each race (same-name adds, an add during a rebuild, identical-text adds)")
    parser.add_argument("--workdir", type=Path, help="keep the projects here (default: a temporary folder)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from qa import Config
    from qa.embedding import Embedder

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"seed {seed}", flush=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qa-faults-"))
    lab = Lab(workdir, Embedder.from_config(Config(onnx_dir=ONNX_DIR)))
    results: list[RunResult] = []

    def record(result: RunResult) -> None:
        results.append(result)
        print(result.line(), flush=True)

    timeline = {}
    if args.runs:
        for name, scenario in SCENARIOS.items():
            started = time.monotonic()
            timeline[name] = lab.checkpoints(scenario)
            print(f"{name}: {len(timeline[name])} checkpoints, {time.monotonic() - started:.1f}s unhindered",
                  flush=True)
    for n in range(args.runs):
        scenario = SCENARIOS[rng.choice(sorted(SCENARIOS))]
        if rng.random() < 0.75:
            record(lab.kill_run(scenario, stop=str(rng.randint(1, len(timeline[scenario.name])))))
        else:
            record(lab.kill_run(scenario, delay=rng.uniform(0.5, 20.0)))
    if args.corrupt:
        for target, kind in CORRUPTIONS:
            record(lab.corrupt_run(target, kind))
    if args.disk:
        for name in ("add-file", "modify", "rebuild"):
            scenario = SCENARIOS[name]
            labels = lab.checkpoints(scenario)
            writes = [label for label in labels if label.startswith(("write-half:", "fsync:", "replace:"))]
            for label in writes:
                record(lab.fail_run(scenario, label, errno.ENOSPC))
            record(lab.fail_run(scenario, writes[0], errno.EROFS))
        if can_mount():
            record(lab.mounted_run("full"))
            record(lab.mounted_run("readonly"))
        else:
            print("real disk-full / read-only mounts skipped (needs root and unshare)")
    raced: dict[str, list[RaceResult]] = {}
    if args.races:
        started = time.monotonic()
        raced = run_races(workdir / "races", lab.base, args.races, rng, lambda r: print(r.line(), flush=True))
        print(f"races: {time.monotonic() - started:.0f} s")
        for race, trials in raced.items():
            survived = sum(not r.errors for r in trials)
            print(f"{race}: {len(trials)} trials, {survived} survived; seed {seed}")
    failed = [r for r in results if r.errors] + [r for trials in raced.values() for r in trials if r.errors]
    if any(r.notes for r in results):
        print(f"{sum(bool(r.notes) for r in results)} runs left unreferenced files in index/ (see notes)")
    outcomes = Counter(r.outcome or "neither" for r in results)
    print(f"\n{len(results)} faults injected, {len(results) - sum(bool(r.errors) for r in results)} survived; "
          "index afterwards: "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) + f"; seed {seed}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
