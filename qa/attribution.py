"""Attribution: whom a sentence says a statement comes from ("according to …", "… stated that")."""

from __future__ import annotations

import re

REPORTING = (r"stated|states|said|says|reported|reports|claimed|claims|claim|announced|announces|acknowledged|"
             r"confirmed|confirms|wrote|writes|noted|notes|told|declared|estimated|estimates|found|concluded|"
             r"explained|added|recounted|insisted|alleged|alleges|published|revealed|showed|shows")
NAME = r"(?:[A-Z][\w.&’'-]*)(?:\s+(?:of|the|for|and|on|de|[A-Z][\w.&’'-]*))*"
ACCORDING = re.compile(rf"\b[Aa]ccording to\s+(?P<who>(?:the\s+|an?\s+)?(?:{NAME}|[a-z]+(?:\s+[a-z]+){{0,3}}?"
                       rf"(?:\s+{NAME})?))(?=[,.;:]|\s+(?:who|that|this|these|in|on|at|during|the)\b|$)")
BEFORE_VERB = re.compile(rf"(?:^|[,;:]\s*|\b(?:that|and|while)\s+)(?P<who>(?:the\s+)?(?:{NAME}|(?:the\s+)?[a-z]+(?:\s+of"
                         rf"\s+the\s+[a-z]+)?))\s+(?:(?:also|officially|firmly|then|later|had|has|have)\s+)?"
                         rf"(?:{REPORTING})\b")
AFTER_QUOTE = re.compile(rf"[”\"’,]\s*(?:{REPORTING})\s+(?P<who>{NAME})")
AFTER_VERB = re.compile(rf",\s*(?:{REPORTING})\s+(?P<who>{NAME})\s*[.,]?\s*$")
# A clause that turns to another voice: "the authorities have confirmed only one victim, *while* the actual number
# of victims is at least 13" — the 13 is not the authorities'
CONTRAST = re.compile(r";|\b(?:while|whereas|although|though|however)\b", re.I)
VAGUE = frozenset({"it", "he", "she", "they", "this", "which", "who", "we", "i", "the", "there", "that"})


def attribution(sentence: str, before: int | None = None) -> str:
    """The source a sentence attributes its statement to, as written ("the Parliamentary Assembly of the
    Council of Europe", "the authors of the document", "Caucasian Knot"), or '' when it names none.
    With `before` (an offset in the sentence), only an attribution that starts before it, with no clause
    turning to another voice between ("…, while …"), counts: the figure at that offset is what the source is
    said to state."""
    limit = len(sentence) if before is None else before
    for pattern in (ACCORDING, BEFORE_VERB, AFTER_QUOTE, AFTER_VERB):
        for match in pattern.finditer(sentence):
            who = match.group("who").strip(" ,.;:")
            if pattern in (ACCORDING, BEFORE_VERB) and (match.start("who") > limit
                                                        or CONTRAST.search(sentence, match.end(), limit)):
                continue
            if who.lower() in VAGUE or len(who) < 3:
                continue
            return who
    return ""
