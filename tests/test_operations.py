"""purgekit's Alembic operations on real servers: reversible, and replaceable as the recipe has it."""

from __future__ import annotations

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from purgekit.objects import MySqlProcedure, PgFunction
from purgekit.operations import ReplaceObjectOp
from purgekit.stores import Store


def probe(deployment, answer: int):
    """A routine whose body says which version of it is installed."""
    if deployment.settings.dialect == "postgresql":
        return PgFunction(
            schema="public",
            name="purgekit_probe",
            arguments="",
            signature="",
            returns="integer",
            body=f"BEGIN\n    RETURN {answer};\nEND",
        )
    return MySqlProcedure(
        schema=deployment.settings.store_name(Store.CONTACT),
        name="purgekit_probe",
        parameters="",
        body=f"BEGIN\n    SELECT {answer};\nEND",
        comment="test probe",
    )


def call_probe(connection, deployment) -> int:
    if deployment.settings.dialect == "postgresql":
        return connection.execute(text('SELECT public."purgekit_probe"()')).scalar_one()
    schema = deployment.settings.store_name(Store.CONTACT)
    return connection.exec_driver_sql(f"CALL `{schema}`.purgekit_probe()").scalar_one()


def test_replace_installs_the_new_body_and_its_reverse_restores_the_old(stores):
    old, new = probe(stores, 1), probe(stores, 2)
    with stores.engine.begin() as connection:
        op = Operations(MigrationContext.configure(connection))
        op.create_object(old)
        assert call_probe(connection, stores) == 1

        op.replace_object(old, new)
        assert call_probe(connection, stores) == 2

        op.invoke(ReplaceObjectOp(old, new).reverse())
        assert call_probe(connection, stores) == 1

        op.drop_object(old)
        if stores.settings.dialect == "postgresql":
            assert (
                connection.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'purgekit_probe'")).scalar_one()
                == 0
            )
        else:
            assert (
                connection.execute(
                    text("SELECT count(*) FROM information_schema.ROUTINES WHERE ROUTINE_NAME = 'purgekit_probe'")
                ).scalar_one()
                == 0
            )


def test_replacing_one_object_by_another_is_refused(stores):
    old = probe(stores, 1)
    other = PgFunction(schema="public", name="other", arguments="", signature="", returns="integer", body="")
    try:
        ReplaceObjectOp(old, other)
    except ValueError as error:
        assert "are not the same object" in str(error)
    else:
        raise AssertionError("ReplaceObjectOp accepted two different objects")
