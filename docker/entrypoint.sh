#!/bin/sh
# One image, one role per container: web | worker | beat | model | migrate | manage ARGS...
set -eu
role="${1:-web}"
shift || true
case "$role" in
  web)
    python manage.py migrate --noinput
    exec uvicorn assistant.asgi:application --host 0.0.0.0 --port 8000 \
      --workers "${WEB_WORKERS:-2}" --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
    ;;
  worker)
    exec celery -A assistant worker -Q "${WORKER_QUEUES:-default,ingest}" \
      --concurrency "${WORKER_CONCURRENCY:-2}" --loglevel INFO
    ;;
  beat)
    exec celery -A assistant beat --loglevel INFO --schedule /data/celerybeat-schedule
    ;;
  model)
    model_dir="${MODEL_DIR:-/data/models/smollm2-moe}"
    if [ ! -f "$model_dir/config.json" ]; then
      python -m inference build-demo --out "$model_dir"
    fi
    exec python -m inference serve --model "$model_dir" --host 0.0.0.0 --port 8001
    ;;
  migrate)
    exec python manage.py migrate --noinput
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    echo "unknown role '$role' (web, worker, beat, model, migrate, manage)" >&2
    exit 64
    ;;
esac
