# Sourced by the run and test scripts: where builds go and which tools come first on PATH.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Build cache outside the clone, so fresh clones on this machine reuse earlier builds.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/roccavina/target}
# cargo-leptos finds wasm-opt here instead of downloading one.
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
