"""Synthetic On-Premises stores for tests, the demo and the benchmarks (never created in production).

with SyntheticStores("postgresql+psycopg2://postgres@localhost/postgres", prefix="t1_") as stores:
    stores.create()
    stores.fill(users=1_000, messages=50_000)
    stores.add_user(19_990_000_001)
    ...
    stores.drop()
"""

from purgekit.synthetic.generator import SyntheticStores, TableKey
from purgekit.synthetic.schema import METADATA, create_statements, secondary_indexes, table

__all__ = ["METADATA", "SyntheticStores", "TableKey", "create_statements", "secondary_indexes", "table"]
