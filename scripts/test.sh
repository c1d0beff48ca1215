#!/usr/bin/env bash
# Runs every check and test of Roccavina Water: formatting, clippy on both halves, unit and
# integration tests (real SQLite, PostgreSQL and Redis), then the release build driven by
# Playwright in Chromium. Installs and starts what is missing first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

step() { printf '\n\033[1;32m==> %s\033[0m (%s)\n' "$*" "$(date +%T)"; }
START=$(date +%s)

step "set-up"
scripts/setup.sh test

step "rustfmt"
cargo fmt --all -- --check

step "clippy, server half (ssr, host)"
cargo clippy --locked -p shared -p analytics -p migrations -p server -p app --features app/ssr --all-targets -- -D warnings

step "clippy, browser half (hydrate, wasm32)"
cargo clippy --locked -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/}
cargo test --locked -p shared -p analytics -p migrations -p server -p app --features app/ssr

step "release build (cargo-leptos)"
cargo leptos build --release --split

step "end-to-end tests (Playwright + Chromium)"
E2E_DIR=$(mktemp -d)
PORT=${E2E_PORT:-3107}
SERVER_LOG="$E2E_DIR/server.log"
DATABASE_URL="sqlite://$E2E_DIR/e2e.db?mode=rwc" \
  LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
  LEPTOS_SITE_ROOT="$ROOT/target/site" \
  DEMO_ADMIN_PASSWORD="e2e-demo-password" \
  INITIAL_BACKFILL_DAYS=3 \
  env -u REDIS_URL "$CARGO_TARGET_DIR/release/server" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$E2E_DIR"' EXIT
set +e
(cd end2end && BASE_URL="http://127.0.0.1:$PORT" DEMO_PASSWORD="e2e-demo-password" node run.mjs)
E2E_STATUS=$?
set -e
if [ $E2E_STATUS -ne 0 ]; then
  echo "--- server log ---"; tail -n 60 "$SERVER_LOG"
  exit $E2E_STATUS
fi

step "all green in $(( $(date +%s) - START )) s"
