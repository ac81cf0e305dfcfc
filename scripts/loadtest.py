"""Load test: many concurrent clients ask a running `qa serve` through its API; every answer must match a
single-user run. Prints throughput and p50/p95 latency.

    python scripts/loadtest.py                          # starts `qa serve` on a copy of sources/, 200 q x 20 clients
    python scripts/loadtest.py --questions 400 --clients 20 --concurrency 4
    python scripts/loadtest.py --url http://127.0.0.1:7860 [--auth user:password]   # an already running server
    python scripts/loadtest.py --while-indexing [--upload-kb 300]   # /ask latency while the page indexes an upload

Loopback only (a --url that is not 127.0.0.1/localhost/::1 is refused), bounded in count (--questions)
and time (--time-limit: no question is sent after it, and the run ends at most 120 s later).
Client: gradio_client, one Client per simulated user, each calling the `/ask` endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# Questions about the seed articles: answerable, unanswerable, with figures and dates, and one invalid.
QUESTIONS = [
    "Who was dismissed as commander of the Second Army Corps?",
    "How many servicemen died as a result of torture?",
    "What did military prosecutor Khanlar Veliyev acknowledge in 2021?",
    "Why did the victims of the Tartar case protest in Baku?",
    "When did the victims gather in front of the Presidential Administration?",
    "How old is Mais Barkhudarov?",
    "Who ordered the dismissal of Barkhudarov?",
    "How many people were sentenced to long terms of imprisonment?",
    "What were the detained servicemen accused of?",
    "When were the members of the armed forces detained?",
    "Which agencies announced the detention in May 2017?",
    "What did the protesters demand?",
    "Who is Nemat Maharramov?",
    "How many servicemen were victims of torture according to PACE?",
    "What did the Defense Ministry say about the dismissal?",
    "Where did the soldiers and officers who suffered serve?",
    "What happened in 2019 in the Terter case?",
    "Which generals did the victims name as initiators?",
    "How many political prisoners are there in Azerbaijan?",
    "Who confirmed Barkhudarov's dismissal to Turan?",
    "What is the capital of France?",
    "Who is the mayor of Baku?",
    "How tall is the Eiffel Tower?",
    "   ",
]


@dataclass
class LoadReport:
    """What one load run measured (latencies are seconds as seen by the clients)."""

    url: str
    clients: int
    questions: int
    completed: int
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    throughput_qps: float = 0.0
    p50_s: float = 0.0
    p95_s: float = 0.0
    max_s: float = 0.0
    single_user_p50_s: float = 0.0
    server_concurrency: str = ""

    def summary(self) -> str:
        return (f"{self.completed}/{self.questions} questions from {self.clients} clients in {self.wall_s:.1f} s: "
                f"{self.throughput_qps:.1f} questions/s, latency p50 {self.p50_s * 1000:.0f} ms, "
                f"p95 {self.p95_s * 1000:.0f} ms, max {self.max_s * 1000:.0f} ms "
                f"(single user p50 {self.single_user_p50_s * 1000:.0f} ms); "
                f"{len(self.errors)} errors, {len(self.mismatches)} answers differing from the single-user run"
                + (f"; server concurrency {self.server_concurrency}" if self.server_concurrency else ""))


def comparable(data: object) -> object:
    """An /ask reply without its timings: what must be the same under load as for a single user."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k != "timings_ms"}
    return data


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load-test {host!r}: loopback addresses only ({', '.join(sorted(LOOPBACK))})")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def make_client(url: str, auth: tuple[str, str] | None):
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False, analytics_enabled=False, download_files=False)


def run_load(url: str, questions: list[str], n_questions: int = 200, clients: int = 20,
             auth: tuple[str, str] | None = None, time_limit: float = 300.0) -> LoadReport:
    """Ask each distinct question once as a single user, then `n_questions` (the list cycled) from
    `clients` concurrent clients; compare every answer with the single-user one."""
    require_loopback(url)
    distinct = list(dict.fromkeys(questions))
    single = make_client(url, auth)
    reference, single_latencies = {}, []
    for question in distinct:
        started = time.perf_counter()
        reference[question] = comparable(single.predict(question=question, api_name="/ask"))
        single_latencies.append(time.perf_counter() - started)
    workload = [distinct[i % len(distinct)] for i in range(n_questions)]
    report = LoadReport(url=url, clients=clients, questions=n_questions, completed=0,
                        single_user_p50_s=round(percentile(single_latencies, 50), 4))
    latencies: list[float] = []
    lock = threading.Lock()
    next_index = iter(range(n_questions))
    deadline = time.monotonic() + time_limit

    def worker(_: int) -> None:
        try:
            client = make_client(url, auth)
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the run goes on
            with lock:
                report.errors.append(f"connect: {type(exc).__name__}: {exc}")
            return
        while time.monotonic() < deadline:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            question = workload[i]
            started = time.perf_counter()
            try:
                data = client.predict(question=question, api_name="/ask")
            except Exception as exc:  # noqa: BLE001
                with lock:
                    report.errors.append(f"{question[:40]!r}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                report.completed += 1
                if comparable(data) != reference[question]:
                    report.mismatches.append(question)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(worker, range(clients)))
    report.wall_s = round(time.perf_counter() - started, 3)
    report.throughput_qps = round(report.completed / report.wall_s, 2) if report.wall_s else 0.0
    report.p50_s = round(percentile(latencies, 50), 4)
    report.p95_s = round(percentile(latencies, 95), 4)
    report.max_s = round(max(latencies, default=0.0), 4)
    return report


