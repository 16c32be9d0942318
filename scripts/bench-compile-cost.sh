#!/usr/bin/env bash
# Compile cost of keyward-errors for a dependent crate, beside a floor crate
# that depends only on serde with derive, all measured in the same run.
#
#   scripts/bench-compile-cost.sh
#
# Each case is a fresh crate with its own empty target dir, built with
# `cargo build` (debug, the default -j): wall time, CPU time and the number
# of crates compiled. Prints a Markdown table with the ratios to the floor.
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
  "keyward-errors + locales|keyward-errors = { path = \"$root/crates/errors\", features = [\"locales\"] }"
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

echo "| dependent crate | clean build wall (s) | CPU user+sys (s) | crates compiled | wall ratio to floor | CPU ratio to floor |"
echo "|---|---|---|---|---|---|"
floor_wall=""; floor_cpu=""
i=0
for case in "${cases[@]}"; do
  name=${case%%|*}
  dir="$work/case$i"
  # Wall and CPU time of the whole build; CPU time is the steadier figure on
  # a shared machine.
  TIMEFORMAT='%R %U %S'
  { time (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --offline >"$dir/build.log" 2>&1); } 2>"$dir/time"
  read -r wall user sys <"$dir/time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
  crates=$(grep -c '^ *Compiling' "$dir/build.log" || true)
  [ -z "$floor_wall" ] && floor_wall=$wall && floor_cpu=$cpu
  awk -v n="$name" -v w="$wall" -v c="$cpu" -v k="$crates" -v fw="$floor_wall" -v fc="$floor_cpu" \
    'BEGIN { printf "| %s | %.1f | %.1f | %d | %.2fx | %.2fx |\n", n, w, c, k, w / fw, c / fc }'
  i=$((i + 1))
done
