#!/bin/sh
# The web display in Debian's chromium (headless, no browser download):
# installs playwright-core from tests/web/package-lock.json when missing,
# runs check-modules.mjs (the page's modules that need no browser, in node),
# then check-web.js against a real server with the scenario loaded.
# Screenshots are left in build/screenshots/.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
node check-modules.mjs
exec node check-web.js
