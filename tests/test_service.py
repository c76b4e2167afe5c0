"""`purgekit serve`: document 001's PUT /v1/services/message/gc, the erasure jobs, tokens, bad requests,
durable jobs across a restart and between racing workers, the OpenAPI schema under schemathesis.

Real uvicorn processes on loopback, real databases, a stdlib HTTP server as the callback server.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time

import pytest
from purgekit_lab.deployment import synthetic_deployment
from service import SALT, TOKEN, Process, Server, clear_jobs, environment, wait_for
from sqlalchemy import text, update
from test_gc import RETENTION_MS, USER, checkpoint, expected, make_stores, snapshot
from test_gc_cli import bodies, callback_server, gc_notification, node_url

from purgekit import __version__
from purgekit.gc.dry_run import dry_run
from purgekit.gc.runner import Collector
from purgekit.service.jobs_table import JobsPlace
from purgekit.service.settings import load_service_settings
from purgekit.service.store import JobStore
from purgekit.service.worker import Worker
from purgekit.stores import Store

META = {"api_status": "stable", "version": __version__}
PROCESSING = {"services": {"message": {"gc": {"status": "processing"}}}, "meta": META}


@pytest.fixture
def deployment(installed):
    yield installed
    clear_jobs(installed)


def test_put_gc_answers_processing_once_and_the_callback_gets_document_001s_notification(deployment, tmp_path):
    make_stores(deployment, messages=400)
    before = snapshot(deployment.stores)
    with callback_server() as callbacks:
        env = environment(
            deployment, PURGEKIT_CALLBACK_URL=callbacks.url, PURGEKIT_GC_OLDER_THAN="30d", PURGEKIT_GC_SLEEP="0.01"
        )
        server = Server(env, tmp_path / "serve.log").start()
        try:
            with server.client() as client:
                first = client.put("/v1/services/message/gc", json={"batch_size": 20})
                again = client.put("/v1/services/message/gc")  # while the first runs: nothing new
                assert (first.status_code, first.json()) == (202, PROCESSING)
                assert (again.status_code, again.json()) == (202, PROCESSING)
                assert again.headers["Purgekit-Jobs"] == first.headers["Purgekit-Jobs"]
                job = wait_for(client, first.headers["Purgekit-Jobs"])
                metrics = client.get("/metrics")
        finally:
            assert server.stop() == 0
    after, deleted = expected(before, checkpoint(deployment)["cutoff_ms"])
    assert snapshot(deployment.stores) == after
    assert bodies(callbacks) == [gc_notification(deleted["messages"])]
    assert job["state"] == "succeeded" and job["exit_code"] == 0 and job["attempts"] == 1
    assert job["result"]["messages_deleted"] == deleted["messages"] and job["result"]["notified"] is True
    assert 'purgekit_jobs{kind="gc",state="succeeded"} 1.0' in metrics.text
    assert f'purgekit_rows_deleted_total{{kind="gc"}} {float(sum(deleted.values()))}' in metrics.text
    log = server.output()
    assert re.search(rf"job {job['id']} gc started on .* \(attempt 1\)", log)
    assert re.search(rf"job {job['id']} gc succeeded in [0-9.]+ s \(exit 0\)", log)
    assert '"PUT /v1/services/message/gc" 202' in log
    assert TOKEN not in log and "Traceback" not in log


@pytest.mark.parametrize("server", ["postgresql"], indirect=True)
def test_multiconnect_answers_per_node_with_1014_for_a_node_that_cannot_be_reached(server, tmp_path):
    with synthetic_deployment(server, "svc") as wacore1:
        wacore1.upgrade()
        make_stores(wacore1, messages=200)
        down = "postgresql://dba:s3cr3t-pw@127.0.0.1:9/contactStore"
        with callback_server() as callbacks:
            env = environment(
                wacore1,
                PURGEKIT_CALLBACK_URL=callbacks.url,
                PURGEKIT_NODES=f"wacore1={node_url(wacore1)},wacore2={down}",
            )
            served = Server(env, tmp_path / "serve.log").start()
            try:
                with served.client() as client:
                    answer = client.put("/v1/services/message/gc", json={"older_than": "30d"})
                    [job_id] = re.findall(r"wacore1=(\d+)", answer.headers["Purgekit-Jobs"])
                    job = wait_for(client, job_id)
            finally:
                served.stop()
        gc = answer.json()["services"]["message"]["gc"]
        assert answer.status_code == 202 and answer.json()["meta"] == META
        assert gc["wacore1"] == {"status": "processing"}
        [error] = gc["wacore2"]["errors"]
        assert (error["code"], error["title"]) == (1014, "Internal error")
        assert error["details"].startswith("cannot connect (postgresql+psycopg2://dba:***@127.0.0.1:9/contactStore)")
        assert "s3cr3t-pw" not in answer.text + served.output()
        [notification] = bodies(callbacks)
        assert notification == gc_notification(job["result"]["messages_deleted"], node="wacore1")
        assert job["node"] == "wacore1" and job["result"]["messages_deleted"] > 0
        clear_jobs(wacore1)


@pytest.mark.parametrize("server", ["postgresql"], indirect=True)
def test_a_callback_server_that_fails_is_tried_again_a_bounded_number_of_times_and_the_job_fails(installed, tmp_path):
    with callback_server(503) as callbacks:
        env = environment(
            installed, PURGEKIT_CALLBACK_URL=callbacks.url + "?key=cb-s3cret", PURGEKIT_GC_OLDER_THAN="30d"
        )
        server = Server(env, tmp_path / "serve.log").start()
        try:
            with server.client() as client:
                job = wait_for(client, client.put("/v1/services/message/gc").headers["Purgekit-Jobs"])
        finally:
            server.stop()
    assert bodies(callbacks) == [gc_notification(0)] * 3  # the collection itself completed
    assert job["state"] == "failed" and job["exit_code"] == 1 and job["result"]["notified"] is False
    [problem] = job["errors"]
    assert problem["code"] == 1014 and problem["details"].endswith(
        "did not take the notification: HTTP 503 Service Unavailable"
    )
    assert "cb-s3cret" not in str(job) + server.output()
    clear_jobs(installed)


@pytest.mark.parametrize("server", ["postgresql"], indirect=True)
def test_tokens_bad_requests_and_limits_answer_document_001s_errors_without_a_secret(installed, tmp_path):
    server = Server(environment(installed, PURGEKIT_MAX_REQUEST_BYTES="2048"), tmp_path / "serve.log").start()
    try:
        with server.client(token=None) as anonymous, server.client() as client:
            assert anonymous.get("/v1/health").json() == {"health": {"status": "ok"}, "meta": META}
            for path in ("/v1/jobs/1", "/metrics", "/openapi.json"):
                denied = anonymous.get(path)
                assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Bearer"
                assert denied.json()["errors"][0]["code"] == 1005
            wrong = anonymous.get("/v1/jobs/1", headers={"Authorization": f"Bearer {TOKEN[:-1]}x"})
            assert wrong.status_code == 401

            bad_phone = client.post("/v1/erasures", json={"phones": ["+1 555", "13655559020"]})
            assert bad_phone.status_code == 400
            [problem] = bad_phone.json()["errors"]
            assert (problem["code"], problem["title"]) == (1009, "Parameter value is not valid")
            assert "+1 555" in problem["details"]
            for body in ({"phones": []}, {"phones": ["13655559020"], "dry_run": "maybe"}, {"phone": ["1"]}):
                refused = client.post("/v1/erasures", json=body)
                assert refused.status_code == 400 and refused.json()["errors"], body
            malformed = client.post("/v1/erasures", content=b"{not json", headers={"Content-Type": "application/json"})
            assert malformed.status_code == 400 and malformed.json()["errors"][0]["code"] == 1025
            too_big = client.post("/v1/erasures", json={"phones": ["13655559020"] * 500})
            assert too_big.status_code == 413 and too_big.json()["errors"][0]["code"] == 1025
            missing = client.get("/v1/jobs/999999")
            assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == 1006
            assert client.get("/v1/jobs/not-a-number").status_code == 400
            no_retention = client.put("/v1/services/message/gc")
            assert no_retention.status_code == 400 and "PURGEKIT_GC_OLDER_THAN" in no_retention.text
            assert client.get("/openapi.json").json()["info"]["title"] == "purgekit"
    finally:
        server.stop()
    log = server.output()
    assert TOKEN not in log and "Traceback" not in log and "13655559020" not in log


def test_an_erasure_job_erases_and_a_retried_request_gets_the_first_job(deployment, tmp_path):
    deployment.stores.add_user(USER)
    server = Server(environment(deployment, PURGEKIT_RECEIPT_SALT=SALT), tmp_path / "serve.log").start()
    try:
        with server.client() as client:
            asked = {"phones": [f"+{USER}"], "dry_run": False}
            first = client.post("/v1/erasures", json=asked, headers={"Idempotency-Key": "erase-42"})
            retried = client.post("/v1/erasures", json=asked, headers={"Idempotency-Key": "erase-42"})
            assert first.status_code == retried.status_code == 202
            assert first.json()["job"]["id"] == retried.json()["job"]["id"]
            job = wait_for(client, first.json()["job"]["id"])
            check = client.post("/v1/erasures", json={"phones": [f"+{USER}"], "dry_run": True})
            checked = wait_for(client, check.json()["job"]["id"])
    finally:
        server.stop()
    assert job["state"] == "succeeded" and job["exit_code"] == 0
    [user] = job["result"]["users"]
    assert user["phones"] == ["phones[0]"] and user["status"] == "erased" and user["total"] > 0
    assert job["result"]["total"] == user["total"]
    [again] = checked["result"]["users"]
    assert again["status"] == "erased before" and again["total"] == 0  # nothing of the user is left
    # Once ended, the jobs table keeps how many numbers, never which: the receipts keep only a salted hash.
    assert job["request"] == {"phones": 1, "dry_run": False}
    with deployment.engine.connect() as connection:
        table = connection.execute(text(f"SELECT * FROM {JobsPlace(deployment.settings).reference}"))
        assert str(USER) not in str(table.all())
    assert str(USER) not in server.output()


@pytest.mark.parametrize("server", ["mysql"], indirect=True)
def test_an_erasure_that_stops_fails_its_job_with_exit_1_naming_users_by_their_place(deployment, tmp_path):
    users = [USER, USER + 1]
    for number in users:
        deployment.stores.add_user(number)
    phones = deployment.stores.qualified(Store.CONTACT, "wa_phones")
    with deployment.stores.engine(Store.CONTACT).begin() as connection:  # the second phone maps to a group
        connection.execute(
            text(f"UPDATE {phones} SET jid = :jid WHERE phone_number = :phone"),
            {"jid": f"{users[1]}-1600000000@g.us", "phone": f"+{users[1]}"},
        )
    server = Server(environment(deployment, PURGEKIT_RECEIPT_SALT=SALT), tmp_path / "serve.log").start()
    try:
        with server.client() as client:
            asked = client.post("/v1/erasures", json={"phones": [str(n) for n in users]})
            job = wait_for(client, asked.json()["job"]["id"])
    finally:
        server.stop()
    assert job["state"] == "failed" and job["exit_code"] == 1
    [erased] = job["result"]["users"]
    assert erased["phones"] == ["phones[0]"] and erased["status"] == "erased"
    [problem] = job["errors"]
    assert problem["details"].startswith(
        "stopped at phones[1]: wa_phones maps phones[1] to 'phones[1]-1600000000@g.us'"
    )
    assert all(str(n) not in str(job) + server.output() for n in users)


def test_a_job_whose_worker_was_lost_too_often_is_failed_cleanly(deployment):
    store = JobStore(deployment.engine, deployment.settings)
    job, _ = store.submit("erasure", {"phones": [f"+{USER}"], "dry_run": True})
    with deployment.engine.begin() as connection:  # as three killed workers leave it
        connection.execute(update(store.table).where(store.table.c.id == job.id).values(state="running", attempts=3))
    stop = threading.Event()
    worker = Worker(deployment.engine, deployment.settings, load_service_settings({}, need_tokens=False), stop)
    assert worker.run_one() and not worker.run_one()
    ended = store.get(job.id)
    assert (ended.state, ended.exit_code, ended.attempts) == ("failed", 1, 4)
    assert ended.errors == [{"code": 1014, "title": "Internal error", "details": "its worker was lost 3 times"}]
    assert ended.request == {"phones": 1, "dry_run": True}


def test_a_restart_in_the_middle_of_a_gc_job_resumes_it(deployment, tmp_path):
    make_stores(deployment, messages=600)
    with callback_server() as callbacks:
        env = environment(deployment, PURGEKIT_CALLBACK_URL=callbacks.url, PURGEKIT_GC_SLEEP="0.05")
        first = Server(env, tmp_path / "first.log").start()
        with first.client() as client:
            job_id = client.put("/v1/services/message/gc", json={"older_than": "30d", "batch_size": 5}).headers[
                "Purgekit-Jobs"
            ]
            wait_for(client, job_id, states=("running",))
            time.sleep(1.0)  # some batches committed
        first.kill()  # kill -9: no goodbye
        second = Server(env, tmp_path / "second.log").start()
        try:
            with second.client() as client:
                job = wait_for(client, job_id)
        finally:
            second.stop()
    assert job["state"] == "succeeded" and job["attempts"] == 2
    assert re.search(rf"job {job_id} gc resumed on .* \(attempt 2\)", second.output())
    [notification] = bodies(callbacks)  # the pass is one: one notification, from the run that finished it
    assert notification["services"][0]["message"]["gc"]["status"] == "complete"
    left = dry_run(Collector(deployment.settings), RETENTION_MS, 500)
    assert left.deleted["messages"] == 0


def test_two_workers_share_the_jobs_and_never_run_one_twice(deployment, tmp_path):
    env = environment(deployment)
    server = Server(env, tmp_path / "serve.log", "--no-worker").start()
    workers = [Process(env, tmp_path / f"worker{i}.log", "worker", "--threads", "2").start() for i in (1, 2)]
    try:
        with server.client() as client:
            ids = [
                client.post("/v1/erasures", json={"phones": [f"+1365555{n:04d}"], "dry_run": True}).json()["job"]["id"]
                for n in range(16)
            ]
            jobs = [wait_for(client, job_id) for job_id in ids]
    finally:
        for worker in workers:
            assert worker.stop() == 0
        server.stop()
    assert [job["state"] for job in jobs] == ["succeeded"] * 16
    assert all(job["attempts"] == 1 for job in jobs)
    logs = "".join(worker.output() for worker in workers)
    for job_id in ids:
        assert len(re.findall(rf"job {job_id} erasure started", logs)) == 1
    assert "Traceback" not in logs


def test_serve_refuses_to_start_without_tokens_or_without_the_jobs_table(stores, tmp_path):
    env = environment(stores)
    env.pop("PURGEKIT_API_TOKENS")
    no_tokens = subprocess.run([sys.executable, "-m", "purgekit.cli", "serve"], env=env, capture_output=True, text=True)
    assert no_tokens.returncode == 2
    assert no_tokens.stderr.startswith("purgekit: PURGEKIT_API_TOKENS is not set")
    short = subprocess.run(
        [sys.executable, "-m", "purgekit.cli", "serve"],
        env={**env, "PURGEKIT_API_TOKENS": "tiny"},
        capture_output=True,
        text=True,
    )
    assert short.returncode == 2 and "tiny" not in short.stderr
    no_table = subprocess.run(
        [sys.executable, "-m", "purgekit.cli", "serve"], env=environment(stores), capture_output=True, text=True
    )
    assert no_table.returncode == 2 and "install revision 0009" in no_table.stderr
    assert "Traceback" not in no_tokens.stderr + short.stderr + no_table.stderr


def test_serve_on_a_port_in_use_is_one_line_and_exit_2(installed):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [sys.executable, "-m", "purgekit.cli", "serve", "--port", str(port)],
            env=environment(installed),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert busy.returncode == 2
    assert busy.stderr.splitlines()[-1] == f"purgekit: cannot listen on 127.0.0.1:{port}: Address already in use"


@pytest.mark.parametrize("server", ["postgresql"], indirect=True)
def test_schemathesis_finds_no_server_error_in_the_published_schema(installed, tmp_path):
    served = Server(environment(installed), tmp_path / "serve.log").start()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{served.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance",
                "--max-examples",
                "15",
                "--phases",
                "examples,fuzzing",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        served.stop()
        clear_jobs(installed)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Traceback" not in served.output()
