"""A load generator for the browser chat: N people signed in, asking at once, over real HTTP.

Each virtual person signs in through the login page, then keeps asking questions through the same
streamed endpoint the browser uses, for a bounded time. A stream that ends without its `done` event
counts as truncated; any non-200 answer or `error` event counts as an error.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

QUESTIONS = (
    "How many weeks of parental leave do employees get?",
    "What is the daily meal allowance in Europe?",
    "When is the Lisbon office open?",
    "How soon must expense claims be submitted?",
    "Which Wi-Fi network do guests use?",
    "When is the office closed for the holidays?",
)


@dataclass
class Figures:
    """What the load run saw."""

    answers: int = 0
    errors: int = 0
    truncated: int = 0
    ttft_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self, users: int, seconds: float) -> dict[str, Any]:
        """Flat figures for printing and JSON."""

        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)

        return {
            "users": users,
            "seconds": round(seconds, 1),
            "answers": self.answers,
            "errors": self.errors,
            "truncated": self.truncated,
            "ttft_ms_p50": round(statistics.median(self.ttft_ms), 1) if self.ttft_ms else None,
            "ttft_ms_p95": pct(self.ttft_ms, 0.95),
            "total_ms_p50": round(statistics.median(self.total_ms), 1) if self.total_ms else None,
            "total_ms_p95": pct(self.total_ms, 0.95),
        }


async def _sign_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    await client.get("/accounts/login/")
    response = await client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
        },
        headers={"Referer": str(client.base_url) + "/accounts/login/"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not sign in (HTTP {response.status_code})")


async def _ask(client: httpx.AsyncClient, question: str, figures: Figures) -> None:
    started = time.monotonic()
    first: float | None = None
    done = False
    headers = {
        "X-CSRFToken": client.cookies.get("csrftoken") or "",
        "Referer": str(client.base_url) + "/",
    }
    async with client.stream(
        "POST", "/ask", data={"question": question}, headers=headers
    ) as response:
        if response.status_code != 200:
            figures.errors += 1
            figures.problems.append(f"HTTP {response.status_code}")
            return
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                if event in {"delta", "replace"} and first is None:
                    first = time.monotonic()
                if event == "error":
                    figures.errors += 1
                    figures.problems.append(json.loads(line[5:]).get("message", "error"))
                if event == "done":
                    done = True
    if not done:
        figures.truncated += 1
        return
    figures.answers += 1
    figures.ttft_ms.append(((first or time.monotonic()) - started) * 1000)
    figures.total_ms.append((time.monotonic() - started) * 1000)


async def _person(
    base_url: str, username: str, password: str, deadline: float, figures: Figures
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=300, follow_redirects=False) as client:
        await _sign_in(client, username, password)
        rng = random.Random(username)
        while time.monotonic() < deadline:
            try:
                await _ask(client, rng.choice(QUESTIONS), figures)
            except httpx.HTTPError as error:
                figures.errors += 1
                figures.problems.append(f"{type(error).__name__}: {error}")


def run_load(*, base_url: str, people: list[tuple[str, str]], seconds: float) -> dict[str, Any]:
    """Run every person concurrently for `seconds` (answers in flight are allowed to finish)."""
    figures = Figures()

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_person(base_url, u, p, deadline, figures) for u, p in people))

    started = time.monotonic()
    asyncio.run(main())
    summary = figures.summary(len(people), time.monotonic() - started)
    summary["problems"] = sorted(set(figures.problems))[:10]
    return summary
