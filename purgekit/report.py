"""What an erasure did (or, in a dry run, would do): rows per store and table."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableCount:
    store: str
    table: str
    rows: int


@dataclass(frozen=True)
class ErasureReport:
    wa_id: int
    tables: tuple[TableCount, ...]
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(count.rows for count in self.tables)

    def rows(self, store: str, table: str) -> int:
        for count in self.tables:
            if (count.store, count.table) == (store, table):
                return count.rows
        raise KeyError(f"{store}.{table} is not in this report")

    def as_dict(self) -> dict:
        return {
            "wa_id": str(self.wa_id),
            "dry_run": self.dry_run,
            "tables": [{"store": c.store, "table": c.table, "rows": c.rows} for c in self.tables],
            "total": self.total,
        }
