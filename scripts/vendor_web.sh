#!/usr/bin/env bash
# Vendor the web page's font and JS library (and axe-core for the browser tests) from the npm
# registry, with their licences. Rerun to update: change a version below, run it, commit the result.
# Nothing is fetched at run time; the server only ever serves these files.
set -euo pipefail
cd "$(dirname "$0")/.."
VAZIRMATN=33.0.3   # OFL-1.1 font
HTMX=2.0.11        # 0BSD; 2.x for its documented CSP settings (htmx-config meta, no eval, no inline style)
AXE=4.14.1         # MPL-2.0; tests only
SWAGGER=5.35.0     # Apache-2.0; the interactive API docs at /docs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "vazirmatn@$VAZIRMATN" "htmx.org@$HTMX" "axe-core@$AXE" "swagger-ui-dist@$SWAGGER" >/dev/null)
for pkg in "vazirmatn-$VAZIRMATN" "htmx.org-$HTMX" "axe-core-$AXE" "swagger-ui-dist-$SWAGGER"; do
  mkdir -p "$tmp/$pkg" && tar xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
static=khabar/web/static
mkdir -p "$static/fonts" "$static/htmx" "$static/swagger" tests/web/vendor
for w in Regular Bold; do
  cp "$tmp/vazirmatn-$VAZIRMATN/package/fonts/webfonts/Vazirmatn-$w.woff2" "$static/fonts/"
done
cp "$tmp/vazirmatn-$VAZIRMATN/package/OFL.txt" "$static/fonts/OFL.txt"
cp "$tmp/vazirmatn-$VAZIRMATN/package/AUTHORS.txt" "$static/fonts/AUTHORS.txt"
cp "$tmp/htmx.org-$HTMX/package/dist/htmx.min.js" "$static/htmx/htmx.min.js"
cp "$tmp/htmx.org-$HTMX/package/LICENSE" "$static/htmx/LICENSE"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
  cp "$tmp/swagger-ui-dist-$SWAGGER/package/$f" "$static/swagger/"
done
cp "$tmp/axe-core-$AXE/package/axe.min.js" tests/web/vendor/axe.min.js
cp "$tmp/axe-core-$AXE/package/LICENSE" tests/web/vendor/LICENSE-axe-core
{
  echo "# Vendored from the npm registry by scripts/vendor_web.sh"
  echo
  echo "| package | version | licence | files | tarball sha256 |"
  echo "|---|---|---|---|---|"
  echo "| vazirmatn | $VAZIRMATN | SIL OFL 1.1 (fonts/OFL.txt) | fonts/Vazirmatn-Regular.woff2, fonts/Vazirmatn-Bold.woff2 | $(sha256sum "$tmp/vazirmatn-$VAZIRMATN.tgz" | cut -c1-64) |"
  echo "| htmx.org | $HTMX | 0BSD (htmx/LICENSE) | htmx/htmx.min.js | $(sha256sum "$tmp/htmx.org-$HTMX.tgz" | cut -c1-64) |"
  echo "| swagger-ui-dist | $SWAGGER | Apache-2.0 (swagger/LICENSE, swagger/NOTICE) | swagger/swagger-ui-bundle.js, swagger/swagger-ui.css | $(sha256sum "$tmp/swagger-ui-dist-$SWAGGER.tgz" | cut -c1-64) |"
  echo "| axe-core | $AXE | MPL-2.0 (tests/web/vendor/LICENSE-axe-core) | tests/web/vendor/axe.min.js (browser tests only, not shipped) | $(sha256sum "$tmp/axe-core-$AXE.tgz" | cut -c1-64) |"
} > "$static/VENDORED.md"
echo "vendored: vazirmatn $VAZIRMATN, htmx.org $HTMX, swagger-ui-dist $SWAGGER, axe-core $AXE"
