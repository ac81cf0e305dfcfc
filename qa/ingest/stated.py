"""Metadata with where each field came from: what a page or a user states, never a guess."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from ..types import SourceMeta

FIELDS = tuple(f.name for f in fields(SourceMeta))


@dataclass(frozen=True)
class Stated:
    """Metadata and, per field filled, where it came from ("user", "page meta article:published_time")."""

    meta: SourceMeta = field(default_factory=SourceMeta)
    origin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def by_user(cls, meta: SourceMeta | None) -> "Stated":
        meta = meta or SourceMeta()
        return cls(meta, {name: "user" for name in FIELDS if getattr(meta, name)})

    def over(self, other: "Stated") -> "Stated":
        """These fields, and `other`'s where these are empty."""
        values, origin = {}, {}
        for name in FIELDS:
            mine = getattr(self.meta, name)
            values[name] = mine or getattr(other.meta, name)
            where = self.origin.get(name) if mine else other.origin.get(name)
            if values[name] and where:
                origin[name] = where
        return Stated(SourceMeta(**values), origin)

    def with_field(self, name: str, value: str, where: str) -> "Stated":
        origin = {k: v for k, v in self.origin.items() if k != name}
        if value:
            origin[name] = where
        return Stated(replace(self.meta, **{name: value}), origin)

    def sidecar(self) -> dict[str, str]:
        """What `<id>.meta.json` holds: the fields, then `<field>_from` for each one filled."""
        out = {name: getattr(self.meta, name) for name in FIELDS}
        out.update({f"{name}_from": self.origin[name] for name in FIELDS if getattr(self.meta, name)
                    and self.origin.get(name)})
        return out
