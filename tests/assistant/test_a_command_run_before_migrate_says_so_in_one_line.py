"""A project command on a database migrate never ran says so in one line, without a traceback.

Django's own commands (showmigrations here) keep working on that database: the advice they are
given must be something that can still be done.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from tests.conftest import ROOT, child_env


@pytest.fixture
def unmigrated_database_url() -> Iterator[str]:
    """A new, empty database on the suite's PostgreSQL server; dropped afterwards."""
    from django.conf import settings

    conf = settings.DATABASES["default"]
    password = f":{quote(conf['PASSWORD'], safe='')}" if conf.get("PASSWORD") else ""
    server = f"postgresql://{conf['USER']}{password}@{quote(str(conf['HOST']), safe='')}"
    server += f":{conf['PORT'] or 5432}"
    name = f"unmigrated_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )


def tiny_beir_set(folder: Path) -> list[str]:
    (folder / "corpus.jsonl").write_text(
        json.dumps({"_id": "d1", "title": "Leave", "text": "Parental leave is twenty weeks."})
    )
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "parental leave?"}))
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return [
        *("--corpus", str(folder / "corpus.jsonl")),
        *("--queries", str(folder / "queries.jsonl")),
        *("--qrels", str(folder / "qrels.tsv")),
    ]


def test_evaluate_retrieval_on_an_unmigrated_database_says_to_migrate_first(
    unmigrated_database_url, tmp_path
):
    result = manage(
        "evaluate_retrieval", *tiny_beir_set(tmp_path), database_url=unmigrated_database_url
    )

    assert result.returncode != 0
    output = result.stderr + result.stdout
    for sign_of_a_traceback in ("Traceback", "ProgrammingError", "does not exist"):
        assert sign_of_a_traceback not in output, output
    # Start-up log lines of other apps may come before it; the error is this one last line.
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("evaluate_retrieval: the database is not migrated"), output
    assert last.endswith("run `make run` or `manage.py migrate` first")

    shown = manage("showmigrations", "retrieval", database_url=unmigrated_database_url)

    assert shown.returncode == 0, shown.stderr
    assert "[ ] 0001_vector_extension" in shown.stdout
