"""Two processes on one DuckDB file: the second gets a clear message, not a traceback."""

import os
import subprocess
import sys

from callkit.store.db import connect


def test_a_second_process_is_told_which_pid_holds_the_database(tmp_path):
    path = tmp_path / "busy.duckdb"
    con = connect(path)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "callkit.cli", "seed"], capture_output=True, text=True,
            timeout=120, env={**os.environ, "CALLKIT_DB_PATH": str(path)})
    finally:
        con.close()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"is in use by PID {os.getpid()}" in result.stderr
    assert "CALLKIT_DB_PATH" in result.stderr
    # The file was not harmed: it opens and still has its schema.
    again = connect(path)
    try:
        assert again.execute("SELECT count(*) FROM customers").fetchone() == (0,)
    finally:
        again.close()
