#!/usr/bin/env bash
# Installs the built typegrad into a staging directory and builds a consumer against it through
# pkg-config; then builds the same consumer with typegrad as a Meson subproject.
# Usage: check.sh <source root> <build root> <c++ compiler>
set -euo pipefail
source_root=$1 build_root=$2 cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== installed copy, through pkg-config"
meson install -C "$build_root" --no-rebuild --quiet --destdir "$work/stage"
pc_file=$(find "$work/stage" -name typegrad.pc | head -n 1)
[ -n "$pc_file" ] || { echo "FAILED: no typegrad.pc was installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc_file")
prefix=$(pkg-config --variable=prefix typegrad)
flags=$(pkg-config --define-variable=prefix="$work/stage$prefix" --cflags --libs typegrad)
echo "pkg-config typegrad: $flags"
"$cxx" "$source_root/tests/install/consumer.cpp" $flags -o "$work/consumer"
library_dir=$(dirname "$(find "$work/stage" -name 'libtypegrad.so' | head -n 1)")
LD_LIBRARY_PATH=$library_dir "$work/consumer"

echo "== examples/digits.cpp against the installed copy, on scikit-learn's digits (python3-sklearn)"
digits=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
[ -f "$digits" ] || { echo "FAILED: $digits is missing: install python3-sklearn (scripts/setup.sh does)"; exit 1; }
zcat "$digits" > "$work/digits.csv"
"$cxx" -O2 "$source_root/examples/digits.cpp" $flags -o "$work/digits"
LD_LIBRARY_PATH=$library_dir "$work/digits" "$work/digits.csv" --out "$work/digits-model"

echo "== Meson subproject"
mkdir -p "$work/project/subprojects"
ln -s "$source_root" "$work/project/subprojects/typegrad"
cp "$source_root/tests/install/consumer.cpp" "$work/project/"
cat > "$work/project/meson.build" <<'MESON'
project('consumer', 'cpp', default_options : ['cpp_std=c++20'])
typegrad = dependency('typegrad', fallback : ['typegrad', 'typegrad_dep'])
executable('consumer', 'consumer.cpp', dependencies : typegrad)
MESON
CXX=$cxx meson setup --wrap-mode=forcefallback "$work/project/build" "$work/project" >/dev/null
meson compile -C "$work/project/build" >/dev/null
"$work/project/build/consumer"
