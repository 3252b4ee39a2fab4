import sys
import time
import urllib.error
import urllib.request

import pytest

from callkit.lab.launch import (find_repo_root, free_port, lab_command, start_lab, stop_lab,
                                wait_until_up)


def test_lab_command_serves_the_folder_on_loopback_with_the_token(tmp_path):
    command = lab_command(tmp_path, 8899, "s3cret", as_root=False)

    assert command[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=8899" in command
    assert "--IdentityProvider.token=s3cret" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert "--no-browser" in command and "--allow-root" not in command
    assert "--allow-root" in lab_command(tmp_path, 8899, "s3cret", as_root=True)


def test_the_repo_is_found_from_any_folder_below_it(tmp_path):
    (tmp_path / "repo" / "solutions").mkdir(parents=True)
    (tmp_path / "repo" / "notebooks" / "data").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()

    found = find_repo_root(tmp_path / "repo" / "notebooks" / "data")
    assert found == (tmp_path / "repo").resolve()
    with pytest.raises(FileNotFoundError, match="contains solutions/"):
        find_repo_root(tmp_path / "elsewhere")


def _status(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_real_lab_answers_only_with_its_token_and_stops_on_request(tmp_path):
    port, token = free_port(0), "test-token-1234"
    started = time.monotonic()
    process = start_lab(tmp_path, port, token)
    try:
        assert wait_until_up(process, port, token, timeout_s=30), "JupyterLab never answered"
        status = f"http://127.0.0.1:{port}/api/status"
        assert _status(f"{status}?token={token}") == 200
        assert _status(status) == 403
    finally:
        stop_lab(process)
    assert process.returncode is not None
    assert time.monotonic() - started < 45
