#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry.
#
# Pinned versions: govuk-frontend 6.3.0 is the release govuk-frontend-jinja 4.1
# targets; htmx stays on the 2.x line because 4.x changes the request headers
# flask-htmx reads. The GOV.UK stylesheet is compiled here with a system font
# and without the GDS Transport @font-face: the crown, font and images may only
# be used on GOV.UK services, and this is a council partnership tool.
set -euo pipefail
GOVUK_FRONTEND=6.3.0
HTMX=2.0.11
SASS=1.83.4

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/app/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_FRONTEND" "htmx.org@$HTMX" >/dev/null
mkdir -p gf htmx
tar xzf "govuk-frontend-$GOVUK_FRONTEND.tgz" -C gf
tar xzf "htmx.org-$HTMX.tgz" -C htmx

cat > app.scss <<SCSS
@use "gf/package/dist/govuk" with (
  \$govuk-font-family: (system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif),
  \$govuk-include-default-font-face: false
);
SCSS
npm install --silent --no-save --prefix "$work/sass" "sass@$SASS" >/dev/null
"$work/sass/node_modules/.bin/sass" --no-source-map --style=compressed --quiet app.scss govuk-frontend.min.css

rm -rf "$out"
mkdir -p "$out/govuk-frontend" "$out/htmx"
cp govuk-frontend.min.css "$out/govuk-frontend/"
cp gf/package/dist/govuk/govuk-frontend.min.js "$out/govuk-frontend/"
# The npm package ships no licence file; its package.json declares MIT and the
# repository's LICENSE.txt reads as below.
cat > "$out/govuk-frontend/LICENSE.txt" <<'LICENCE'
The MIT License (MIT)

Copyright (c) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENCE
cp htmx/package/dist/htmx.min.js "$out/htmx/"
cp htmx/package/LICENSE "$out/htmx/LICENSE"
cat > "$out/VERSIONS" <<TXT
govuk-frontend $GOVUK_FRONTEND (CSS compiled with a system font, no GDS Transport)
htmx.org $HTMX
TXT
echo "vendored into $out:"
cat "$out/VERSIONS"
