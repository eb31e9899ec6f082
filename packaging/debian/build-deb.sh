#!/usr/bin/env bash
# Builds the Debian 12 package: target/debian/tramgis_VERSION_ARCH.deb.
#
#   packaging/debian/build-deb.sh            # cargo build --release, then package
#   TRAMGIS_BIN=path/to/tramgis packaging/debian/build-deb.sh   # package that binary
#
# The binary links Debian's GDAL, PROJ and SQLite (one SQLite in the
# process); dpkg-shlibdeps turns what it links into the Depends line. The
# window's libraries that winit and wgpu load at run time (X11/Wayland,
# xkbcommon, Vulkan) are not linked, so they are named here.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/packaging/debian"
cd "$root"

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
arch="$(dpkg --print-architecture)"
bin="${TRAMGIS_BIN:-}"
if [[ -z "$bin" ]]; then
    cargo build --release --locked
    bin="$root/target/release/tramgis"
fi

out="$root/target/debian"
stage="$out/tramgis_${version}_${arch}"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/mime/packages" \
    "$stage/usr/share/tramgis/sample" "$stage/usr/share/doc/tramgis"

install -m 0755 "$bin" "$stage/usr/bin/tramgis"
# Line tables are for profiling; the package ships the plain program.
strip --strip-debug "$stage/usr/bin/tramgis"
install -m 0644 "$here/tramgis.desktop" "$stage/usr/share/applications/tramgis.desktop"
install -m 0644 "$here/tramgis.svg" "$stage/usr/share/icons/hicolor/scalable/apps/tramgis.svg"
install -m 0644 "$here/tramgis-mime.xml" "$stage/usr/share/mime/packages/tramgis.xml"
# The program carries its own copies (compiled in); these are for users
# and other programs: the sample to open, the land-use table to edit.
install -m 0644 sample-data/bac-giang-sample.gpkg "$stage/usr/share/tramgis/sample/"
install -m 0644 assets/landuse_colours.csv assets/NotoSans-Regular.ttf "$stage/usr/share/tramgis/"
install -m 0644 "$here/copyright" "$stage/usr/share/doc/tramgis/copyright"
install -m 0644 assets/NotoSans-LICENSE.txt "$stage/usr/share/doc/tramgis/NotoSans-LICENSE.txt"
printf 'tramgis (%s) bookworm; urgency=medium\n\n  * Release %s.\n\n -- tramgis developers <tramgis@localhost>  %s\n' \
    "$version" "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
    | gzip -9n > "$stage/usr/share/doc/tramgis/changelog.Debian.gz"

# Depends from what the binary links (dpkg-shlibdeps wants a debian/control
# beside it: a throw-away one).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: tramgis\n\nPackage: tramgis\nArchitecture: any\n' > "$work/debian/control"
linked="$(cd "$work" && dpkg-shlibdeps -O "$stage/usr/bin/tramgis" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[[ -n "$linked" ]] || { echo "dpkg-shlibdeps found no libraries" >&2; exit 1; }
window="libx11-6, libxcursor1, libxi6, libxrandr2, libxkbcommon-x11-0, libwayland-client0, libvulkan1"

size_kb="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: tramgis
Version: $version
Architecture: $arch
Maintainer: tramgis developers <tramgis@localhost>
Installed-Size: $size_kb
Depends: $linked, $window
Recommends: mesa-vulkan-drivers, gdal-data, proj-data
Suggests: qgis
Section: science
Priority: optional
Homepage: https://github.com/tramgis/tramgis
Description: planning and land administration GIS workstation
 tramgis views, edits and checks land-use, zoning, BTS-tower and smart-city
 layers kept in a local GeoPackage workspace, imports and exports CAD,
 Shapefile, MapInfo and other formats through GDAL (legacy Vietnamese
 encodings included), reprojects with PROJ (VN-2000 by default) and draws
 with wgpu. Vietnamese user interface by default, English selectable.
EOF
cat > "$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
    command -v update-mime-database >/dev/null && update-mime-database /usr/share/mime || true
    command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
EOF
cat > "$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = "remove" ] || [ "$1" = "purge" ]; then
    command -v update-mime-database >/dev/null && update-mime-database /usr/share/mime || true
    command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
fi
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"

deb="$out/tramgis_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb"
