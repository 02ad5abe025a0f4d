#!/usr/bin/env bash
# Vendor axe-core (the accessibility engine the portal's browser tests run) from the npm registry.
#
#   scripts/vendor-axe-core.sh            # the registry's "latest" 4.x
#   scripts/vendor-axe-core.sh 4.14.1     # a given version
#
# Fetches the release tarball named by the registry's metadata, checks it against the registry's
# dist.integrity (sha512, Subresource-Integrity form), and keeps only axe.min.js and LICENSE under
# tests/browser/vendor/axe-core-<version>/. Tests load that file; nothing is fetched while tests run.
# After a refresh, update AXE in tests/browser/test_portal_accessibility.py and remove the old folder.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
version="${1:-latest}"
registry="https://registry.npmjs.org/axe-core"

meta="$(curl -fsSL "$registry/$version")"
read -r version tarball integrity < <(python3 -c '
import json, sys
m = json.loads(sys.stdin.read())
print(m["version"], m["dist"]["tarball"], m["dist"]["integrity"])
' <<<"$meta")
case "$version" in 4.*) ;; *) echo "axe-core $version is not a 4.x release" >&2; exit 1 ;; esac
case "$integrity" in sha512-*) ;; *) echo "unexpected integrity $integrity" >&2; exit 1 ;; esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
curl -fsSL "$tarball" -o "$work/axe-core.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$work/axe-core.tgz" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
  echo "integrity mismatch for $tarball: registry $integrity, file $actual" >&2
  exit 1
fi
tar -xzf "$work/axe-core.tgz" -C "$work" package/axe.min.js package/LICENSE package/package.json

dest="$here/tests/browser/vendor/axe-core-$version"
mkdir -p "$dest"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$dest/"
cat >"$dest/README.md" <<EOF
# axe-core $version (vendored)

\`axe.min.js\` and \`LICENSE\` (MPL-2.0) from the npm registry's axe-core $version tarball:

- tarball: $tarball
- integrity (registry \`dist.integrity\`, checked on download): \`$integrity\`
- axe.min.js sha256: \`$(sha256sum "$dest/axe.min.js" | cut -d' ' -f1)\`

Used only by the browser tests (tests/browser/test_portal_accessibility.py loads it into the page with
\`page.add_script_tag(path=...)\`); nothing is fetched while tests run. The file is unmodified.

Refresh: \`scripts/vendor-axe-core.sh [version]\` (default: the registry's latest), then point the tests at the
new folder and delete this one.
EOF
echo "axe-core $version -> $dest ($integrity)"
