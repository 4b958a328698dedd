"""Measure how fast the web process acknowledges signed Slack events while the worker is busy.

Starts its own web process and worker (Slack enabled, a random signing secret, the Slack Web API
replaced by a loopback sink that accepts everything), links a bench Slack user to a bench account,
queues questions until the worker is busy answering them, then posts signed events at a steady
rate and reports acknowledgement percentiles. Its tasks go through a separate Redis database, so a
running `make run` worker never picks them up; its rows are deleted at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from assistant.models import Conversation, Message
from assistant.slack.models import SlackEvent, SlackLink

ROOT = Path(settings.BASE_DIR)
TEAM = "TBENCH"
SLACK_USER = "UBENCH"
BENCH_USERNAME = "slack-bench"


class _Sink(BaseHTTPRequestHandler):
    """Slack's Web API as far as the bot needs it: every call succeeds."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "ts": f"{time.time():.6f}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _bench_env(secret: str, *, sink_port: int, redis_db: int) -> dict[str, str]:
    """The children's environment: Slack on, signed with `secret`, its Web API the sink."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "assistant.settings"),
        "REDIS_URL": settings.REDIS_URL.rsplit("/", 1)[0] + f"/{redis_db}",
        "SLACK_ENABLED": "1",
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_BASE_URL": f"http://127.0.0.1:{sink_port}/api/",
        "PYTHONUNBUFFERED": "1",
    }


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the children, killing any still running 20 s later."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


class Command(BaseCommand):
    help = "Acknowledgement time (p50/p99) of signed Slack events while the worker is busy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=300, help="events to time")
        parser.add_argument("--rate", type=float, default=5.0, help="events per second")
        parser.add_argument("--busy", type=int, default=20, help="questions queued beforehand")
        parser.add_argument("--redis-db", type=int, default=15, help="Redis database for tasks")
        parser.add_argument("--json", default=None, help="also write the figures to this file")
        parser.add_argument(
            "--model-dir",
            default=str(Path(settings.VAR_DIR) / "models" / "smollm2-moe"),
            help="model to serve when INFERENCE_URL does not answer",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = secrets.token_hex(16)
        sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        port = _free_port()
        env = _bench_env(secret, sink_port=sink.server_address[1], redis_db=options["redis_db"])
        user = self._bench_user()
        logs = Path(settings.VAR_DIR) / "run"
        logs.mkdir(parents=True, exist_ok=True)
        procs = self._serve_model_if_down(env, options["model_dir"], logs)
        procs += self._start_web_and_worker(env, port, logs)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            self._wait_for(f"http://127.0.0.1:{port}/accounts/login/")
            timings, errors = self._measure_while_busy(url, secret, user.pk, options)
            answered, waiting, outcomes = self._outcomes(user)
        finally:
            _stop_all(procs)
            sink.shutdown()
            self._clean_up()

        if not timings:
            raise CommandError(f"no event was acknowledged ({errors} errors)")
        figures = {
            "events": len(timings),
            "errors": errors,
            "rate_per_s": options["rate"],
            "ack_ms_p50": round(statistics.median(timings) * 1000, 1),
            "ack_ms_p90": round(_percentile(timings, 0.90) * 1000, 1),
            "ack_ms_p99": round(_percentile(timings, 0.99) * 1000, 1),
            "ack_ms_max": round(max(timings) * 1000, 1),
            "answered_during_run": answered,
            "still_queued_at_end": waiting,
            "answers_by_status": outcomes,
            "cpus": os.cpu_count(),
        }
        for key, value in figures.items():
            self.stdout.write(f"{key:>22}: {value}")
        if waiting == 0:
            self.stderr.write("warning: the worker drained its queue; raise --busy")
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(figures, indent=2) + "\n")

    def _serve_model_if_down(
        self, env: dict[str, str], model_dir: str, logs: Path
    ) -> list[subprocess.Popen[bytes]]:
        """Serve the demo model when INFERENCE_URL does not answer, and point `env` at it."""
        if self._healthy(f"{settings.INFERENCE_URL}/health"):
            return []
        # A worker whose model is down fails fast and is not busy: serve the demo model.
        model_port = _free_port()
        proc = self._start(
            [sys.executable, "-m", "inference", "serve", "--model", model_dir,
             "--host", "127.0.0.1", "--port", str(model_port)],
            env, logs / "bench-slack-model.log",
        )  # fmt: skip
        env["INFERENCE_URL"] = f"http://127.0.0.1:{model_port}"
        self.stdout.write(f"serving {model_dir} for the worker")
        self._wait_for(f"{env['INFERENCE_URL']}/health", timeout=300)
        return [proc]

    def _start_web_and_worker(
        self, env: dict[str, str], port: int, logs: Path
    ) -> list[subprocess.Popen[bytes]]:
        """The web process and one worker on the default queue, through the bench's Redis db."""
        return [
            self._start(
                [sys.executable, "-m", "uvicorn", "assistant.asgi:application",
                 "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                env, logs / "bench-slack-web.log",
            ),
            self._start(
                [sys.executable, "-m", "celery", "-A", "assistant", "worker", "-Q", "default",
                 "--concurrency", "1", "--loglevel", "WARNING",
                 "--hostname", f"bench-slack-{os.getpid()}@%h"],
                env, logs / "bench-slack-worker.log",
            ),
        ]  # fmt: skip

    def _measure_while_busy(
        self, url: str, secret: str, user_id: int, options: dict[str, Any]
    ) -> tuple[list[float], int]:
        """Queue questions until the worker is answering, then time events posted meanwhile."""
        with httpx.Client(timeout=30) as client:
            for n in range(options["busy"]):
                self._post(client, url, secret, self._event(f"busy{n}", dm=True))
            self.stdout.write(f"queued {options['busy']} questions; waiting for the worker")
            self._wait_until_busy(user_id)
            return self._measure(url, secret, options["events"], options["rate"])

    def _outcomes(self, user: Any) -> tuple[int, int, dict[str, int]]:
        """Events answered and still waiting, and the bench user's answers by status."""
        unanswered = ["received", "queued", "answering"]
        answered = SlackEvent.objects.filter(team_id=TEAM).exclude(status__in=unanswered).count()
        waiting = SlackEvent.objects.filter(team_id=TEAM, status__in=unanswered).count()
        outcomes = dict(
            Message.objects.filter(conversation__owner=user, role="assistant")
            .values_list("status")
            .annotate(n=Count("id"))
        )
        return answered, waiting, outcomes

    def _bench_user(self) -> Any:
        self._clean_up()
        user = get_user_model().objects.create_user(BENCH_USERNAME, password=secrets.token_hex())
        SlackLink.objects.create(team_id=TEAM, slack_user_id=SLACK_USER, user=user)
        return user

    def _clean_up(self) -> None:
        SlackEvent.objects.filter(team_id=TEAM).delete()
        Conversation.objects.filter(owner__username=BENCH_USERNAME).delete()
        get_user_model().objects.filter(username=BENCH_USERNAME).delete()

    def _start(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        handle = log.open("ab")
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)

    def _healthy(self, url: str) -> bool:
        try:
            return httpx.get(url, timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    def _wait_for(self, url: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._healthy(url):
                return
            time.sleep(0.3)
        raise CommandError(f"{url} did not answer within {timeout} s")

    def _wait_until_busy(self, user_id: int, timeout: float = 120) -> None:
        # Busy means answering: the first question has reached the pipeline.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if Conversation.objects.filter(owner_id=user_id).exists():
                return
            time.sleep(0.2)
        raise CommandError("the worker did not start answering; is it running?")

    def _event(self, key: str, *, dm: bool) -> bytes:
        """A DM or a channel mention from the bench user, with a unique event id."""
        kind = "message" if dm else "app_mention"
        event = {
            "type": kind,
            "user": SLACK_USER,
            "text": "What is the travel policy for hotels?",
            "ts": f"{time.time():.6f}",
            "channel": "DBENCH" if kind == "message" else "CBENCH",
            **({"channel_type": "im"} if kind == "message" else {}),
        }
        payload = {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": f"EvBench{os.getpid()}{key}",
            "event": event,
            "authorizations": [{"user_id": "UBENCHBOT", "is_bot": True}],
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    def _post(self, client: httpx.Client, url: str, secret: str, body: bytes) -> float:
        from slack_sdk.signature import SignatureVerifier

        timestamp = str(int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": str(signature),
        }
        started = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        return elapsed

    def _measure(self, url: str, secret: str, events: int, rate: float) -> tuple[list[float], int]:
        """Post events at a steady rate, each on its own connection slot, and time the replies."""
        timings: list[float] = []
        errors = 0
        start = time.monotonic()
        limits = httpx.Limits(max_connections=64)
        with httpx.Client(timeout=30, limits=limits) as client, ThreadPoolExecutor(32) as pool:
            futures: list[Future[float]] = []
            for n in range(events):
                # A fixed schedule: a slow reply does not delay the next event (no coordinated
                # omission), as with Slack, which sends events as they happen.
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                body = self._event(f"m{n}", dm=n % 2 == 0)
                futures.append(pool.submit(self._post, client, url, secret, body))
            for future in futures:
                try:
                    timings.append(future.result())
                except (httpx.HTTPError, OSError):
                    errors += 1
        return timings, errors
