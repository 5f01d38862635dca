"""`make run` and `make test` install the system libraries they need on Debian/Ubuntu, or stop with the command."""
import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "system-packages.sh"


def fake_commands(folder: Path, *, uid: int, installed: set[str], sudo: bool) -> Path:
    """A PATH folder with stand-ins for dpkg-query, apt-get, id and sudo that record what they were asked."""
    folder.mkdir()
    log = folder / "calls.log"
    scripts = {
        "dpkg-query": f'for p in {" ".join(sorted(installed)) or "-"}; do [ "$p" = "${{3}}" ] && '
                      'echo "install ok installed" && exit 0; done; exit 1',
        "apt-get": f'echo "apt-get $*" >> {log}',
        "id": f"echo {uid}",
        "sudo": f'if [ "$1" = "-n" ]; then exit {0 if sudo else 1}; fi; echo "sudo $*" >> {log}; "$@"',
    }
    for name, body in scripts.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return log


def run(folder: Path, purpose: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{folder}:/usr/bin:/bin"}
    return subprocess.run(["sh", str(SCRIPT), purpose], env=environment, capture_output=True, text=True, timeout=30)


def test_nothing_to_do_when_everything_is_installed(tmp_path):
    everything = {"python3-venv", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "poppler-utils",
                  "chromium"}
    log = fake_commands(tmp_path / "bin", uid=1000, installed=everything, sudo=False)
    result = run(tmp_path / "bin", "test")
    assert result.returncode == 0 and not log.exists()


def test_root_installs_only_what_is_missing(tmp_path):
    log = fake_commands(tmp_path / "bin", uid=0, installed={"python3-venv", "libpango-1.0-0", "libpangoft2-1.0-0"},
                        sudo=False)
    result = run(tmp_path / "bin", "run")
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls[0].startswith("apt-get update")
    assert "install -y --no-install-recommends libharfbuzz-subset0 poppler-utils" in calls[1]
    assert "chromium" not in calls[1]  # the app alone needs no browser


def test_a_user_with_sudo_installs_through_it(tmp_path):
    log = fake_commands(tmp_path / "bin", uid=1000, installed=set(), sudo=True)
    assert run(tmp_path / "bin", "test").returncode == 0
    assert any(call.startswith("sudo apt-get install") and "chromium" in call for call in log.read_text().splitlines())


def test_without_the_rights_it_stops_at_once_with_the_command(tmp_path):
    log = fake_commands(tmp_path / "bin", uid=1000, installed=set(), sudo=False)
    result = run(tmp_path / "bin", "test")
    assert result.returncode == 1 and not log.exists()
    assert "apt-get update && apt-get install -y --no-install-recommends python3-venv" in result.stderr
    assert "chromium" in result.stderr
