"""Database objects purgekit installs, one module per kind.

Each object knows its identity and renders the statements that create and drop it; operations
(purgekit.operations) run those statements online or write them to an offline script.
"""

from purgekit.objects.base import DatabaseObject
from purgekit.objects.extension import OwnedExtension
from purgekit.objects.foreign_server import ForeignServer
from purgekit.objects.foreign_table import ForeignTable
from purgekit.objects.routine import MySqlProcedure, PgFunction
from purgekit.objects.schema import Schema
from purgekit.objects.user_mapping import UserMapping

__all__ = [
    "DatabaseObject",
    "ForeignServer",
    "ForeignTable",
    "MySqlProcedure",
    "OwnedExtension",
    "PgFunction",
    "Schema",
    "UserMapping",
]
