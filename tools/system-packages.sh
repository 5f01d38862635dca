#!/bin/sh
# The system libraries the app (run) or the test suite (test) needs: installed on Debian/Ubuntu when missing
# (as root, or through sudo); elsewhere, or without the rights to install, stop at once with the command.
# Called by `make run` and `make test`; `SKIP_SYSTEM_PACKAGES=1` skips it.
set -eu
purpose=${1:-run}
packages="python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils"
if [ "$purpose" = test ]; then
  # Chromium for the browser tests; Java runs the Nu HTML checker and npm installs it and axe-core.
  packages="$packages chromium"
  command -v java >/dev/null 2>&1 || packages="$packages default-jre-headless"
  command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  # Not Debian or Ubuntu: look for the libraries themselves.
  missing=""
  for library in pango-1.0 pangoft2-1.0 harfbuzz-subset; do
    ldconfig -p 2>/dev/null | grep -q "lib$library.so" || missing="$missing lib$library"
  done
  command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler(pdftoppm)"
  if [ "$purpose" = test ]; then
    [ -x /usr/bin/chromium ] || missing="$missing chromium(/usr/bin/chromium)"
    command -v java >/dev/null 2>&1 || missing="$missing java"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
  fi
  if [ -n "$missing" ]; then
    echo "Missing system libraries:$missing" >&2
    echo "Install them with your system's package manager (on Debian/Ubuntu: apt-get install $packages)." >&2
    exit 1
  fi
  exit 0
fi

missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

command="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "Missing system packages:$missing" >&2
  echo "Install them as root:  apt-get update && $command" >&2
  exit 1
fi
echo "Installing the system packages:$missing"
DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo $command -qq >/dev/null
