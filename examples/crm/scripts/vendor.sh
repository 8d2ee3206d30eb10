#!/usr/bin/env bash
# Reproduces the CRM's vendored front-end files under static/vendor/ from
# the npm registry, byte for byte: Chart.js (MIT, its LICENSE.md is kept
# beside it as chart.js.LICENSE.md), drawn by the supervisor board.
#
#   bash examples/crm/scripts/vendor.sh          # fetch, check, write
#   bash examples/crm/scripts/vendor.sh -check   # fetch, check, compare with the tracked files
#
# The tarball and the extracted files are checked against pinned SHA-256
# sums: a registry answering anything else fails the script.
set -euo pipefail
cd "$(dirname "$0")/../static/vendor"

version=4.5.1
tgz_sha256=f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a
js_sha256=48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a
license_sha256=41a84aa2caba645f966a18d9c2056b73e6d3a81d80bc0046bc0011a2634d4cce

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "chart.js@$version" >/dev/null)
echo "$tgz_sha256  $work/chart.js-$version.tgz" | sha256sum -c --quiet
tar -xzf "$work/chart.js-$version.tgz" -C "$work" package/dist/chart.umd.min.js package/LICENSE.md
echo "$js_sha256  $work/package/dist/chart.umd.min.js" | sha256sum -c --quiet
echo "$license_sha256  $work/package/LICENSE.md" | sha256sum -c --quiet

if [ "${1:-}" = "-check" ]; then
  cmp "$work/package/dist/chart.umd.min.js" chart.umd.min.js
  cmp "$work/package/LICENSE.md" chart.js.LICENSE.md
  echo "static/vendor matches chart.js@$version"
  exit 0
fi
cp "$work/package/dist/chart.umd.min.js" chart.umd.min.js
cp "$work/package/LICENSE.md" chart.js.LICENSE.md
echo "wrote static/vendor/chart.umd.min.js and chart.js.LICENSE.md (chart.js@$version)"
