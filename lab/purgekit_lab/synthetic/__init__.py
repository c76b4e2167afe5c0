"""Synthetic On-Premises stores for tests, the demo and the benchmarks (never created in production).

with SyntheticStores("postgresql+psycopg2://postgres@localhost/postgres", prefix="t1_") as stores:
    stores.create()
    stores.fill(users=1_000, messages=50_000)
    stores.add_user(19_990_000_001)
    ...
    stores.drop()

schema.py: the client's tables; stores.py: creating, marking, filling, dropping; population.py: fill()'s
rows as arithmetic on row numbers; user.py: add_user()'s literal rows; dialects.py: what differs per
server family.
"""

from purgekit_lab.synthetic.schema import METADATA, create_statements, secondary_indexes, table
from purgekit_lab.synthetic.stores import NotSynthetic, SyntheticStores, TableKey

__all__ = [
    "METADATA",
    "NotSynthetic",
    "SyntheticStores",
    "TableKey",
    "create_statements",
    "secondary_indexes",
    "table",
]
