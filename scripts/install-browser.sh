#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver, for the browser tests (run headless; nothing downloads a
# browser at test time). Quick when both are already installed. Needs root or sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "error: the browser tests need Chromium and ChromeDriver at /usr/bin/chromium and" \
       "/usr/bin/chromedriver (Debian/Ubuntu: apt-get install chromium chromium-driver)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian's chromium and chromium-driver for the browser tests" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  chromium chromium-driver >/dev/null
