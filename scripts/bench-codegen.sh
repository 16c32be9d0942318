#!/usr/bin/env bash
# Wall time of `cargo xtask codegen --check` once built, on the real spec and
# on a synthetic spec of 5,000 codes, and of `cargo xtask spec-compat` on two
# synthetic 5,000-code specs; all in one hyperfine run.
#
#   scripts/bench-codegen.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-bench-tools.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet -p xtask          # the dev profile, as `cargo xtask` runs it
xtask="$root/target/debug/xtask"
"$xtask" synthetic-spec --codes 5000 >"$work/old.toml"
"$xtask" synthetic-spec --codes 5000 --changed >"$work/new.toml"
# Generate once so --check has fresh files to compare against.
"$xtask" codegen --spec "$work/old.toml" --out "$work/out" 2>/dev/null

hyperfine --warmup 2 --runs 10 -N --export-markdown "$work/table.md" \
  -n "codegen --check (real spec, $(grep -c '^\[\[error\]\]' spec/errors.toml) codes)" "$xtask codegen --check" \
  -n "codegen --check (5,000 codes)" "$xtask codegen --check --spec $work/old.toml --out $work/out" \
  -i -n "spec-compat (5,000 vs 5,000 codes)" "$xtask spec-compat --spec $work/new.toml --against $work/old.toml"
cat "$work/table.md"
