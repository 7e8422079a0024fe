"""The benchmarks' one way to make sure their PostgreSQL database exists.

Each benchmark names its own database (jk_dash, jk_ops, …) and creates it when it is missing, so
that the command in its docstring works on a fresh machine. A URL that is not PostgreSQL's is left
alone (the benchmarks that need PostgreSQL say so themselves).
"""

from urllib.parse import unquote, urlparse


def ensure_database(url: str) -> bool:
    """CREATE DATABASE when `url`'s database is missing; True when it was created.

    Connects to the server's `postgres` database with the same host, port and credentials.
    """
    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        return False
    import psycopg2
    from psycopg2 import sql

    name = unquote(parts.path.lstrip("/"))
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else "postgres",
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            print(f"creating database {name}", flush=True)
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()
