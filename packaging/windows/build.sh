#!/usr/bin/env bash
# Cross-builds tramgis for Windows (x86_64-pc-windows-gnu) on Debian 12 and
# makes the installer target/windows/tramgis-setup-VERSION.exe.
#
#   packaging/windows/build.sh
#
# Needs (packaging/install-deps.sh installs them): gcc-mingw-w64-x86-64,
# mingw-w64-tools (gendef), nsis, pkg-config, clang (bindgen for PROJ), the
# Rust target (added here with rustup) and PyPI for the GDAL wheel.
#
# GDAL for Windows comes ready-built in PyPI's pyogrio wheel for win_amd64:
# GDAL 3.12.4, PROJ 9.8.1, GEOS, SQLite 3.53, SpatiaLite, curl, OpenSSL and
# their dependencies, with GDAL's and PROJ's data. tramgis links the wheel's
# gdal, proj and sqlite3 DLLs through import libraries made from them, so
# the process has one SQLite, as on Linux.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/packaging/windows"
cd "$root"

target=x86_64-pc-windows-gnu
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
work="$root/target/windows"
wheel_name=pyogrio-0.13.0-cp311-abi3-win_amd64.whl
wheel_sha256=1b91f6d6e6757a6ea84b9459d24f479dcb52bbf4ebcdb16baf39e49d2836a1cf
# The versions inside the wheel; the bindings are chosen for them.
gdal_version=3.12.4
proj_version=9.8.1

step() { printf '== %s\n' "$*" >&2; }

mkdir -p "$work/cache"
wheel="$work/cache/$wheel_name"
if [[ ! -f "$wheel" ]] || ! echo "$wheel_sha256  $wheel" | sha256sum -c --quiet 2>/dev/null; then
    step "downloading $wheel_name from PyPI"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform win_amd64 \
        --python-version 3.11 --disable-pip-version-check -d "$work/cache" pyogrio==0.13.0
    echo "$wheel_sha256  $wheel" | sha256sum -c --quiet
fi

gdal="$work/gdal"
if [[ ! -f "$gdal/.unpacked-$wheel_sha256" ]]; then
    step "unpacking the wheel's DLLs and data"
    rm -rf "$gdal" && mkdir -p "$gdal"
    (cd "$gdal" && unzip -q "$wheel" 'pyogrio.libs/*' 'pyogrio/gdal_data/*' 'pyogrio/proj_data/*')
    touch "$gdal/.unpacked-$wheel_sha256"
fi
libs="$gdal/pyogrio.libs"

# Import libraries: libNAME.a names the wheel's DLL (its file name carries
# a hash), so the program loads exactly that DLL.
lib="$work/lib"
mkdir -p "$lib"
for pair in gdal:gdal proj:proj_9 sqlite3:sqlite3; do
    name="${pair%%:*}"
    dll="$(basename "$(ls "$libs/${pair##*:}"-*.dll)")"
    if [[ ! -f "$lib/lib$name.a" || "$libs/$dll" -nt "$lib/lib$name.a" ]]; then
        step "import library for $dll"
        gendef - "$libs/$dll" > "$lib/$name.def" 2>/dev/null
        x86_64-w64-mingw32-dlltool -d "$lib/$name.def" -D "$dll" -l "$lib/lib$name.a"
    fi
done

# proj-sys finds PROJ through pkg-config and generates its bindings with
# bindgen from Debian's PROJ headers (9.1.1: a subset of 9.8's C API).
pc="$work/pkgconfig"
mkdir -p "$pc"
cat > "$pc/proj.pc" <<EOF
includedir=/usr/include
libdir=$lib
Name: PROJ
Description: PROJ $proj_version, the DLL of the pyogrio wheel
Version: $proj_version
Libs: -L\${libdir} -lproj
Cflags: -I\${includedir}
EOF

rustup target list --installed | grep -qx "$target" || rustup target add "$target"

step "cargo build --release --target $target"
PKG_CONFIG_ALLOW_CROSS=1 PKG_CONFIG_LIBDIR="$pc" PKG_CONFIG_PATH="" \
GDAL_VERSION="$gdal_version" GDAL_LIB_DIR="$lib" GDAL_DYNAMIC=1 \
SQLITE3_LIB_DIR="$lib" \
CARGO_TARGET_DIR="$work" \
    cargo build --release --locked --target "$target" --bin tramgis

step "staging the program folder"
dist="$work/dist"
rm -rf "$dist" && mkdir -p "$dist/sample" "$dist/LICENSES"
cp "$work/$target/release/tramgis.exe" "$dist/"
x86_64-w64-mingw32-strip --strip-debug "$dist/tramgis.exe"
cp "$libs"/*.dll "$dist/"
cp -r "$gdal/pyogrio/gdal_data" "$dist/gdal_data"
cp -r "$gdal/pyogrio/proj_data" "$dist/proj_data"
cp assets/NotoSans-Regular.ttf assets/landuse_colours.csv "$dist/"
cp sample-data/bac-giang-sample.gpkg "$dist/sample/"
"$here/licenses.sh" "$dist/LICENSES" "$target"

step "makensis"
setup="$work/tramgis-setup-$version.exe"
makensis -V2 -DVERSION="$version" -DDIST="$dist" -DOUTFILE="$setup" "$here/tramgis.nsi" >&2
echo "$setup"