# ---- a `qa serve` of our own -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`qa serve` in a child process over a copy of the sources (and index, if built), on a free port."""

    def __init__(self, sources: Path, index: Path | None = None, env: dict[str, str] | None = None,
                 startup_timeout: float = 300.0) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="qa-load-"))
        shutil.copytree(sources, self.home / "sources")
        if index is not None and (index / "manifest.json").exists():
            shutil.copytree(index, self.home / "index")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        child_env.update(QA_HOME=str(self.home), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
                         TOKENIZERS_PARALLELISM="false",
                         QA_ONNX_DIR=os.environ.get("QA_ONNX_DIR", str(ROOT / "data" / "onnx")), **(env or {}))
        self.log = open(self.home / "serve.log", "w+")
        self.process = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(self.port)],
                                        cwd=self.home, env=child_env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qa serve exited ({self.process.returncode}): {self.output()[-2000:]}")
            if "qa chat UI:" in self.output():
                return
            time.sleep(0.2)
        self.close()
        raise RuntimeError(f"qa serve did not start in {startup_timeout:.0f} s: {self.output()[-2000:]}")

    def output(self) -> str:
        self.log.flush()
        return (self.home / "serve.log").read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- answering while the page indexes an upload ------------------------------------------------------

WORDS = ("the ministry court army officers soldiers village district river bridge report commission budget "
         "hospital school election council road water winter harvest prices market police lawyers families "
         "witnesses documents journalists").split()


def make_upload(kb: int, seed: int = 7) -> str:
    """An article of about `kb` kilobytes made of many short sentences: the most texts to embed per byte,
    the case that once held every question back for 72.7 s."""
    rng = random.Random(seed)
    lines, size, n = ["A long record of the district council's sessions", ""], 0, 0
    while size < kb * 1000:
        n += 1
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))
        line = f"Item {n} was read out. {words.capitalize()} were discussed."
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


@dataclass
class IndexingLoadReport:
    """/ask latencies of one client asking in a loop, before, during and after the page indexes an upload."""

    url: str
    upload_bytes: int
    upload_s: float = 0.0
    status: str = ""  # what the page said about the upload
    idle: list[float] = field(default_factory=list)  # before and after the upload
    during: list[float] = field(default_factory=list)  # overlapping the upload
    errors: list[str] = field(default_factory=list)

    @property
    def idle_p95(self) -> float:
        return percentile(self.idle, 95)

    @property
    def during_p95(self) -> float:
        return percentile(self.during, 95)

    @property
    def ratio(self) -> float:
        return self.during_p95 / self.idle_p95 if self.idle_p95 else float("inf")

    def summary(self) -> str:
        return (f"/ask from one client while the page indexed a {self.upload_bytes / 1000:.0f} KB upload "
                f"({self.upload_s:.1f} s): idle p50 {percentile(self.idle, 50) * 1000:.0f} ms, p95 "
                f"{self.idle_p95 * 1000:.0f} ms ({len(self.idle)} questions); during p50 "
                f"{percentile(self.during, 50) * 1000:.0f} ms, p95 {self.during_p95 * 1000:.0f} ms, max "
                f"{max(self.during, default=0) * 1000:.0f} ms ({len(self.during)} questions); p95 ratio "
                f"{self.ratio:.2f}; {len(self.errors)} errors")


def add_through_page(url: str, name: str, data: bytes, auth: tuple[str, str] | None = None,
                     timeout: float = 1800.0) -> str:
    """Upload a file and press "Add source" as the page does (its upload route, then the button's event
    through the queue); returns the status the page shows. The event is private: gradio_client will not
    call it, so this speaks the page's own protocol."""
    import httpx

    with httpx.Client(timeout=timeout) as http:
        if auth:
            http.post(url + "login", data={"username": auth[0], "password": auth[1]}).raise_for_status()
        config = http.get(url + "config").json()
        button = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-add")
        event = next(d for d in config["dependencies"] if [button, "click"] in [list(t) for t in d["targets"]])
        uploaded = http.post(url + "gradio_api/upload", files=[("files", (name, data, "text/plain"))])
        uploaded.raise_for_status()
        session = secrets.token_hex(8)
        file = {"path": uploaded.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}
        http.post(url + "gradio_api/queue/join", json={
            "data": [file] + [""] * (len(event["inputs"]) - 1),  # the file, then empty metadata fields
            "fn_index": event["id"], "trigger_id": button,
            "session_hash": session, "event_data": None}).raise_for_status()
        with http.stream("GET", url + f"gradio_api/queue/data?session_hash={session}") as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        output = message.get("output") or {}
                        return str((output.get("data") or [output.get("error")])[0])
    raise RuntimeError("the page never finished the upload")


