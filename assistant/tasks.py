"""Housekeeping tasks of the assistant."""

from __future__ import annotations

import os
import socket

from celery import shared_task


@shared_task(queue="default", time_limit=30, soft_time_limit=20)
def ping(payload: str) -> dict[str, object]:
    """Echo `payload` with the worker's identity, to prove the round trip through the broker."""
    return {"payload": payload, "pid": os.getpid(), "host": socket.gethostname()}
