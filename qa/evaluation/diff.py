"""Diff of two evaluation runs: what got better or worse per question, and which new sources did it."""

from __future__ import annotations

from .configurations import MAIN
from .tables import fmt, table

DELTA_METRICS = ("passage_recall@5", "passage_mrr@10", "answer_hit", "quote_f1", "abstention_recall",
                 "abstention_recall_off_topic", "abstention_recall_near_miss", "false_abstention", "conflict_recall",
                 "conflict_precision", "furniture_rate", "spelling_agreement")
ORDER = {"worse": 0, "new": 1, "better": 2, "removed": 3, "same": 4}


def _rank(value: int | None) -> int:
    return value if value is not None else 10**6


# What decides whether a question got better or worse, in this order: (metric, higher is better)
JUDGED = (("answer_hit", True), ("conflict_recall", True), ("gold_coverage", True), ("conflict_precision", True),
          ("furniture_rate", False), ("spelling_agreement", True), ("quote_f1", True))


def compare(before: dict | None, after: dict | None) -> tuple[str, str]:
    """(status, why) for one question's results in two runs: status is 'worse', 'better', 'same', 'new' or
    'removed'; why names the metric that changed, with both values ("conflict recall 1.000 → 0.500")."""
    if before is None:
        return "new", ""
    if after is None:
        return "removed", ""
    if before["abstained"] != after["abstained"]:
        why = "abstains now" if after["abstained"] else "answers now"
        return ("better" if after["abstained"] == (not after["answerable"]) else "worse"), why
    for key, higher in JUDGED:
        b, a = before["metrics"].get(key), after["metrics"].get(key)
        if a != b and (a is not None or b is not None):
            if a is None or b is None:  # e.g. a "sources differ" note appeared or went away
                changed = "appeared" if b is None else "went away"
                return _note_change(key, changed, after), f"{key.replace('_', ' ')}: {changed}"
            status = "better" if (a > b) == higher else "worse"
            return status, f"{key.replace('_', ' ')} {fmt(b)} → {fmt(a)}"
    b, a = _rank(before["first_relevant_rank"]), _rank(after["first_relevant_rank"])
    if a == b:
        return "same", ""
    return ("worse" if a > b else "better"), f"gold rank {_shown_rank(before)} → {_shown_rank(after)}"


def _note_change(key: str, changed: str, after: dict) -> str:
    """A conflict note appearing is worse unless the question is a conflict; other metrics that start or
    stop applying (a quote from an unmarked source) change nothing."""
    if key == "conflict_precision":
        wanted = after["type"] == "conflict"
        return "better" if (changed == "appeared") == wanted else "worse"
    return "same"


def _shown_rank(result: dict) -> str:
    return str(result["first_relevant_rank"]) if result["first_relevant_rank"] else "—"


def outranking_sources(after: dict, new_sources: set[str]) -> list[str]:
    """New (or changed) sources ranked above the first relevant passage, or quoted in a wrong answer."""
    limit = after["first_relevant_rank"] or len(after["passages"]) + 1
    found = [p["source_id"] for p in after["passages"] if p["rank"] < limit and p["source_id"] in new_sources]
    if not after["answerable"] or not after["metrics"].get("answer_hit"):
        found += [q["source_id"] for q in after["quotes"] if q["source_id"] in new_sources]
    return list(dict.fromkeys(found))


def diff_reports(previous: dict, current: dict) -> dict:
    """Per configuration both runs have: metric deltas and per-question changes, worse first."""
    before_sources, after_sources = previous.get("sources", {}), current.get("sources", {})
    added = sorted(set(after_sources) - set(before_sources))
    removed = sorted(set(before_sources) - set(after_sources))
    changed = sorted(s for s in set(after_sources) & set(before_sources) if after_sources[s] != before_sources[s])
    suspects = set(added) | set(changed)
    configs = [c for c in current.get("systems", {}) if c in previous.get("systems", {})]
    per_config = {}
    for config in configs:
        old = {r["id"]: r for r in previous["results"] if r["config"] == config}
        new = {r["id"]: r for r in current["results"] if r["config"] == config}
        changes = []
        for qid in list(new) + [q for q in old if q not in new]:
            b, a = old.get(qid), new.get(qid)
            status, why = compare(b, a)
            row = a or b
            changes.append({
                "id": qid, "question": row["question"], "type": row["type"], "status": status, "why": why,
                "rank_before": b["first_relevant_rank"] if b else None,
                "rank_after": a["first_relevant_rank"] if a else None,
                "hit_before": b["metrics"].get("answer_hit") if b else None,
                "hit_after": a["metrics"].get("answer_hit") if a else None,
                "abstained_before": b["abstained"] if b else None,
                "abstained_after": a["abstained"] if a else None,
                "outranked_by_new_sources": outranking_sources(a, suspects) if a and status != "better" else [],
            })
        changes.sort(key=lambda c: (ORDER[c["status"]], -(c["hit_before"] or 0) + (c["hit_after"] or 0),
                                    -(_rank(c["rank_after"]) - _rank(c["rank_before"]))))
        before_all = previous.get("summary", {}).get("all", {}).get(config, {})
        after_all = current.get("summary", {}).get("all", {}).get(config, {})
        per_config[config] = {
            "metrics": {m: [before_all.get(m), after_all.get(m)] for m in ("n",) + DELTA_METRICS},
            "counts": {s: sum(c["status"] == s for c in changes) for s in ORDER},
            "changes": changes,
        }
    return {"previous": previous.get("name", ""), "previous_created": previous.get("created", ""),
            "added_sources": added, "removed_sources": removed, "changed_sources": changed, "configs": per_config}


def diff_markdown(diff: dict, config: str = MAIN, limit: int = 25) -> str:
    if config not in diff["configs"]:
        config = next(iter(diff["configs"]), config)
    part = diff["configs"].get(config)
    lines = [f"## Changes since {diff['previous']} ({config})", ""]
    for label, key in (("added", "added_sources"), ("removed", "removed_sources"), ("changed", "changed_sources")):
        if diff[key]:
            lines.append(f"- sources {label}: {', '.join(diff[key])}")
    if part is None:
        return "\n".join(lines + ["", "(no configuration in common with the previous run)"])
    counts = part["counts"]
    lines += [f"- questions: {counts['worse']} worse, {counts['better']} better, {counts['new']} new, "
              f"{counts['removed']} removed, {counts['same']} unchanged", ""]
    lines += [table([[m, fmt(b) if m != "n" else str(b), fmt(a) if m != "n" else str(a)]
                     for m, (b, a) in part["metrics"].items()], ["metric (all questions)", "before", "after"]), ""]
    shown = [c for c in part["changes"] if c["status"] != "same"][:limit]
    if shown:
        rows = [[c["id"], c["status"], c["why"], f"{c['rank_before'] or '—'} → {c['rank_after'] or '—'}",
                 f"{fmt(c['hit_before'])} → {fmt(c['hit_after'])}",
                 f"{_abst(c['abstained_before'])} → {_abst(c['abstained_after'])}",
                 ", ".join(c["outranked_by_new_sources"]) or ""] for c in shown]
        lines += [table(rows, ["id", "status", "why", "gold rank", "hit", "abstained", "new sources above gold"]), ""]
    return "\n".join(lines)


def _abst(value: bool | None) -> str:
    return "—" if value is None else "yes" if value else "no"
