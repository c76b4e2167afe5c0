"""What an erasure did (or, in a dry run, would do): rows per store and table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableCount:
    store: str
    table: str
    rows: int


class CountedTables:
    """A report of rows per table (`tables`): their total, and one table's count."""

    tables: tuple[TableCount, ...]

    @property
    def total(self) -> int:
        return sum(count.rows for count in self.tables)

    def rows(self, store: str, table: str) -> int:
        for count in self.tables:
            if (count.store, count.table) == (store, table):
                return count.rows
        raise KeyError(f"{store}.{table} is not in this report")


@dataclass(frozen=True)
class ErasureReport(CountedTables):
    wa_id: int
    tables: tuple[TableCount, ...]
    dry_run: bool = False
    # The jid the erasure resolved the number to (purgekit.erase); the routine's report has none.
    jid: str | None = None
    # Why purgekit.erase left this number alone (then every count is 0), or None.
    skipped: str | None = None
    # Nothing matched, and the number's receipts show it was erased before, as the jid it resolves to.
    erased_before: bool = False

    @property
    def status(self) -> str:
        """'erased' (a dry run: 'found'); 'not found' when no row of any store matched; 'erased before' when
        none matched and a receipt shows the number was erased before; 'skipped' (see `skipped`)."""
        if self.skipped is not None:
            return "skipped"
        if self.total:
            return "found" if self.dry_run else "erased"
        return "erased before" if self.erased_before else "not found"

    def as_dict(self) -> dict:
        resolved = {"jid": self.jid} if self.jid is not None else {}
        if self.skipped is not None:
            resolved["skipped"] = self.skipped
        return {
            "wa_id": str(self.wa_id),
            **resolved,
            "status": self.status,
            "dry_run": self.dry_run,
            "tables": [{"store": c.store, "table": c.table, "rows": c.rows} for c in self.tables],
            "total": self.total,
        }
