"""What a web page states about itself (meta tags, JSON-LD, its <title>): nothing read from its body text."""

from __future__ import annotations

import json

from .fields import iso_date
from .stated import Stated

# Per field, the meta tags looked at, in order: (attribute, value) as the page writes them (lower case).
META_TAGS: dict[str, tuple[tuple[str, str], ...]] = {
    "title": (("property", "og:title"), ("name", "twitter:title"), ("name", "dc.title"), ("name", "citation_title")),
    "outlet": (("property", "og:site_name"), ("name", "application-name"), ("name", "publisher"),
               ("name", "dc.publisher")),
    "date": (("property", "article:published_time"), ("name", "article:published_time"),
             ("name", "citation_publication_date"), ("name", "dc.date"), ("name", "dcterms.date"),
             ("name", "date"), ("name", "pubdate"), ("itemprop", "datepublished")),
    "author": (("name", "author"), ("property", "article:author"), ("name", "citation_author"),
               ("name", "dc.creator")),
    "url": (("property", "og:url"),),
}
JSON_LD = {"title": ("headline", "name"), "date": ("datePublished",), "author": ("author",),
           "outlet": ("publisher",), "url": ("url",)}
ARTICLE_TYPES = ("Article", "NewsArticle", "ReportageNewsArticle", "BlogPosting", "Report", "WebPage")


def stated_metadata(html: str) -> Stated:
    """Title, outlet, date, author and address as the page states them, each with where it was found
    (meta tags first, then JSON-LD, then <title> and the canonical link). A field the page does not
    state stays empty: a year somewhere in the text is not the article's date."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, etree.ParserError):
        return Stated()
    found = Stated()
    metas = {}
    for element in tree.iter("meta"):
        content = (element.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (attribute, (element.get(attribute) or "").strip().lower())
            if key[1]:
                metas.setdefault(key, content)
    for name, tags in META_TAGS.items():
        for attribute, value in tags:
            content = _clean(name, metas.get((attribute, value), ""))
            if content:
                found = found.with_field(name, content, f"page meta {value}")
                break
    for name, value in _json_ld(tree).items():
        if not getattr(found.meta, name):
            found = found.with_field(name, value[0], f"page JSON-LD {value[1]}")
    if not found.meta.title:
        title = " ".join((tree.findtext(".//title") or "").split())
        if title:
            found = found.with_field("title", title, "page <title>")
    if not found.meta.url:
        for link in tree.iter("link"):
            if (link.get("rel") or "").lower() == "canonical" and (link.get("href") or "").startswith("http"):
                found = found.with_field("url", link.get("href").strip(), "page link canonical")
                break
    return found


def _clean(name: str, value: str) -> str:
    value = " ".join(str(value).split())
    if name == "date":
        return iso_date(value)
    if name == "author" and value.startswith(("http://", "https://")):
        return ""  # article:author is often a profile address, not a name
    if name == "url" and not value.startswith(("http://", "https://")):
        return ""
    return value


def _json_ld(tree) -> dict[str, tuple[str, str]]:
    """Fields of the page's first article-like JSON-LD object: name -> (value, JSON-LD key)."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _objects(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if not any(kind in ARTICLE_TYPES for kind in kinds):
                continue
            out = {}
            for name, keys in JSON_LD.items():
                for key in keys:
                    value = _clean(name, _text(item.get(key)))
                    if value:
                        out[name] = (value, key)
                        break
            return out
    return {}


def _objects(data) -> list[dict]:
    if isinstance(data, list):
        return [x for item in data for x in _objects(item)]
    if isinstance(data, dict):
        return [data] + (_objects(data["@graph"]) if "@graph" in data else [])
    return []


def _text(value) -> str:
    """A JSON-LD value as text: a string, a {"name": …} object, or a list of them (authors)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    return ""
