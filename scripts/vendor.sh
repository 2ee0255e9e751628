#!/usr/bin/env bash
# Refresh the vendored front-end files from npm at pinned versions.
#
#   scripts/vendor.sh
#
# Each file keeps its version in its name; pages reference that name, so bumping a
# version here also means updating the import in static/js/connection.js (for
# socket.io-client) or tests/browser/conftest.py (for axe-core). Nothing is ever
# loaded from another origin: these copies are what the browser gets.
set -euo pipefail

SOCKET_IO_CLIENT_VERSION="4.8.4"
AXE_CORE_VERSION="4.14.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch PACKAGE VERSION -> prints the unpacked directory
  local pkg="$1" version="$2" dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$pkg@$version" >/dev/null)
  tar -xzf "$dir"/*.tgz -C "$dir"
  echo "$dir/package"
}

sio="$(fetch socket.io-client "$SOCKET_IO_CLIENT_VERSION")"
declaration="$(cat "$root"/static/vendor/socket.io-client-*.esm.min.d.ts)"  # for the type check: see the file
rm -f "$root"/static/vendor/socket.io-client-*.esm.min.js "$root"/static/vendor/socket.io-client-*.esm.min.d.ts \
  "$root"/static/vendor/socket.io-client-*.LICENSE
mkdir -p "$root/static/vendor"
cp "$sio/dist/socket.io.esm.min.js" "$root/static/vendor/socket.io-client-$SOCKET_IO_CLIENT_VERSION.esm.min.js"
printf '%s\n' "$declaration" >"$root/static/vendor/socket.io-client-$SOCKET_IO_CLIENT_VERSION.esm.min.d.ts"
cp "$sio/LICENSE" "$root/static/vendor/socket.io-client-$SOCKET_IO_CLIENT_VERSION.LICENSE"

axe="$(fetch axe-core "$AXE_CORE_VERSION")"
rm -f "$root"/tests/browser/vendor/axe-core-*.min.js "$root"/tests/browser/vendor/axe-core-*.LICENSE
mkdir -p "$root/tests/browser/vendor"
cp "$axe/axe.min.js" "$root/tests/browser/vendor/axe-core-$AXE_CORE_VERSION.min.js"
cp "$axe/LICENSE" "$root/tests/browser/vendor/axe-core-$AXE_CORE_VERSION.LICENSE"

echo "vendored socket.io-client $SOCKET_IO_CLIENT_VERSION and axe-core $AXE_CORE_VERSION"
