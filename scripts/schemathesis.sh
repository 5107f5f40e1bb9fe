#!/usr/bin/env bash
# Fuzz the REST API with Schemathesis against its own live schema (docs/API.md, "Schemathesis").
#
#   scripts/schemathesis.sh [postgres://postgres@127.0.0.1:5432/partnerhealth_schemathesis]
#
# Recreates that database, migrates it, seeds the demo portfolio, makes a read-write token for the
# demo account manager "ana", serves the app with gunicorn on a free loopback port, and runs
# `schemathesis run` over every operation with three checks:
#   not_a_server_error           no 5xx
#   response_schema_conformance  every response matches the schema
#   negative_data_rejection      input the schema forbids is refused (4xx)
# Exits non-zero on any finding. SCHEMATHESIS_MAX_EXAMPLES (default 20) bounds the cases per
# operation and phase; the run takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

database_url="${1:-postgres://postgres@127.0.0.1:5432/partnerhealth_schemathesis}"
database="${database_url##*/}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-20}"
work="$(mktemp -d)"

export DATABASE_URL="$database_url"
export DEBUG=0
export SECRET_KEY="schemathesis-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0
export STATICFILES_BACKEND=django.contrib.staticfiles.storage.StaticFilesStorage
# The fuzzer's own pace is not what the throttle is for; its behaviour has tests of its own.
export API_THROTTLE_RATE=1000000/minute
export LOG_LEVEL=WARNING
export CELERY_TASK_ALWAYS_EAGER="${CELERY_TASK_ALWAYS_EAGER:-1}"

psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$database\"" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$database\"" >/dev/null
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py seed_demo --i-know-this-is-not-production >/dev/null
token="$(.venv/bin/python manage.py api_token ana --name schemathesis)"

port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
.venv/bin/python -m gunicorn partnerhealth.wsgi:application --bind "127.0.0.1:$port" --workers 2 \
  --log-level warning >"$work/gunicorn.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/api/schema/" && break
  sleep 0.5
done

status=0
.venv/bin/schemathesis run "http://127.0.0.1:$port/api/schema/" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,negative_data_rejection \
  --max-examples "$max_examples" --seed 16 --generation-database none --workers 2 \
  --no-color --report junit --report-junit-path "$work/junit.xml" || status=$?
if [ "$status" -ne 0 ]; then
  echo "==> Schemathesis found problems (exit $status); the server's log:"
  tail -n 50 "$work/gunicorn.log"
fi
exit "$status"
