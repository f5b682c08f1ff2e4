#!/usr/bin/env bash
# The README's commands land here:
#   npm start [-- runner flags]   installs what is missing, builds the site, starts it with a live runner
#   npm run workshop -- --name N  the same in workshop mode (--workshop): learners join by link, a facilitator's board
#   npm test                      installs what is missing, type-checks, lints, runs the whole suite
#   npm run doctest [-- WORD…]    installs what is missing, runs every page's blocks and checks their recordings
#   npm run record [-- WORD…]     the same, and rewrites the recordings (content/recordings/)
#   npm run bench [-- flags]      installs what is missing, runs the benchmarks against WeTTY and a floor
# Each step skips what is already there: Node >= 22.13 (node:sqlite), npm packages, the Docker engine, the lab images,
# Chromium (tests only).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
mode=${1:-}
shift || true
cd "$LAB_ROOT"

node_bin=$(bash "$here/ensure-node.sh")
export PATH="$node_bin:$PATH"
# Native addons (node-pty) build against the Node that runs them, not the machine's default headers.
export npm_config_nodedir
npm_config_nodedir=$(dirname "$node_bin")

stamp=.lab/deps.stamp
want="node $(node --version) lock $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # `npm install` at the locked versions, not `npm ci`: npm ci refuses a lock that names an optional
  # dependency the registry does not serve (vite's Windows-only napi-windows-process-start-time).
  say "installing npm packages at the locked versions"
  npm install --no-audit --no-fund >&2
  mkdir -p .lab && echo "$want" >"$stamp"
fi

bash "$here/ensure-engine.sh"
bash "$here/ensure-images.sh"

build_site() {
  # Rebuild only when a page, the site's code or the config changed since the last build.
  if [ -f dist/.built ] && [ -z "$(find content src public astro.config.mjs package-lock.json -newer dist/.built -print -quit 2>/dev/null)" ]; then
    say "site is up to date (dist/)"
    return
  fi
  say "building the site (astro build)"
  npx astro build >&2
  touch dist/.built
}

case "$mode" in
  start)
    build_site
    # node:sqlite (the workshop's store) is still marked experimental in Node 22: no warning at each start.
    exec node --disable-warning=ExperimentalWarning runner/main.ts --site-dir dist "$@"
    ;;
  workshop)
    build_site
    exec node --disable-warning=ExperimentalWarning runner/main.ts --site-dir dist --workshop "$@"
    ;;
  test)
    LAB_CHROMIUM=$(bash "$here/ensure-chromium.sh")
    export LAB_CHROMIUM
    say "type-check and lint"
    npx astro sync >&2 # generates .astro/types.d.ts (astro:content, astro:env, asset imports) for tsc
    npx tsc -p tsconfig.json
    npx tsc -p src/common/tsconfig.json # src/common and src/protocol: no DOM, no Node types
    npx astro check --minimumSeverity warning >&2
    npx eslint .
    build_site
    say "unit, integration, doc-tests and browser tests"
    exec node --test --test-reporter=spec --test-concurrency=1 --test-timeout=900000 \
      'tests/unit/**/*.test.ts' 'tests/integration/**/*.test.ts' 'tests/doctest/**/*.test.ts' 'tests/e2e/**/*.test.ts'
    ;;
  bench)
    LAB_CHROMIUM=$(bash "$here/ensure-chromium.sh")
    export LAB_CHROMIUM
    build_site
    exec node tests/bench/bench.ts "$@"
    ;;
  doctest)
    exec node runner/doctest/main.ts "$@"
    ;;
  record)
    exec node runner/doctest/main.ts --record "$@"
    ;;
  *)
    die "usage: run.sh start|workshop|test|doctest|record|bench"
    ;;
esac
