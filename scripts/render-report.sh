#!/usr/bin/env bash
# Renders a dynsim report.html to a PNG screenshot with headless Chromium (Debian's `chromium`).
#
#   scripts/render-report.sh REPORT.html OUT.png [WIDTH [HEIGHT]]
#
# WIDTH defaults to 1200 px and HEIGHT to 9000 px (tall enough for the whole default report;
# the page is white below its end). Chromium runs headless with a fresh profile that is
# removed afterwards, and with networking, updates and sync off (the page needs no network).
# Set CHROMIUM to use another binary. Exit codes: 0 written, 2 bad arguments or no Chromium,
# 1 Chromium failed.
set -euo pipefail

usage() {
    echo "usage: $0 REPORT.html OUT.png [WIDTH [HEIGHT]]" >&2
    exit 2
}
[ $# -ge 2 ] && [ $# -le 4 ] || usage
in=$1
out=$2
width=${3:-1200}
height=${4:-9000}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -f "$in" ] || { echo "error: $in: no such file" >&2; exit 2; }
[[ $width =~ ^[0-9]+$ && $height =~ ^[0-9]+$ ]] || { echo "error: WIDTH and HEIGHT are pixels" >&2; exit 2; }
[ -x "$chromium" ] || { echo "error: $chromium not found; install it with: apt-get install -y chromium" >&2; exit 2; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
url="file://$(realpath "$in")"
tmp="$out.partial.png"
if ! timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
    --screenshot="$tmp" "$url" >"$profile/stdout" 2>"$profile/stderr"; then
    echo "error: chromium failed to render $in:" >&2
    tail -n 20 "$profile/stderr" >&2
    rm -f "$tmp"
    exit 1
fi
[ -s "$tmp" ] || { echo "error: chromium wrote no screenshot" >&2; exit 1; }
mv "$tmp" "$out"
echo "$out"
