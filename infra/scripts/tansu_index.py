"""Adds the index tansu 0.6 lacks to a running broker's SQLite store.

tansu looks up each fetched record's headers with a query on the `header` table, which has no
index: every fetch scans all header rows of all topics (13 per Plinth event), so a broker slows
by orders of magnitude as its store grows (docs/local-infrastructure.md). This waits until tansu
has created its schema, then creates the index (idempotent; it survives restarts).

    python3 infra/scripts/tansu_index.py <path to tansu.db>
"""

import sqlite3
import sys
import time

path = sys.argv[1]
deadline = time.time() + 60
while True:
    try:
        db = sqlite3.connect(path, timeout=30)
        db.execute("CREATE INDEX IF NOT EXISTS header_topition_offset ON header (topition, offset_id)")
        db.commit()
        db.close()
        break
    except sqlite3.OperationalError as e:  # no table yet, or the store is busy
        if time.time() > deadline:
            sys.exit(f"cannot index {path}: {e}")
        time.sleep(0.2)
