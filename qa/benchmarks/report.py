"""The benchmark's results as printed tables, and the issue's targets checked against them."""

from __future__ import annotations

from .stats import Figure


def _f(data: dict | None, digits: int = 1) -> str:
    return Figure(**data).text(digits) if data else "n/a"


def _size(n: int | str) -> str:
    n = int(n)
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


def _pair(data: dict | None, digits: int = 1) -> str:
    return f"{data['p50']:.{digits}f} / {data['p95']:.{digits}f}" if data else "n/a"


def backends_table(sizes: dict) -> str:
    """`compare_backends` results by corpus size ({"10000": {...}}) as one table: a row per size and backend."""
    header = ["chunks", "backend", "dense index", "ingest chunks/s", "recall@10 questions / held-out",
              "dense p50 / p95", "BM25 p50 / p95", "ask p50 / p95", "disk MiB", "RSS growth MiB"]
    rows = []
    for size, data in sizes.items():
        if "error" in data:
            rows.append([_size(size), "error: " + data["error"][:80]] + [""] * (len(header) - 2))
            continue
        for name in ("faiss", "milvus"):
            m = data.get(name)
            if not m:
                continue
            recall = m["recall_at_10"]
            rows.append([_size(size), name, m["index"], f"{m['ingest_chunks_per_s']:,.0f}",
                         f"{recall['questions']:.3f} / {recall['held_out']:.3f}", _pair(m["dense_search_ms"], 2),
                         _pair(m["lexical_search_ms"], 2), _pair(m["ask_ms"]["total"]), f"{m['disk_mib']:,.0f}",
                         f"{m['rss_growth_mib']:,.0f}"])
    return _table(header, rows)


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with what was measured and whether it is met (None: not measured)."""
    checks = []
    seed = results.get("seed", {}).get("latency_ms", {}).get("total")
    if seed:
        p50, p95 = seed["p50"]["median"], seed["p95"]["median"]
        embedder = results["seed"].get("embedder", "")
        checks.append({"target": "seed corpus, warm: p50 ≤ 5 ms, p95 ≤ 10 ms",
                       "measured": f"p50 {p50:.1f} ms, p95 {p95:.1f} ms ({embedder})", "met": p50 <= 5 and p95 <= 10})
    checks += _embedder_targets(results)
    large = results.get("scale", {}).get("1000000")
    ann = (large or {}).get("variants", {}).get("ivf") or (large or {}).get("variants", {}).get("hnsw")
    if ann:
        p50 = ann["latency_ms"]["total"]["p50"]["median"]
        recall = ann["recall_at_10"]["all"]
        checks.append({"target": "1M chunks, approximate index: p50 ≤ 100 ms, recall@10 ≥ 0.95",
                       "measured": f"p50 {p50:.1f} ms, recall@10 {recall:.3f} ({ann['index']})",
                       "met": p50 <= 100 and recall >= 0.95})
    else:
        checks.append({"target": "1M chunks, approximate index: p50 ≤ 100 ms, recall@10 ≥ 0.95",
                       "measured": "not run (qa bench --full)", "met": None})
    indexing = results.get("seed", {}).get("indexing")
    if indexing:
        overhead = indexing["overhead"]["median"]
        checks.append({"target": "indexing overhead over raw encode ≤ 15%", "measured": f"{overhead:.1f}%",
                       "met": overhead <= 15})
    add = results.get("add_one", {})
    if add.get("ratio"):
        value = add["ratio"]["total_ms"]["median"]
        checks.append({"target": f"add one article at {_size(add['large'])} within 1.5× of {_size(add['small'])}",
                       "measured": f"{value:.2f}× (apply alone {add['ratio']['apply_ms']['median']:.2f}×)",
                       "met": value <= 1.5})
    peer = results.get("peer")
    if peer and "error" not in peer:
        speedup = peer["speedup_retrieval_p50"]["median"]
        ours, theirs = peer["recall_at_5"]["ours"], peer["recall_at_5"]["txtai"]
        recall_ok = ours is not None and theirs is not None and ours >= theirs
        checks.append({"target": "faster than txtai with equal or better Recall@5",
                       "measured": f"{speedup:.2f}× faster (retrieval p50), Recall@5 {ours} vs {theirs}",
                       "met": speedup > 1 and recall_ok if ours is not None else None})
    return checks


def _embedder_targets(results: dict) -> list[dict]:
    """Issue 17's targets: ONNX against torch in the same run, and the cold start of `qa ask`."""
    checks = []
    speedup = results.get("seed", {}).get("speedup", {})
    for variant, goal, what in (("onnx-fp32", 2.4, "ask_p50"), ("onnx-fp32", 1.3, "index"),
                                ("onnx-int8", 2.5, "index")):
        value = speedup.get(variant, {}).get(what)
        label = {"ask_p50": "seed ask p50", "index": "seed indexing (qa index pipeline)"}[what]
        checks.append({"target": f"{label} with {variant} ≥ {goal}× faster than torch (same run)",
                       "measured": f"{value['median']:.2f}×" if value else "not measured",
                       "met": value["median"] >= goal if value else None})
    for variant, cost in results.get("seed", {}).get("multilingual_cost", {}).items():
        value = cost["ask_p50"]["median"]
        checks.append({"target": f"seed ask p50 with {variant} (multilingual) ≤ 2× onnx-fp32's (same run)",
                       "measured": f"{value:.2f}×", "met": value <= 2.0})
    cold = results.get("startup", {}).get("qa ask", {})
    default = cold.get("onnx-fp32") or cold.get("configured")
    if default and "error" not in default:
        seconds, peak = default["seconds"]["median"], default["peak_rss_mib"]["median"]
        checks.append({"target": "cold qa ask ≤ 2.0 s, peak RSS ≤ 300 MiB (ONNX fp32)",
                       "measured": f"{seconds:.2f} s, {peak:.0f} MiB", "met": seconds <= 2.0 and peak <= 300})
    return checks


