#!/usr/bin/env bash
# Compile cost of keyward-errors for a dependent crate, beside a floor crate
# that depends only on serde with derive, all measured in the same run.
#
#   scripts/bench-compile-cost.sh
#
# Each case is a fresh crate with its own empty target dir, built with
# `cargo build` (debug, the default -j): wall time and the number of crates
# compiled. Prints a Markdown table with the ratio to the floor.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | dependency line
cases=(
  "floor (serde + derive)|serde = { version = \"1\", features = [\"derive\"] }"
  "keyward-errors (default)|keyward-errors = { path = \"$root/crates/errors\" }"
  "keyward-errors (no default features)|keyward-errors = { path = \"$root/crates/errors\", default-features = false }"
  "keyward-errors + schemars|keyward-errors = { path = \"$root/crates/errors\", features = [\"schemars\"] }"
  "keyward-errors + http|keyward-errors = { path = \"$root/crates/errors\", features = [\"http\"] }"
  "keyward-errors + axum|keyward-errors = { path = \"$root/crates/errors\", features = [\"axum\"] }"
)

# Fetch everything first so downloads never count.
i=0
for case in "${cases[@]}"; do
  name=${case%%|*}; dep=${case#*|}
  dir="$work/case$i"; mkdir -p "$dir/src"
  printf '[package]\nname = "case%d"\nversion = "0.0.0"\nedition = "2024"\n\n[dependencies]\n%s\n\n[workspace]\n' "$i" "$dep" >"$dir/Cargo.toml"
  echo 'fn main() {}' >"$dir/src/main.rs"
  (cd "$dir" && cargo fetch --quiet)
  i=$((i + 1))
done

echo "| dependent crate | clean build (s) | crates compiled | ratio to floor |"
echo "|---|---|---|---|"
floor=""
i=0
for case in "${cases[@]}"; do
  name=${case%%|*}
  dir="$work/case$i"
  start=$(date +%s.%N)
  crates=$(cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --offline 2>&1 | grep -c '^ *Compiling' || true)
  end=$(date +%s.%N)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  [ -z "$floor" ] && floor=$secs
  ratio=$(awk -v a="$secs" -v b="$floor" 'BEGIN { print a / b }')
  printf '| %s | %.1f | %d | %.2fx |\n' "$name" "$secs" "$crates" "$ratio"
  i=$((i + 1))
done
