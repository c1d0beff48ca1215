#!/usr/bin/env bash
# Builds and serves Roccavina Water on http://127.0.0.1:3000 (embedded SQLite + in-process
# cache unless DATABASE_URL / REDIS_URL are set).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh" run
cd "$ROOT"
exec cargo leptos serve --release --split
