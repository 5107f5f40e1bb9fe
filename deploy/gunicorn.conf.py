"""gunicorn's configuration, used by the image (Dockerfile), docker-compose.yml and the slow-client test.

Sync workers, behind the buffering proxy of deploy/nginx/. A sync worker serves
one connection at a time, so on its own three clients that send half a request
each hold all three workers until ``timeout`` (issue 12, finding 4). nginx
removes that: it reads each request whole before it opens a connection to
gunicorn (``proxy_request_buffering``) and takes each response whole
(``proxy_buffering``), so a worker is busy only for the time the app itself
takes, however slow the client. Slow clients wait in nginx, which holds
thousands of idle connections cheaply and drops them after its own timeouts.

Why not gthread: its threads still read the request themselves, so enough slow
clients fill every thread just as they fill sync workers; the proxy is the fix
either way. Behind it, threads would only add database connections and
thread-safety questions (each process already rebuilds the dashboard roll-up in
a background thread) without serving more requests on 2 cores.

Never expose these workers directly: docker-compose.yml publishes only nginx.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "sync"
# The usual 2 x cores + 1 for a 2-core host; WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request that takes longer is killed (and the worker restarted): the slowest page,
# the full CSV export, takes about 2 s. nginx waits a little longer (proxy_read_timeout 35s).
timeout = 30
graceful_timeout = 30
# Recycle workers now and then so a slow leak cannot grow for ever; jitter keeps them apart.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files on tmpfs: on a container's overlay filesystem a slow disk write can
# make the arbiter think a healthy worker has hung. gunicorn creates them with mkstemp.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = "-"
errorlog = "-"
