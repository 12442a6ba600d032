#!/bin/sh
# Services migrate their own tables at start (each with its own Alembic version table), so nothing else is needed
# before them; this script only waits until PostgreSQL accepts connections.
set -e
python - <<'PY'
import asyncio, os, sys, time
import asyncpg
url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
for _ in range(60):
    try:
        conn = asyncio.run(asyncpg.connect(url, timeout=2))
        asyncio.run(conn.close())
        sys.exit(0)
    except Exception:
        time.sleep(1)
sys.exit("PostgreSQL did not come up")
PY
exec "$@"
