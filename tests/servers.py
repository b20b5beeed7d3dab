"""Real PostgreSQL and MariaDB servers for the template's tests.

Each server runs on 127.0.0.1 on a free port, with its data in a temporary
directory, and is stopped (and its directory removed) when the test session
ends, whether the tests passed or not. When `TEMPLATE_TEST_POSTGRES_URL` or
`TEMPLATE_TEST_MYSQL_URL` names an existing server (CI service containers),
that server is used instead of starting one.
"""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pg8000.native
import pymysql

ADMIN_PASSWORD = "template-tests"  # throwaway servers on 127.0.0.1 only


class ServerUnavailableError(RuntimeError):
    """The server binaries are missing or the server did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name: str, *patterns: str) -> str:
    """`name` from PATH, /usr/sbin or one of the glob `patterns`."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    for pattern in patterns:
        matches = sorted(Path("/").glob(pattern.lstrip("/")))
        if matches:
            return str(matches[-1])
    raise ServerUnavailableError(
        f"{name} not found; install the server (see .ci/run) or set the "
        "TEMPLATE_TEST_*_URL variables to an existing one"
    )


def _as_user(user: str | None, args: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *args] if user else args


def _wait_until(check: Callable[[], None], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            check()
        except Exception as error:  # retried until the deadline
            last_error = error
            time.sleep(0.2)
        else:
            return
    raise ServerUnavailableError(f"{what} did not become ready: {last_error}")


def _database_name(label: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in label.lower())[:40]
    return f"t_{cleaned}_{secrets.token_hex(3)}"


class Server:
    """A database server the tests may create databases on."""

    kind: str  # "postgresql" or "mysql"
    host = "127.0.0.1"
    port: int
    admin_user: str
    admin_password: str
    app_user: str
    app_password: str

    def create_database(self, label: str) -> str:
        """A new empty database; returns the plain URL the app should use."""
        raise NotImplementedError

    def url(self, database: str) -> str:
        user = urllib.parse.quote(self.app_user, safe="")
        password = urllib.parse.quote(self.app_password, safe="")
        return f"{self.kind}://{user}:{password}@{self.host}:{self.port}/{database}"

    # Local servers only.
    can_restart = False

    def stop(self) -> None:
        pass

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class PostgresServer(Server):
    kind = "postgresql"

    def create_database(self, label: str) -> str:
        name = _database_name(label)
        connection = pg8000.native.Connection(
            self.admin_user,
            host=self.host,
            port=self.port,
            password=self.admin_password,
            database="postgres",
        )
        try:
            connection.run(f'CREATE DATABASE "{name}" OWNER "{self.app_user}"')
        finally:
            connection.close()
        return self.url(name)

    def _ping(self) -> None:
        pg8000.native.Connection(
            self.admin_user,
            host=self.host,
            port=self.port,
            password=self.admin_password,
            database="postgres",
            timeout=2,
        ).close()


class ExternalPostgres(PostgresServer):
    def __init__(self, admin_url: str) -> None:
        parsed = urllib.parse.urlsplit(admin_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 5432
        self.admin_user = self.app_user = urllib.parse.unquote(parsed.username or "")
        self.admin_password = self.app_password = urllib.parse.unquote(
            parsed.password or ""
        )
        _wait_until(self._ping, 60, "PostgreSQL")


class LocalPostgres(PostgresServer):
    """PostgreSQL from `initdb`/`pg_ctl`, as the `postgres` user when root."""

    can_restart = True

    def __init__(self) -> None:
        self.initdb = find_binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
        self.pg_ctl = find_binary("pg_ctl", "/usr/lib/postgresql/*/bin/pg_ctl")
        self.user = "postgres" if os.geteuid() == 0 else None
        self.base = Path(tempfile.mkdtemp(prefix="template-tests-pg-"))
        self.base.chmod(0o755)
        self.data = self.base / "data"
        self.port = free_port()
        self.admin_user = "postgres"
        self.admin_password = ADMIN_PASSWORD
        self.app_user = "app"
        self.app_password = "app-password"
        password_file = self.base / "password"
        password_file.write_text(ADMIN_PASSWORD)
        if self.user:
            shutil.chown(self.base, self.user)
            shutil.chown(password_file, self.user)
        self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={password_file}",
        )
        self.start()
        connection = pg8000.native.Connection(
            "postgres", host=self.host, port=self.port, password=ADMIN_PASSWORD
        )
        try:
            connection.run(
                f"CREATE ROLE {self.app_user} LOGIN CREATEDB "
                f"PASSWORD '{self.app_password}'"
            )
        finally:
            connection.close()

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            _as_user(self.user, list(args)),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise ServerUnavailableError(
                f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        _wait_until(self._ping, 60, "PostgreSQL")

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        if not self.data.exists():
            return
        with contextlib.suppress(ServerUnavailableError, subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


class MySQLServer(Server):
    kind = "mysql"

    def _admin_connection(self) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.admin_user,
            password=self.admin_password,
            connect_timeout=2,
            autocommit=True,
        )

    def create_database(self, label: str) -> str:
        name = _database_name(label)
        connection = self._admin_connection()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE DATABASE `{name}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
                cursor.execute(f"GRANT ALL ON `{name}`.* TO %s@'%%'", (self.app_user,))
        finally:
            connection.close()
        return self.url(name)

    def _ping(self) -> None:
        self._admin_connection().close()


class ExternalMySQL(MySQLServer):
    def __init__(self, admin_url: str) -> None:
        parsed = urllib.parse.urlsplit(admin_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 3306
        self.admin_user = urllib.parse.unquote(parsed.username or "root")
        self.admin_password = urllib.parse.unquote(parsed.password or "")
        self.app_user = "app"
        self.app_password = "app-password"
        _wait_until(self._ping, 90, "MySQL")
        connection = self._admin_connection()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s",
                    (self.app_user, self.app_password),
                )
        finally:
            connection.close()


class LocalMariaDB(MySQLServer):
    """MariaDB from `mariadb-install-db`/`mariadbd` with its own datadir."""

    can_restart = True

    def __init__(self) -> None:
        self.mariadbd = find_binary("mariadbd", "/usr/sbin/mysqld")
        self.install_db = find_binary("mariadb-install-db", "/usr/bin/mysql_install_db")
        self.base = Path(tempfile.mkdtemp(prefix="template-tests-mariadb-"))
        self.data = self.base / "data"
        self.socket = self.base / "mysqld.sock"
        self.port = free_port()
        self.admin_user = "admin"
        self.admin_password = ADMIN_PASSWORD
        self.app_user = "app"
        self.app_password = "app-password"
        self.process: subprocess.Popen[bytes] | None = None
        user = ["--user=root"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [
                self.install_db,
                "--no-defaults",
                f"--datadir={self.data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if result.returncode != 0:
            raise ServerUnavailableError(
                f"mariadb-install-db failed:\n{result.stdout}\n{result.stderr}"
            )
        self.start()
        # root may only sign in over the socket; create TCP users for the tests.
        root = pymysql.connect(
            unix_socket=str(self.socket), user="root", autocommit=True
        )
        try:
            with root.cursor() as cursor:
                for user_name, password in (
                    (self.admin_user, self.admin_password),
                    (self.app_user, self.app_password),
                ):
                    cursor.execute(
                        "CREATE USER %s@'%%' IDENTIFIED BY %s", (user_name, password)
                    )
                cursor.execute(
                    "GRANT ALL ON *.* TO %s@'%%' WITH GRANT OPTION", (self.admin_user,)
                )
        finally:
            root.close()

    def start(self) -> None:
        user = ["--user=root"] if os.geteuid() == 0 else []
        log = (self.base / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.mariadbd,
                "--no-defaults",
                f"--datadir={self.data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.socket}",
                f"--pid-file={self.base / 'mysqld.pid'}",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-buffer-pool-size=128M",
                "--max-connections=300",
                *user,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

        def ready() -> None:
            if self.process is not None and self.process.poll() is not None:
                raise ServerUnavailableError(
                    "mariadbd exited:\n"
                    + (self.base / "server.log").read_text(errors="replace")[-3000:]
                )
            pymysql.connect(
                unix_socket=str(self.socket), user="root", connect_timeout=2
            ).close()

        _wait_until(ready, 90, "MariaDB")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_server(kind: str) -> Server:
    """The server for `kind` ("postgresql" or "mysql"): external or local."""
    if kind == "postgresql":
        external = os.environ.get("TEMPLATE_TEST_POSTGRES_URL")
        return ExternalPostgres(external) if external else LocalPostgres()
    if kind == "mysql":
        external = os.environ.get("TEMPLATE_TEST_MYSQL_URL")
        return ExternalMySQL(external) if external else LocalMariaDB()
    raise ValueError(kind)


def start_local_server(kind: str) -> Server:
    """A server of its own (for tests that stop and restart it)."""
    return LocalPostgres() if kind == "postgresql" else LocalMariaDB()
