#!/bin/sh
# README.md is the user's page and must not rot: it starts with the two
# commands, stays under 120 lines, every relative link in it and in docs/
# resolves, nothing in the repository points at files outside it, and every
# command in its ```sh blocks runs as written (make run by run-smoke.sh, the
# tour's commands against that live server). A command passes when it exits
# 0, or N when its comment says "exit N".
set -eu
cd "$(dirname "$0")/../.."
fail() { echo "check-readme: FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/dc-readme.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

lines=$(wc -l < README.md)
[ "$lines" -lt 120 ] || fail "README.md has $lines lines (bar: under 120)"

python3 - "$tmp/tour.sh" <<'PY' || fail "README.md's commands could not be extracted"
import re, sys
text = open("README.md").read()
blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
first = [l.split("#")[0].strip() for l in blocks[0].strip().splitlines()]
assert first == ["make run", "make test"], "README must start with make run / make test, got %r" % first
assert text.index("```sh") < text.index("\n## "), "the two commands must come first"
out = ["set -u", "fails=0"]
n = 0
for block in blocks[1:]:
    for line in block.strip().splitlines():
        cmd = line.split("   #")[0].rstrip() if "   #" in line else line.split("  #")[0].rstrip()
        if not cmd or cmd.startswith("#"):
            continue
        m = re.search(r"#.*\bexit (\d+)", line)
        want = int(m.group(1)) if m else 0
        n += 1
        q = cmd.replace("'", "'\\''")
        out.append("echo '$ %s'" % q)
        out.append(cmd)
        out.append("rc=$?; [ $rc -eq %d ] || { echo \"check-readme: README command %d exited $rc, expected %d\"; fails=$((fails + 1)); }"
                   % (want, n, want))
out.append("[ $fails -eq 0 ]")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
print("check-readme: %d commands from README.md" % n)
PY

# Relative links in README.md and docs/*.md point at files that exist.
python3 - <<'PY' || fail "broken links"
import os, re, sys
bad = []
for f in ["README.md"] + ["docs/" + x for x in os.listdir("docs") if x.endswith(".md")]:
    for link in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", open(f).read()):
        if "://" in link:
            continue
        if not os.path.exists(os.path.join(os.path.dirname(f), link)):
            bad.append("%s -> %s" % (f, link))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
# Nothing a user reads points outside the repository.
if grep -rn "shared/DESIGN\|\.\./shared" README.md docs src include --include=*.md --include=*.c --include=*.h; then
  fail "references to files outside the repository (above)"
fi

sh tests/readme/run-smoke.sh "$tmp/tour.sh" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "README commands"; }
cat "$tmp/out"
grep -q '^approved op_' "$tmp/out" || fail "the tour's plan was not approved"
grep -q '<kml' build/notices.kml || fail "the tour's KML was not written"
echo "check-readme: README.md's commands ran as written"
