"""The README's quickstart, run as written on a copy of the repository against real servers, and purgekit
deployed from what it installed: a non-editable install in a fresh venv, away from any clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages
from sqlalchemy.engine import make_url

from purgekit import deploy
from purgekit.released import REFERENCE_URLS

ROOT = Path(__file__).resolve().parent.parent


def quickstart_block() -> str:
    """The shell block of the README's Quickstart section, as a DBA copies it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", section, re.S)
    return block


def repository_files() -> list[str]:
    """The repository's files, as a copy of it holds them (tracked, or new and not ignored)."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    return [name for name in files if name and (ROOT / name).is_file()]


def copy_of_the_repository(destination: Path) -> None:
    for name in repository_files():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)


def plain_url(server, database: str | None) -> str:
    """The server's URL as a DBA types it: no driver (postgresql://, mysql://)."""
    url = make_url(server.url)
    url = url.set(drivername=url.get_backend_name(), database=database or "")
    return url.render_as_string(hide_password=False)


def clean_environment(home: Path, **env: str) -> dict[str, str]:
    """No purgekit setting and no virtualenv of the clone: a DBA's shell."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_", "VIRTUAL_ENV"))}
    bin_dir = str(Path(sys.executable).parent)
    environ["PATH"] = os.pathsep.join(p for p in environ.get("PATH", "").split(os.pathsep) if p != bin_dir)
    environ.update(HOME=str(home), COLUMNS="80", **env)
    return environ


@pytest.fixture(scope="module")
def quickstart(postgres_server, mysql_server, tmp_path_factory):
    """The quickstart run on both servers, one after the other in the same home, from a copy of the repository's
    files; then the copy is removed. Yields (the home holding the venv it made, {dialect: result})."""
    base = tmp_path_factory.mktemp("quickstart")
    home, work = base / "home", base / "work"
    home.mkdir()
    copy_of_the_repository(work / "purgekit")
    runs = {}
    for server in (postgres_server, mysql_server):
        host, port = server.loopback
        database = "try_contactStore" if server.dialect == "postgresql" else None
        env = clean_environment(
            home,
            PURGEKIT_DATABASE_URL=plain_url(server, database),
            PURGEKIT_FDW_HOST=host,
            PURGEKIT_FDW_PORT=str(port),
        )
        runs[server.dialect] = subprocess.run(
            ["bash", "-e", "-c", quickstart_block()], cwd=work, env=env, capture_output=True, text=True, timeout=900
        )
    shutil.rmtree(work / "purgekit")  # from here on, no clone anywhere
    yield home, runs


def test_the_purgekit_wheel_holds_purgekit_and_its_migrations_and_no_test_or_lab_code(tmp_path):
    copy_of_the_repository(tmp_path / "purgekit")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "dist", "."],
        cwd=tmp_path / "purgekit",
        capture_output=True,
        check=True,
    )
    [wheel] = (tmp_path / "dist").glob("purgekit-*.whl")
    modules = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    shipped = {name for name in repository_files() if name.endswith(".py")}
    assert modules == {name for name in shipped if name.startswith("purgekit/")} | {
        f"purgekit/{name}" for name in shipped if name.startswith(("migrations/", "migrations_indexes/"))
    }
    # The lab's: test servers, synthetic stores, the demo, sample stores (purgekit_lab, lab/).
    assert not [name for name in modules if re.search(r"/(testing|synthetic)/|/demo\.py$|sample_stores|_lab/", name)]


def test_the_readme_quickstart_has_at_most_30_lines_and_comes_first():
    readme = (ROOT / "README.md").read_text()
    sections = re.findall(r"^## (.+)$", readme, re.M)
    assert sections[0] == "Quickstart"
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert len(quickstart.strip().splitlines()) + 1 <= 30


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_readme_quickstart_runs_as_written(quickstart, dialect):
    _, runs = quickstart
    result = runs[dialect]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "created try_contactStore, try_messageStore, try_axolotlStore, try_callbackStore" in out
    assert "upgrade.sql: every statement is well-formed" in out
    assert re.search(rf"purgekit verify: \S+ matches revision {deploy.head_revision()}", out)
    flat = " ".join(out.split())  # doctor wraps its prose at 80 columns
    assert "schema: try_contactStore, try_messageStore, try_axolotlStore, try_callbackStore hold every" in flat
    assert re.search(r"\+13650000001 \(13650000001@s\.whatsapp\.net\): ([\d,]+) rows to delete \(dry run\)", out)
    counted = re.search(r"\+13650000001 \(13650000001@s\.whatsapp\.net\): ([\d,]+) rows to delete", out).group(1)
    assert f"+13650000001 (13650000001@s.whatsapp.net): {counted} rows deleted" in out
    assert "dropped try_axolotlStore, try_callbackStore, try_contactStore, try_messageStore" in out
    assert "Traceback" not in result.stderr


def purgekit_in(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The purgekit the quickstart installed, run from a directory with no clone in it."""
    return subprocess.run(
        [str(home / ".purgekit" / "bin" / "purgekit"), *args],
        cwd=home,
        env=clean_environment(home, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_installed_package_holds_the_migrations_and_every_package(quickstart):
    home, _ = quickstart
    python = home / ".purgekit" / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import purgekit, pathlib; print(pathlib.Path(purgekit.__file__).parent)"],
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    package = Path(site)
    assert package.parent.name == "site-packages"  # not an editable install pointing back at a clone
    for name in (ROOT / "migrations" / "versions").glob("*.py"):
        assert (package / "migrations" / "versions" / name.name).read_text() == name.read_text()
    assert (package / "migrations" / "released.json").read_text() == (ROOT / "migrations" / "released.json").read_text()
    assert (package / "migrations_indexes" / "versions" / "i0001_erase_indexes.py").is_file()
    for name in find_packages(str(ROOT), include=["purgekit*"]):
        assert (package.parent / name.replace(".", "/") / "__init__.py").is_file(), f"{name} is not in the wheel"


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_purgekit_db_without_a_clone_prints_what_alembic_prints_in_one(quickstart, dialect):
    home, _ = quickstart
    env = {"PURGEKIT_DATABASE_URL": REFERENCE_URLS[dialect], "WA_DB_NAME_PREFIX": "acme_"}
    clone = clean_environment(home, **env)
    alembic = [sys.executable, "-m", "alembic"]
    for ours, theirs in (
        (["db", "upgrade", "--sql"], ["upgrade", "head", "--sql"]),
        (["db", "downgrade", "base", "--sql"], ["downgrade", "head:base", "--sql"]),
        (["db", "history"], ["history"]),
    ):
        installed = purgekit_in(home, *ours, **env)
        from_clone = subprocess.run([*alembic, *theirs], cwd=ROOT, env=clone, capture_output=True, text=True)
        assert installed.returncode == from_clone.returncode == 0, installed.stderr + from_clone.stderr
        assert installed.stdout == from_clone.stdout
