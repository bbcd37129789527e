"""The local server helper: how people log in, and where the password is (and is not)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dataqa.labelstudio import server as server_mod
from dataqa.labelstudio.server import PASSWORD_ENV, LocalServer


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_password_comes_from_the_environment_or_is_random(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "from-env-123")
    assert LocalServer().password == "from-env-123"
    assert LocalServer(password="given-456").password == "given-456"
    monkeypatch.delenv(PASSWORD_ENV)
    a, b = LocalServer().password, LocalServer().password
    assert a != b and len(a) >= 16
    srv = LocalServer()
    assert srv.password not in repr(srv) and srv.api_key not in repr(srv)
    # Label Studio gets the password through its environment, not its arguments
    srv.data_dir = Path("/tmp")
    assert srv._env()["LABEL_STUDIO_PASSWORD"] == srv.password


def test_password_or_key_on_the_command_line_is_refused(capsys):
    assert server_mod.main(["--password", "hunter2"]) == 2
    err = capsys.readouterr().err
    assert "not taken from the command line" in err and PASSWORD_ENV in err
    assert server_mod.main(["--port", "8089", "--password=hunter2"]) == 2
    capsys.readouterr()
    assert server_mod.main(["--api-key=abc123"]) == 2  # the key neither
    err = capsys.readouterr().err
    assert ("error: the api key is not taken from the command line (ps shows it to every "
            "user); set LABEL_STUDIO_API_KEY instead") in err


def test_credentials_are_written_readable_only_by_the_user(tmp_path):
    srv = LocalServer(password="pw-1", api_key="k" * 40)
    (tmp_path / "password").write_text("old")
    os.chmod(tmp_path / "password", 0o644)  # an old file readable by others
    paths = srv.write_credentials(tmp_path)
    assert paths == {"password": tmp_path / "password", "api_key": tmp_path / "api_key"}
    assert paths["password"].read_text() == "pw-1" and paths["api_key"].read_text() == "k" * 40
    assert _mode(paths["password"]) == 0o600 and _mode(paths["api_key"]) == 0o600


def test_credentials_go_into_a_new_folder_made_for_them(tmp_path):
    srv = LocalServer(password="pw-2", api_key="m" * 40)
    paths = srv.write_credentials(tmp_path / "new" / "creds")
    assert paths["password"].read_text() == "pw-2" and paths["api_key"].read_text() == "m" * 40
    assert _mode(tmp_path / "new" / "creds") == 0o700
    (tmp_path / "file").write_text("x")
    with pytest.raises(server_mod.LabelStudioError, match=r"cannot write the credentials into '.*file': "
                                               r"it is a file, not a folder"):
        srv.write_credentials(tmp_path / "file")


def test_a_kept_data_folder_keeps_its_saved_credentials(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    LocalServer(password="first-pw", api_key="a" * 40).write_credentials(tmp_path)
    again = LocalServer(data_dir=tmp_path)
    again.data_dir = tmp_path
    again._use_saved_credentials()
    assert (again.password, again.api_key) == ("first-pw", "a" * 40)
    # given ones win (Label Studio keeps the old user, so say so in the docs)
    monkeypatch.setenv(PASSWORD_ENV, "env-pw")
    third = LocalServer(data_dir=tmp_path)
    third.data_dir = tmp_path
    third._use_saved_credentials()
    assert third.password == "env-pw" and third.api_key == "a" * 40


def test_main_prints_url_user_and_the_password_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, "env-secret-789")
    port = server_mod.free_port()  # not the default 8089: a server may run there

    def fake_start(self):  # no server: what main prints once it is up
        self.port, self.data_dir = port, tmp_path
        return self

    monkeypatch.setattr(LocalServer, "start", fake_start)
    monkeypatch.setattr(LocalServer, "check_login", lambda self: True)
    monkeypatch.setattr(LocalServer, "running", property(lambda self: False))
    assert server_mod.main(["--data-dir", str(tmp_path), "--port", str(port)]) == 1  # "stopped"
    out = capsys.readouterr().out
    assert f"Label Studio is up: http://127.0.0.1:{port}" in out
    assert f"Log in as admin@dataqa.local; the password is in {tmp_path / 'password'}" in out
    assert f"set from ${PASSWORD_ENV}" in out
    assert "env-secret-789" not in out
    assert (tmp_path / "password").read_text() == "env-secret-789"
    assert _mode(tmp_path / "password") == 0o600
    assert "set from $LABEL_STUDIO_API_KEY" not in out  # a random key
    # a key exported in the shell (an earlier server's) is the new server's key: said
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k" * 40)
    assert server_mod.main(["--data-dir", str(tmp_path), "--port", str(port)]) == 1
    out = capsys.readouterr().out
    assert (f"The API key is in {tmp_path / 'api_key'} (readable only by you, set from "
            f"$LABEL_STUDIO_API_KEY)") in out
    assert (tmp_path / "api_key").read_text() == "k" * 40


def test_running_server_command_lines_hold_no_secret(ls_server):
    proc = Path("/proc")
    if not proc.is_dir():
        pytest.skip("no /proc to read command lines from")
    pgid = ls_server._proc.pid
    lines = []
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            if os.getpgid(int(d.name)) != pgid:
                continue
            lines.append((d / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            continue
    assert lines, "found none of the server's processes"
    assert any("label-studio" in c for c in lines)
    for c in lines:
        assert ls_server.password not in c and ls_server.api_key not in c


def test_the_preset_user_logs_in_with_the_password_and_not_another(ls_server):
    assert ls_server.check_login() is True
    assert ls_server.check_login(ls_server.password + "x") is False


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path, capsys):
    import socket

    # something listens there (as a running Label Studio would): /health would answer
    # from it, so starting "another" server must be refused, not reported as up
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert server_mod.port_in_use(port)
        assert server_mod.main(["--port", str(port), "--data-dir", str(tmp_path / "d")]) == 2
        out, err = capsys.readouterr()
        assert (f"error: port {port} is in use (a Label Studio server already answers "
                f"there?); pass --port ") in err
        assert "(a free one now; with make: make labelstudio LS_PORT=" in err
        assert "Label Studio is up" not in out and "starting" not in out
        assert not (tmp_path / "d").exists()
        srv = LocalServer(port=port, binary=__file__)
        with pytest.raises(server_mod.LabelStudioError, match=f"port {port} is in use"):
            srv.start()
        assert not srv.running
    assert not server_mod.port_in_use(port)
