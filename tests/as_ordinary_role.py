"""The whole suite through DATABASE_URL as an ordinary role, the managed-server case (`make test-ordinary-role`).

A second embedded cluster of its own, on a free loopback port, where the superuser does what the
administrator of a managed service does: a role with LOGIN and a password, CREATEDB and CREATEROLE, no
superuser and no BYPASSRLS, owning its database, and the `vector` extension in that database and in
`template1` (the suite's throwaway databases come from it). Then pytest runs with DATABASE_URL pointing
there, over TCP, and the cluster is stopped and removed whatever happens. Arguments go to pytest.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

ROLE, PASSWORD, DATABASE = "kit", "kit-Ordinary-42", "kitdb"


def main(args: list[str]) -> int:
    from dbkit import server

    parent = Path(tempfile.mkdtemp(prefix="dbkit-ordinary-"))
    parent.chmod(0o755)  # as root the server runs as another user, who must traverse it
    directory = parent / "pg"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    try:
        admin = server.up(port=port, directory=directory).url
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOBYPASSRLS CREATEDB CREATEROLE").format(
                    sql.Identifier(ROLE), sql.Literal(PASSWORD)
                )
            )
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(ROLE)))
        for name in ("template1", DATABASE):
            with psycopg.connect(admin, dbname=name, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        url = f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"
        print(f"the suite as {ROLE} (NOSUPERUSER CREATEDB CREATEROLE, owner of {DATABASE}) on 127.0.0.1:{port}", flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", *args]
        return subprocess.run(command, env=env, cwd=Path(__file__).resolve().parent.parent, check=False).returncode
    finally:
        server.down(directory)
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
