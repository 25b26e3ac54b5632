#!/usr/bin/env bash
# Label Noise Lab build script.
#   ./build.sh          build the static site into www/: wasm + JS glue (www/pkg), packed data (www/data)
#   ./build.sh serve    build, then serve www/ on http://127.0.0.1:8000
#   ./build.sh test     the whole test suite: native tests on real MNIST, the site, Chromium e2e tests
#   ./build.sh bench    training throughput benchmark
#   ./build.sh data     download MNIST and Fashion-MNIST into data/ (checksums verified)
# Data: MNIST_DIR / FASHION_MNIST_DIR, else ../shared/data/{mnist,fashion-mnist}, else data/.
set -euo pipefail
cd "$(dirname "$0")"

WASM_TARGET=wasm32-unknown-unknown
WASM_FEATURES="flex,simd"

# MD5 of the canonical .gz files (see ../shared/data/README.md).
MNIST_URL=https://ossci-datasets.s3.amazonaws.com/mnist
FASHION_URL=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
MNIST_MD5="train-images-idx3-ubyte.gz f68b3c2dcbeaaa9fbdd348bbdeb94873
train-labels-idx1-ubyte.gz d53e105ee54ea40749a09fcbcd1e9432
t10k-images-idx3-ubyte.gz 9fb629c4189551a2d022fa330f9573f3
t10k-labels-idx1-ubyte.gz ec29112dd5afa0611ce80d1b7f02629c"
FASHION_MD5="train-images-idx3-ubyte.gz 8d4fb7e6c68d591d4c3dfef9ec88bf0d
train-labels-idx1-ubyte.gz 25c81989df183df01b3e8a0aad5dffbe
t10k-images-idx3-ubyte.gz bef4ecab320f06d8554ea6380940ec79
t10k-labels-idx1-ubyte.gz bb300cfdad3c16e7a12a480ee83cd310"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# download DIR URL "file md5" lines: fetch missing files, verify every checksum.
download() {
  local dir=$1 url=$2 sums=$3
  mkdir -p "$dir"
  while read -r file md5; do
    if [ ! -f "$dir/$file" ]; then
      log "downloading $url/$file"
      curl -fsSL --retry 3 -o "$dir/$file.part" "$url/$file" && mv "$dir/$file.part" "$dir/$file"
    fi
    echo "$md5  $dir/$file" | md5sum -c --quiet - || { echo "checksum mismatch: $dir/$file (deleted; run again)" >&2; rm -f "$dir/$file"; exit 1; }
  done <<< "$sums"
}

# Points MNIST_DIR and FASHION_MNIST_DIR at data, downloading only when nothing local exists.
find_data() {
  if [ -z "${MNIST_DIR:-}" ]; then
    if [ -d ../shared/data/mnist ]; then MNIST_DIR=$(cd ../shared/data/mnist && pwd); else MNIST_DIR=$PWD/data/mnist; download "$MNIST_DIR" "$MNIST_URL" "$MNIST_MD5"; fi
  fi
  if [ -z "${FASHION_MNIST_DIR:-}" ]; then
    if [ -d ../shared/data/fashion-mnist ]; then FASHION_MNIST_DIR=$(cd ../shared/data/fashion-mnist && pwd); else FASHION_MNIST_DIR=$PWD/data/fashion-mnist; download "$FASHION_MNIST_DIR" "$FASHION_URL" "$FASHION_MD5"; fi
  fi
  export MNIST_DIR FASHION_MNIST_DIR
  log "MNIST_DIR=$MNIST_DIR FASHION_MNIST_DIR=$FASHION_MNIST_DIR"
}

ensure_wasm_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET" || rustup target add "$WASM_TARGET"
}

# The wasm-bindgen CLI must match the crate's pinned wasm-bindgen exactly.
ensure_wasm_bindgen() {
  local want
  want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

# build_wasm [FEATURES OUT]: the page's wasm (flex backend, simd128, single-threaded) -> www/pkg.
build_wasm() {
  local features=${1:-$WASM_FEATURES} out=${2:-www/pkg}
  ensure_wasm_target
  ensure_wasm_bindgen
  log "wasm (features $features) -> $out"
  RUSTFLAGS="-C target-feature=+simd128" cargo build --release --lib --target "$WASM_TARGET" --no-default-features --features "$features"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "target/$WASM_TARGET/release/label_noise_lab.wasm"
}

# The same wasm plus the benchmark and crash hooks (feature `bench`), for the benchmark and the
# tests only (tests/e2e/harness.mjs serves it with `hooks: true`): never in www/. Built before
# the page's, so that the page's is the last build and `serve` need not redo it.
build_hooks_wasm() {
  build_wasm "$WASM_FEATURES,bench" target/hooks-pkg
}

# Lint gates: native (with the ndarray backend compiled in, which nothing else builds) and wasm32.
lint() {
  log "clippy, native with --features ndarray, then wasm32"
  cargo clippy --all-targets --features ndarray -- -D warnings
  RUSTFLAGS="-C target-feature=+simd128" cargo clippy --release --target "$WASM_TARGET" --lib --test wasm_bindings --no-default-features --features "$WASM_FEATURES,bench" -- -D warnings
}

# pack BIN: the packed data chunks the page fetches.
pack() {
  log "packing data into www/data"
  "$1" pack --out www/data
  # The lab's full-scale results: the page's quick figures set their checks beside them.
  mkdir -p www/data/full-scale && cp reproduction/*-full.csv www/data/full-scale/
}

build() {
  find_data
  log "native CLI"
  cargo build --release
  build_wasm
  pack ./target/release/label-noise-lab
}

case "${1:-build}" in
  build) build ;;
  serve)
    build
    log "serving www/ on http://127.0.0.1:8000 (Ctrl-C stops)"
    exec python3 -m http.server 8000 --bind 127.0.0.1 --directory www ;;
  test)
    find_data
    ensure_wasm_target
    lint
    log "native tests on real MNIST (ndarray backend compiled in, so its tests run too)"
    cargo test --all-targets --features ndarray
    build_hooks_wasm
    build_wasm
    log "wasm-bindgen tests of the bindings in headless Chromium (chromedriver)"
    # --release with the same flags and features as build_wasm: it reuses those dependencies.
    CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} RUSTFLAGS="-C target-feature=+simd128" \
      cargo test --release --target "$WASM_TARGET" --no-default-features --features "$WASM_FEATURES" --test wasm_bindings
    pack ./target/debug/label-noise-lab
    log "end-to-end tests in headless Chromium"
    { [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ]; } || npm ci --no-audit --no-fund
    LNL_CLI=./target/debug/label-noise-lab node --test --test-timeout=300000 tests/e2e/ ;;
  bench)
    find_data
    build_hooks_wasm
    build
    log "benchmarks: native and in headless Chromium (a few minutes)"
    { [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ]; } || npm ci --no-audit --no-fund
    # TensorFlow.js (~300 MB unpacked) is only for the comparison row: its own package.
    [ -d tests/bench/node_modules/@tensorflow/tfjs ] || npm ci --prefix tests/bench --no-audit --no-fund
    node tests/bench/run.mjs ;;
  data)
    download data/mnist "$MNIST_URL" "$MNIST_MD5"
    download data/fashion-mnist "$FASHION_URL" "$FASHION_MD5" ;;
  *) echo "usage: ./build.sh [build|serve|test|bench|data]" >&2; exit 2 ;;
esac
