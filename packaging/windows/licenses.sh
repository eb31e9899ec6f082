#!/usr/bin/env bash
# Writes the LICENSES folder of the Windows package:
#   licenses.sh OUT_DIR TARGET
# - tramgis.txt: tramgis's own licence (MIT or Apache-2.0);
# - one file per library shipped as a DLL (GDAL, PROJ, GEOS, SQLite,
#   SpatiaLite, curl, OpenSSL and the libraries they use): the copyright
#   and licence text of the same upstream project as Debian distributes it
#   (/usr/share/doc/PACKAGE/copyright), plus GDAL's own LICENSE.TXT;
# - NotoSans-OFL.txt for the font;
# - rust-crates.txt: every crate compiled into tramgis.exe for TARGET with
#   its licence expression, and rust-crates/ with each crate's licence files.
set -euo pipefail
out="$1"
target="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out/rust-crates"

{
    echo "tramgis — Copyright 2026 tramgis developers."
    echo "Licensed under either of the MIT licence or the Apache License 2.0, at your option."
    echo
    echo "Thư viện của bên thứ ba và giấy phép của chúng: xem các tệp khác trong thư mục này."
    echo "Third-party libraries and their licences: see the other files in this folder."
    echo
    cat /usr/share/common-licenses/Apache-2.0
} > "$out/tramgis.txt"

# DLL (name before the hash) -> Debian package of the same project.
while read -r dll package; do
    src="/usr/share/doc/$package/copyright"
    [[ -f "$src" ]] || { echo "licenses.sh: $src is missing (install $package)" >&2; exit 1; }
    cp "$src" "$out/$dll.txt"
done <<'EOF'
gdal libgdal32
proj_9 libproj25
geos libgeos3.11.1
geos_c libgeos-c1v5
sqlite3 libsqlite3-0
spatialite libspatialite7
libcurl libcurl4
libcrypto-3-x64 libssl3
libssl-3-x64 libssl3
libxml2 libxml2
libexpat libexpat1
z zlib1g
libpng16 libpng16-16
tiff libtiff6
jpeg62 libjpeg62-turbo
Lerc liblerc4
qhull_r libqhull-r8.0
json-c libjson-c5
liblzma liblzma5
minizip libminizip1
geotiff libgeotiff5
EOF
gdal_license="$root/target/windows/gdal/pyogrio/gdal_data/LICENSE.TXT"
[[ -f "$gdal_license" ]] && cp "$gdal_license" "$out/gdal-LICENSE.TXT"
{
    echo "GNU libiconv (iconv-2.dll) is licensed under the GNU Lesser General Public License 2.1:"
    echo
    cat /usr/share/common-licenses/LGPL-2.1
} > "$out/iconv-2.txt"
cat > "$out/msvcp140.txt" <<'EOF'
msvcp140.dll is part of the Microsoft Visual C++ Redistributable, distributed
with the program under the terms of the Microsoft Software License Terms for
Microsoft Visual Studio (distributable code).
EOF
cp "$root/assets/NotoSans-LICENSE.txt" "$out/NotoSans-OFL.txt"

# Every crate linked into the program for this target, with its licence
# files as the crate ships them.
cargo metadata --locked --format-version 1 --filter-platform "$target" --manifest-path "$root/Cargo.toml" \
    | python3 "$(dirname "$0")/crate_licenses.py" "$out"