def embedders_table(seed: dict) -> str:
    """The seed stage's embedders side by side: latency, indexing, and speed-up over torch."""
    speedup = seed.get("speedup", {})
    rows = []
    for variant, data in seed["embedders"].items():
        latency, indexing, faster = data["latency_ms"], data["indexing"], speedup.get(variant, {})
        rows.append([variant, _pair_figures(latency["total"]), _f(latency["embed"]["p50"], 2),
                     _f(indexing["index_s"], 2), _f(indexing["encode_texts_per_s"], 0),
                     _f(faster.get("ask_p50"), 2) if faster else "1", _f(faster.get("embed_p50"), 2) if faster else "1",
                     _f(faster.get("index"), 2) if faster else "1"])
    return _table(["embedder", "ask p50 / p95 ms", "embed p50 ms", "qa index s", "encode texts/s",
                   "× ask p50", "× embed p50", "× qa index"], rows)


def _pair_figures(data: dict) -> str:
    return f"{data['p50']['median']:.2f} / {data['p95']['median']:.2f}"


def render(results: dict) -> str:
    out = []
    meta = results.get("meta", {})
    out.append(f"qa bench — {meta.get('date', '')}, {meta.get('cpus', '?')} CPU cores, load average "
               f"{meta.get('load_average', '?')} at start, {meta.get('wall_s', '?')} s in all")
    seed = results.get("seed")
    if seed:
        corpus = seed["corpus"]
        out.append(f"\n1. Seed corpus ({corpus['sources']} sources, {corpus['chunks']} chunks), warm, "
                   f"{meta.get('questions', '?')} questions × {meta.get('runs', '?')} runs; ms, median (min–max) of runs")
        rows = [[key, _f(v["p50"], 2), _f(v["p95"], 2)] for key, v in seed["latency_ms"].items()]
        out.append(f"embedder: {seed.get('embedder', '?')}")
        out.append(_table(["step", "p50", "p95"], rows))
        if len(seed.get("embedders", {})) > 1:
            out.append("\nEmbedders side by side (interleaved run by run; × = times faster than torch, paired runs)")
            out.append(embedders_table(seed))
    scale = results.get("scale", {})
    if scale:
        out.append("\n2./5. Synthetic corpora (ms; recall@10 of each index against exact search)")
        rows = []
        for size, data in scale.items():
            if "error" in data:
                rows.append([_size(size), "error: " + data["error"][:60]] + [""] * 8)
                continue
            for kind, variant in data["variants"].items():
                latency = variant["latency_ms"]
                rows.append([_size(size), variant["index"], _f(latency["total"]["p50"]), _f(latency["total"]["p95"]),
                             _f(latency["search_dense"]["p50"], 2), _f(latency["search_lexical"]["p50"], 2),
                             _f(variant["dense_search_ms"], 2), f"{variant['recall_at_10']['all']:.3f}",
                             "" if variant["build_s"] is None else f"{variant['build_s']:.1f}"])
        out.append(_table(["chunks", "index", "ask p50", "ask p95", "dense p50", "lexical p50", "dense only",
                           "recall@10", "build s"], rows))
        rows = [[_size(size), f"{d['load_s']:.1f}", d["index"]["vector_index"], str(d["index"]["lexical_segments"]),
                 f"{d['rss_mib']['model_loaded']:.0f}", f"{d['rss_mib']['peak_serving']:.0f}",
                 f"{d['lexical_full_rebuild_s']:.2f}", _first_question(d.get("first_question"))]
                for size, d in scale.items() if "error" not in d]
        out.append("\nLoading and memory (peak RSS of the process serving questions, model included)")
        out.append(_table(["chunks", "load s", "loaded index", "BM25 segments", "RSS model MiB", "peak RSS MiB",
                           "bm25s full rebuild s", "first question s"], rows))
        for size, data in scale.items():
            sweep = data.get("variants", {}).get("ivf", {}).get("nprobe_sweep")
            if sweep:
                out.append(f"IVF at {_size(size)}: " + ", ".join(
                    f"nprobe {s['nprobe']}: recall {s['recall_at_10']:.3f} / {s['dense_search_ms']:.2f} ms"
                    for s in sweep))
    seed_indexing = (seed or {}).get("indexing")
    if seed_indexing:
        out.append(f"\n3. Indexing the seed corpus ({seed_indexing['chunks']} chunks, {seed_indexing['texts']} texts "
                   "embedded): qa index pipeline vs raw encode of the same texts")
        out.append(_table(["", "seconds", "chunks/s"], [
            ["raw encode", _f(seed_indexing["encode_s"], 2), _f(seed_indexing["encode_chunks_per_s"])],
            ["qa index (in-process)", _f(seed_indexing["index_s"], 2), _f(seed_indexing["index_chunks_per_s"])],
            ["overhead % (wall clock)", _f(seed_indexing["overhead"]), ""],
            ["overhead % (CPU time)", _f(seed_indexing.get("overhead_cpu_time")), ""]]))
    add = results.get("add_one", {})
    if add.get("sizes"):
        out.append("\n4. Adding one article (embed + apply; ms), sizes in turn in one process; then removing it")
        rows = [[_size(size), _f(d["embed_ms"]), _f(d["apply_ms"]), _f(d["total_ms"]), _f(d["remove_ms"])]
                for size, d in add["sizes"].items()]
        out.append(_table(["chunks", "embed", "apply", "total", "remove"], rows))
        if add.get("ratio"):
            out.append(f"ratio {_size(add['large'])}/{_size(add['small'])} (paired runs): total "
                       f"{_f(add['ratio']['total_ms'], 2)}, apply {_f(add['ratio']['apply_ms'], 2)}")
    elif add.get("error"):
        out.append("\n4. Adding one article: " + add["error"])
    startup = results.get("startup", {})
    if startup:
        out.append("\n5. Cold start: a fresh process until the answer (qa ask) or the page (qa serve)")
        rows = []
        for name, data in startup.items():
            for variant, each in ({"": data} if "error" in data else data).items():
                rows.append([name, variant, each.get("error") or _f(each["seconds"], 2),
                             _f(each.get("peak_rss_mib"), 0) if each.get("peak_rss_mib") else ""])
        out.append(_table(["command", "embedder", "seconds", "peak RSS MiB (VmHWM)"], rows))
    peer = results.get("peer")
    if peer:
        out.append("\n6. Peer: txtai " + (peer.get("txtai_version", "") if "error" not in peer else ""))
        if "error" in peer:
            out.append(peer["error"])
        else:
            rows = [[name, _f(v["p50"], 2), _f(v["p95"], 2)] for name, v in peer["latency_ms"].items()]
            out.append(_table(["system (ms)", "p50", "p95"], rows))
            out.append(f"txtai ({peer['txtai_compared']}) / ours ({peer.get('embedder', '?')}): retrieval {_f(peer['speedup_retrieval_p50'], 2)}×, "
                       f"full answer {_f(peer['speedup_answer_p50'], 2)}×; Recall@5 over {peer['judged_questions']} "
                       f"judged questions: ours {peer['recall_at_5']['ours']}, txtai {peer['recall_at_5']['txtai']}")
    backends = results.get("backends")
    if backends:
        measured = [d for d in backends.values() if "error" not in d]
        detail = (f" over {measured[0]['runs']} run(s) pooled: dense {measured[0]['questions']} questions + "
                  f"{measured[0]['held_out_queries']} held-out queries, BM25 and ask the questions") if measured else ""
        out.append("\n7. Both backends on one synthetic corpus per size (ms, p50 / p95" + detail + "; dense recall@10 "
                   "against exact search; ingest: writing pre-embedded chunks and their sentences)")
        out.append(backends_table(backends))
    checks = results.get("targets") or targets(results)
    out.append("\nTargets")
    out.append(_table(["target", "measured", "met"], [
        [c["target"], c["measured"], {True: "yes", False: "NO", None: "not measured"}[c["met"]]] for c in checks]))
    return "\n".join(out)


def _first_question(first: dict | None) -> str:
    """The first question after opening, and whether it read the name spellings or counted them."""
    return f"{first['s']:.2f} (spellings {first['name_spellings']})" if first else ""
