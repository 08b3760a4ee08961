"""gunicorn reads this file from the project folder: `gunicorn config.wsgi` (workers: `-w N` or
WEB_CONCURRENCY; threads per worker: `--threads N`)."""

import os


def post_fork(server, worker):
    """Each worker process has its own database connection pool, and never uses more connections
    at once than it has threads: size the pool so (unless DB_POOL_MAX_SIZE says otherwise), which
    keeps the server's connections at most workers x threads."""
    os.environ.setdefault("DB_POOL_MAX_SIZE", str(server.cfg.threads))