def while_indexing(url: str, questions: list[str], upload_kb: int = 300, idle_questions: int = 60,
                   auth: tuple[str, str] | None = None, time_limit: float = 1800.0) -> IndexingLoadReport:
    """One client asks in a loop, one question at a time: `idle_questions` before the upload, all the
    while the page indexes it (another thread presses "Add source"), and `idle_questions` after.

    Every question that overlaps the upload counts as "during"; the ones before and after are the idle
    baseline of the same run, so a busier or quieter machine moves both. Bounded in count and in time."""
    require_loopback(url)
    text = make_upload(upload_kb)
    report = IndexingLoadReport(url=url, upload_bytes=len(text.encode("utf-8")))
    client = make_client(url, auth)
    pool = [q for q in dict.fromkeys(questions) if q.strip()]
    window: dict[str, float] = {}

    def upload() -> None:
        window["start"] = time.monotonic()
        try:
            report.status = add_through_page(url, "council-record.txt", text.encode("utf-8"), auth)
        except Exception as exc:  # noqa: BLE001 - reported, the loop goes on
            report.errors.append(f"upload: {type(exc).__name__}: {exc}")
        window["end"] = time.monotonic()

    deadline = time.monotonic() + time_limit
    uploader = threading.Thread(target=upload, daemon=True)
    after = 0
    for i in range(1_000_000):
        if time.monotonic() > deadline:
            report.errors.append(f"stopped after {time_limit:.0f} s")
            break
        if i == idle_questions:
            uploader.start()
            while "start" not in window:
                time.sleep(0.001)
        started = time.monotonic()
        try:
            data = client.predict(question=pool[i % len(pool)], api_name="/ask")
            if "error" in data:
                report.errors.append(f"{pool[i % len(pool)][:40]!r}: {data['error']}")
        except Exception as exc:  # noqa: BLE001
            report.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            continue
        ended = time.monotonic()
        if i < idle_questions:
            report.idle.append(ended - started)
        elif "end" not in window or started < window["end"]:
            report.during.append(ended - started)
        else:
            report.idle.append(ended - started)
            after += 1
            if after >= idle_questions:
                break
    uploader.join(max(0.0, deadline - time.monotonic()))
    report.upload_s = round(window.get("end", time.monotonic()) - window.get("start", time.monotonic()), 2)
    return report


def question_pool() -> list[str]:
    """The built-in questions, plus the eval question sets when they exist."""
    pool = list(QUESTIONS)
    for path in sorted((ROOT / "eval" / "questions").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                pool.append(json.loads(line)["question"])
    return list(dict.fromkeys(pool))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running `qa serve` (loopback only); default: start one")
    parser.add_argument("--auth", help="user:password of that server's login")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds after which no question is sent")
    parser.add_argument("--concurrency", type=int, help="QA_UI_CONCURRENCY of the server this script starts")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--while-indexing", action="store_true", help="instead: /ask latency from one client "
                        "before, during and after the page indexes an upload")
    parser.add_argument("--upload-kb", type=int, default=300, help="size of that upload")
    parser.add_argument("--server-env", action="append", default=[], metavar="QA_X=VALUE",
                        help="a setting of the server this script starts (repeatable)")
    args = parser.parse_args(argv)
    if args.while_indexing:
        return main_while_indexing(args)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    pool = question_pool()
    if args.url:
        report = run_load(args.url, pool, args.questions, args.clients, auth, args.time_limit)
    else:
        env = {"QA_UI_CONCURRENCY": str(args.concurrency)} if args.concurrency else {}
        print("starting qa serve…", file=sys.stderr, flush=True)
        with Server(ROOT / "sources", ROOT / "index", env) as server:
            report = run_load(server.url, pool, args.questions, args.clients, auth, args.time_limit)
        report.server_concurrency = str(args.concurrency or "default")
    print(report.summary())
    for line in (report.errors + [f"differs: {q}" for q in report.mismatches])[:20]:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=1), encoding="utf-8")
    ok = not report.errors and not report.mismatches and report.completed == report.questions
    return 0 if ok else 1


def main_while_indexing(args: argparse.Namespace) -> int:
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    if args.url:
        report = while_indexing(args.url, QUESTIONS, args.upload_kb, auth=auth, time_limit=args.time_limit * 6)
    else:
        print("starting qa serve…", file=sys.stderr, flush=True)
        env = dict(item.split("=", 1) for item in args.server_env)
        with Server(ROOT / "sources", ROOT / "index", env) as server:
            report = while_indexing(server.url, QUESTIONS, args.upload_kb, auth=auth, time_limit=args.time_limit * 6)
    print(report.summary())
    print(f"the page said: {report.status[:200]}")
    for line in report.errors[:20]:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps({**asdict(report), "idle_p95": report.idle_p95,
                                         "during_p95": report.during_p95, "ratio": report.ratio}, indent=1),
                             encoding="utf-8")
    return 0 if not report.errors else 1


if __name__ == "__main__":
    sys.exit(main())
