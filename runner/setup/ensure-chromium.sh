#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (Playwright drives it; it cannot
# download a browser of its own here), and poppler's pdftotext and pdftoppm, which read the PDF
# the print test makes. Prints the browser's path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v pdftotext >/dev/null || ! command -v pdftoppm >/dev/null; then
  apt_install poppler-utils >/dev/null \
    || die "poppler's pdftotext is needed for the print test. Install Debian's poppler-utils package, then run this again."
fi

for candidate in "${LAB_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
# Fonts: a CJK font so the Chinese pages render in screenshots, not as boxes.
apt_install chromium fonts-noto-cjk >/dev/null \
  || die "Chromium is needed for the browser tests. Install Debian's chromium package (or set LAB_CHROMIUM to a Chromium binary), then run this again."
echo /usr/bin/chromium
