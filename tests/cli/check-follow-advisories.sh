#!/bin/sh
# Advisories that work (issue 13, item 3): the reference scenario's
# converging pair, IRN12 and VIPER2, loses separation on its plans and not
# when `deconflict simulate --follow-advisories` flies the operators'
# advisories (follow_advisories.py: two servers at once on 127.0.0.1, about
# two minutes of real time).
set -eu
cd "$(dirname "$0")/../.."
B=${DC_BIN:-build/deconflict}
exec /usr/bin/python3 tests/cli/follow_advisories.py "$B" 27101 27102
