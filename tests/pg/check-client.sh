#!/bin/sh
# The PostgreSQL tests' HTTP Client refuses to be shared by two live threads
# (issue 11; tests/pg/client_check.py). No PostgreSQL needed.
set -eu
cd "$(dirname "$0")/../.."
python3 tests/pg/client_check.py
