#!/bin/sh
# Validation benchmark (issue 10): tramgis check against QGIS 3.22 on the
# same 100,000-parcel layer. Release build; results go to BENCHMARKS.md.
#   sh benches/check.sh [PARCELS]
set -e
n=${1:-100000}
dir=/tmp/bench
ws=$dir/check-$n.gpkg
mkdir -p $dir
cargo build --release --no-default-features --bin tramgis
[ -f $ws ] || target/release/tramgis sample --parcels $n --out $ws
for threads in 1 2; do
  /usr/bin/time -f "tramgis check, $threads thread(s): %e s wall, %M KB peak" \
    target/release/tramgis check $ws --layer thua_dat --boundary ranh_gioi_huyen \
    --threads $threads --out $dir/check-$n.csv || true
done
QT_QPA_PLATFORM=offscreen /usr/bin/time -f "QGIS: %e s wall, %M KB peak" \
  /usr/bin/python3 benches/qgis_check.py $ws thua_dat
