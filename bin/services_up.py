"""Exit 0 when the PostgreSQL and Redis URLs given answer (creating the database if needed)."""

import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    pg_url, redis_url = sys.argv[1], sys.argv[2]
    if not (reachable(pg_url, 5432) and reachable(redis_url, 6379)):
        return 1
    import psycopg

    dbname = urlparse(pg_url).path.lstrip("/")
    admin_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
                conn.execute(f'CREATE DATABASE "{dbname}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL answers but refuses us: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
