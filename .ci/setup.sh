#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine (root) and the package itself.
set -euo pipefail
need=()
# gcc + libc6-dev build the C audio engine (pip install) and its AddressSanitizer check
# puredata-extra: sigmund~ (pitch tests); puredata-gui + xvfb + imagemagick + x11-utils: the patch layout test
# opens every patch in the real Pd GUI under Xvfb and screenshots it; chromium + chromium-driver: the web page's
# tests drive Debian's headless Chromium through selenium (no browser download)
for pkg in jackd2 libportaudio2 libjack-jackd2-0 puredata-core puredata-extra puredata-gui xvfb imagemagick x11-utils systemd gcc libc6-dev chromium chromium-driver; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# JACK keeps a registry of servers in /dev/shm; a jackd killed earlier (a crashed or timed-out run) leaves
# its slot taken. With no jackd running nothing uses these files, so start the tests from a clean registry.
pgrep -x jackd >/dev/null || rm -f /dev/shm/jack-shm-registry /dev/shm/jack_* /dev/shm/jack-* 2>/dev/null || true
PY=${PY:-python3}
$PY -c "import torch" 2>/dev/null || $PY -m pip install -q torch==2.13.0
$PY -m pip install -q -e ".[test,train]"
