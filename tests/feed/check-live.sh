#!/bin/sh
# The authority's surveillance feeds in a running server (issue 16): the Los
# Angeles SBS-1 recording replayed over TCP at speed and faster, a malformed
# ASTERIX datagram, a feed falling silent, the per-feed metrics and
# GET /v1/feeds, and dump1090-mutability relaying the recording as Beast
# (tests/feed/live_feeds.py says what each step asserts).
set -eu
cd "$(dirname "$0")/../.."
B=${DC_BIN:-build/deconflict}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v dump1090-mutability >/dev/null || { echo "FAIL: dump1090-mutability missing (scripts/install-deps.sh)" >&2; exit 1; }
python3 tests/feed/live_feeds.py "$B" "$T" || { grep -v event=request "$T/serve.log" | tail -5 >&2; exit 1; }
