#!/usr/bin/env bash
# Vendors TimelineJS3 from its npm package into api/web/static/vendor/timelinejs,
# which the binary embeds for the embeddable timeline (/embed/timelines/{id}).
#
# The version is the one tests/testdata/timelinejs/package.json pins, so the
# library the browser tests load and the one the service serves are the same.
# To upgrade: pin the new version there (npm install --save-exact --prefix
# tests/testdata/timelinejs @knight-lab/timelinejs@X.Y.Z), then run this script
# and commit both. It needs node and npm, and reaches only the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../.."

pin=tests/testdata/timelinejs/package.json
version="$(node -p "require('./$pin').dependencies['@knight-lab/timelinejs']")"
dest=api/web/static/vendor/timelinejs

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@knight-lab/timelinejs@$version" >/dev/null && tar -xzf ./*.tgz)
pkg="$tmp/package"
got="$(node -p "require('$pkg/package.json').version")"
[ "$got" = "$version" ] || { echo "npm gave TimelineJS $got, want $version" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest/js" "$dest/css/icons"
# The minified build, its CSS and the icon font the CSS refers to (by the
# relative path ../js/../css/icons/). Source maps are left out, and so is
# the comment that points at them, so that no browser asks for them. The
# optional web-font CSS files are left out too: the embed page turns fonts
# off (font: null) and uses the page's local fonts.
sed '/^\/\/# sourceMappingURL=/d' "$pkg/dist/js/timeline.js" >"$dest/js/timeline.js"
cp "$pkg/dist/js/timeline.js.LICENSE.txt" "$dest/js/"
sed 's#/\*\# sourceMappingURL=[^*]*\*/##' "$pkg/dist/css/timeline.css" >"$dest/css/timeline.css"
cp "$pkg"/dist/css/icons/tl-icons.* "$dest/css/icons/"
cp "$pkg/LICENSE" "$dest/LICENSE"
printf '%s\n' "$version" >"$dest/VERSION"
echo "vendored TimelineJS $version into $dest:"
du -b "$dest"/js/* "$dest"/css/timeline.css "$dest"/css/icons/* | sort -k2
