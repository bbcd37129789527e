"""A local Label Studio server for tests, examples and local use.

:class:`LocalServer` starts ``label-studio`` (installed in its own virtual environment,
see ``make labelstudio``) on 127.0.0.1 with a preset user and API token in a temporary
data folder, waits until ``/health`` answers, and stops it on exit::

    with LocalServer() as server:
        push_queue(items, project="spam", class_names=["ham", "spam"], ledger=led,
                   queue="active", url=server.url, api_key=server.api_key)

Run ``python -m dataqa.labelstudio.server --port 8089`` (or ``make labelstudio``) to keep
one running in a shell: it prints the address, the user name and the paths of two files
readable only by you, one holding the password (to log in with a browser) and one the API
key. The password is ``$DATAQA_LS_PASSWORD`` when set, else a random one; it is never taken
from the command line (where ``ps`` would show it) and reaches Label Studio through its
environment (``LABEL_STUDIO_PASSWORD``), not its arguments.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from dataqa.errors import InvalidSettingError, LabelStudioError

__all__ = ["LocalServer", "find_label_studio", "free_port", "port_in_use", "main"]

#: How long to wait for ``/health`` by default (a cold start takes 25-60 s).
DEFAULT_STARTUP_TIMEOUT = 240.0

#: The environment variable a password for the preset user is read from.
PASSWORD_ENV = "DATAQA_LS_PASSWORD"


def find_label_studio() -> Path | None:
    """The ``label-studio`` executable, or ``None`` when it is not installed.

    Looked up in this order: the ``LABEL_STUDIO_BIN`` environment variable, the
    repository's ``.venv-ls/bin/label-studio`` (what ``make labelstudio-install``
    creates), then ``PATH``.
    """
    env = os.environ.get("LABEL_STUDIO_BIN")
    if env:
        p = Path(env)
        return p if p.is_file() else None
    repo = Path(__file__).resolve().parents[2]
    local = repo / ".venv-ls" / "bin" / "label-studio"
    if local.is_file():
        return local
    found = shutil.which("label-studio")
    return Path(found) if found else None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already listens on ``host:port`` (the port cannot be bound;
    connections left in TIME_WAIT by a stopped server do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(port)))
        except OSError:
            return True
        return False


class LocalServer:
    """Start and stop a throw-away Label Studio server on the loopback interface.

    Parameters
    ----------
    port : int, optional
        Port to listen on (default: a free one).
    username, password : str, optional
        The preset user (an e-mail address; default ``admin@dataqa.local``) and its
        password (default ``$DATAQA_LS_PASSWORD``, else a random one). Neither the
        password nor the key is ever shown in ``repr`` or logs, nor passed on the server's
        command line.
    api_key : str, optional
        The preset user's API token (default: a random 40-character hex string). It is
        never shown in ``repr`` or logs.
    data_dir : path, optional
        Label Studio's data folder (database, uploads). Default: a temporary folder,
        removed on :meth:`stop`. A kept folder's saved ``password`` and ``api_key`` files
        (:meth:`write_credentials`) are used when those are not given.
    binary : path, optional
        The ``label-studio`` executable (default: :func:`find_label_studio`).
    startup_timeout : float
        Seconds to wait for ``/health``.
    local_files_root : path, optional
        Serve local image files under this folder (for image tasks from local paths).

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT``.
    api_key : str
    log_path : Path
        The server's log file (stdout and stderr).
    """

    def __init__(self, *, port: int | None = None, username: str = "admin@dataqa.local",
                 password: str | None = None, api_key: str | None = None,
                 data_dir: str | os.PathLike | None = None,
                 binary: str | os.PathLike | None = None,
                 startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
                 local_files_root: str | os.PathLike | None = None) -> None:
        if port is not None and not (0 < int(port) < 65536):
            raise InvalidSettingError(f"port {port!r} must be between 1 and 65535.")
        if startup_timeout <= 0:
            raise InvalidSettingError(f"startup_timeout must be > 0, not {startup_timeout!r}.")
        self.port = int(port) if port is not None else None
        self.username = username
        self._password = password or os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(12)
        self._api_key = api_key or secrets.token_hex(20)
        # a kept data folder already holds the user: its saved credentials stay valid
        # (Label Studio does not change an existing user's password or token)
        self._reuse = {"password": not (password or os.environ.get(PASSWORD_ENV)),
                       "api_key": not api_key}
        self._data_dir_arg = None if data_dir is None else Path(data_dir)
        self._binary_arg = None if binary is None else Path(binary)
        self.startup_timeout = float(startup_timeout)
        self.local_files_root = None if local_files_root is None else Path(local_files_root)
        self._proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.data_dir: Path | None = None
        self.log_path: Path | None = None
        self._log_file = None

    # ------------------------------------------------------------------ properties

    @property
    def url(self) -> str:
        if self.port is None:
            raise LabelStudioError("the server has no port yet; call start() first.")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def password(self) -> str:
        """The preset user's password (to log in with a browser)."""
        return self._password

    def write_credentials(self, folder: str | os.PathLike | None = None) -> dict[str, Path]:
        """Write the password and the API key to ``password`` and ``api_key`` in
        ``folder`` (default: the data folder), each readable only by the user (mode 0600);
        returns their paths."""
        folder = Path(folder) if folder is not None else self.data_dir
        if folder is None:
            raise LabelStudioError("the server has no data folder yet; call start() first.")
        if folder.exists() and not folder.is_dir():
            raise LabelStudioError(f"cannot write the credentials into {str(folder)!r}: it is a "
                                   f"file, not a folder; give a folder.")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        paths = {}
        for name, value in (("password", self._password), ("api_key", self._api_key)):
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # an existing file keeps its mode through os.open
            with os.fdopen(fd, "w") as fh:
                fh.write(value)
            paths[name] = path
        return paths

    def check_login(self, password: str | None = None) -> bool:
        """Whether the preset user can log in with ``password`` (default: the server's),
        through the login form a browser uses."""
        with requests.Session() as http:
            page = http.get(f"{self.url}/user/login/", timeout=30)
            token = http.cookies.get("csrftoken", "")
            resp = http.post(f"{self.url}/user/login/", timeout=30, allow_redirects=False,
                             data={"email": self.username,
                                   "password": self._password if password is None else password,
                                   "csrfmiddlewaretoken": token},
                             headers={"Referer": page.url})
            return resp.status_code in (301, 302) and "/user/login" not in resp.headers.get(
                "Location", "")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        where = f"http://127.0.0.1:{self.port}" if self.port else "no port"
        return f"LocalServer({where}, {state})"

    # ------------------------------------------------------------------ lifecycle

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LABEL_STUDIO_") and k not in ("HOST", "DJANGO_SETTINGS_MODULE")}
        env.update({
            "LABEL_STUDIO_USERNAME": self.username,
            "LABEL_STUDIO_PASSWORD": self._password,
            "LABEL_STUDIO_USER_TOKEN": self._api_key,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir),
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "PYTHONUNBUFFERED": "1",
        })
        if self.local_files_root is not None:
            env["LOCAL_FILES_SERVING_ENABLED"] = "true"
            env["LOCAL_FILES_DOCUMENT_ROOT"] = os.path.abspath(self.local_files_root)
        return env

    def start(self) -> LocalServer:
        """Start the server and wait for ``/health``; returns ``self``.

        Raises
        ------
        LabelStudioError
            Label Studio is not installed, the given ``port`` is already in use (another
            server there would answer ``/health`` in this one's place), Label Studio exits
            during start-up (the message ends with the last lines of its log), or does
            not answer within ``startup_timeout``.
        """
        if self.running:
            return self
        binary = self._binary_arg or find_label_studio()
        if binary is None or not Path(binary).is_file():
            raise LabelStudioError(
                "label-studio is not installed; run `make labelstudio-install` (it creates "
                ".venv-ls) or set LABEL_STUDIO_BIN to the label-studio executable.")
        if self.port is None:
            self.port = free_port()
        elif port_in_use(self.port):
            # another server there would answer /health and pass for this one
            raise LabelStudioError(
                f"port {self.port} is in use (a Label Studio server already answers there?); "
                f"pass another port (--port on the command line, port= in Python), or use the "
                f"server that is running.")
        if self._data_dir_arg is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dataqa-ls-")
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = self._data_dir_arg
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._use_saved_credentials()
        self.log_path = self.data_dir / "label-studio.log"
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        cmd = [str(binary), "start", "--no-browser", "--internal-host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "WARNING"]
        self._proc = subprocess.Popen(cmd, env=self._env(), cwd=str(self.data_dir),
                                      stdout=self._log_file, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _use_saved_credentials(self) -> None:
        """In a kept data folder, the saved password and key (those the user was created
        with) replace the random defaults."""
        for name, reuse in self._reuse.items():
            saved = self.data_dir / name
            if reuse and saved.is_file() and saved.read_text().strip():
                setattr(self, f"_{name}", saved.read_text().strip())

    def _log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        text = "\n".join(lines[-n:])
        return text.replace(self._api_key, "***").replace(self._password, "***")

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        health = f"{self.url}/health"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LabelStudioError(
                    f"label-studio exited with code {self._proc.returncode} during start-up; "
                    f"last lines of {self.log_path}:\n{self._log_tail()}")
            try:
                r = requests.get(health, timeout=2)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise LabelStudioError(
            f"label-studio did not answer {health} within {self.startup_timeout:.0f} s; "
            f"raise startup_timeout or read its log:\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server (the whole process group it started) and remove the temporary folder."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort: never leave a server behind
        try:
            if self._proc is not None:
                self.stop()
        except Exception:
            pass


def main(argv: list[str] | None = None) -> int:
    """``python -m dataqa.labelstudio.server``: run a local server until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m dataqa.labelstudio.server",
        description="Run Label Studio on 127.0.0.1 with a preset user and API key.")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--data-dir", default=None,
                        help="keep the database here (default: a temporary folder)")
    parser.add_argument("--username", default="admin@dataqa.local",
                        help="the user to log in as (an e-mail address)")
    raw = sys.argv[1:] if argv is None else argv
    for flag, where in (("--password", PASSWORD_ENV), ("--api-key", "LABEL_STUDIO_API_KEY")):
        if any(a == flag or a.startswith(f"{flag}=") for a in raw):
            what = flag[2:].replace("-", " ")
            print(f"error: the {what} is not taken from the command line (ps shows it to "
                  f"every user); set {where} instead, or leave it out for a random one "
                  f"(its file is printed at start).", file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        print(f"error: --port {args.port} must be between 1 and 65535.", file=sys.stderr)
        return 2
    if port_in_use(args.port):
        free = free_port()
        print(f"error: port {args.port} is in use (a Label Studio server already answers "
              f"there?); pass --port {free} (a free one now; with make: make labelstudio "
              f"LS_PORT={free}), or use the server that is running.", file=sys.stderr)
        return 2
    server = LocalServer(port=args.port, data_dir=args.data_dir, username=args.username,
                         api_key=os.environ.get("LABEL_STUDIO_API_KEY"))
    def _terminate(signum, frame):  # SIGTERM: stop the server too, like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    print(f"starting Label Studio on http://127.0.0.1:{args.port} ...", flush=True)
    try:
        server.start()
    except LabelStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        server.stop()
        return 0
    if not server.check_login():
        print(f"warning: {server.username} cannot log in with the password dataqa holds: the "
              f"data folder {server.data_dir} has that user from before with another "
              f"password. Use that one, or start with a new --data-dir.", file=sys.stderr)
    files = server.write_credentials()
    key_file = files["api_key"]
    print(f"Label Studio is up: {server.url}")
    print(f"Log in as {server.username}; the password is in {files['password']} (readable "
          f"only by you{', set from $' + PASSWORD_ENV if os.environ.get(PASSWORD_ENV) else ''}).")
    from_env = ", set from $LABEL_STUDIO_API_KEY" if os.environ.get("LABEL_STUDIO_API_KEY") else ""
    print(f"The API key is in {key_file} (readable only by you{from_env}). From another shell:")
    print(f"  export LABEL_STUDIO_URL={server.url}")
    print(f"  export LABEL_STUDIO_API_KEY=$(cat {key_file})")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while server.running:
            time.sleep(1)
        print(f"label-studio stopped; log: {server.log_path}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
