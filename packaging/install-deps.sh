#!/usr/bin/env bash
# Installs the Debian 12 packages tramgis needs to build, run and test.
set -euo pipefail
packages=(
  # build: GDAL and PROJ headers (bindgen needs clang), pkg-config
  libgdal-dev libproj-dev libsqlite3-dev pkg-config clang libclang-dev
  # the window: GTK for the file dialogs, xkbcommon for winit
  libgtk-3-dev libxkbcommon-dev
  # tests: GDAL's and SQLite's command-line tools, PROJ's data and cs2cs,
  # GDAL's Python bindings (for /usr/bin/python3) to write fixtures
  gdal-bin proj-bin sqlite3 python3-gdal
  # GNSS: gpsd for field laptops; gpsfake (gpsd-clients) replays NMEA logs in tests
  gpsd gpsd-clients
  # tests: QGIS 3.22's Python bindings read what we write (value lists from our domains)
  python3-qgis qgis-providers
  # packaging: the .deb's tools (dpkg-shlibdeps, desktop-file-validate, gio)
  # and the window's run-time libraries its Depends names, so dpkg -i works offline
  dpkg-dev desktop-file-utils libglib2.0-bin libx11-6 libxcursor1 libxi6 libxrandr2
  libxkbcommon-x11-0 libwayland-client0 libvulkan1
  # packaging: the Windows cross-build (mingw-w64, gendef, NSIS, unzip for
  # the GDAL wheel) and Wine to test the installer and tramgis.exe
  gcc-mingw-w64-x86-64 mingw-w64-tools nsis unzip wine wine64
  # tests and CI: a virtual X display and Vulkan on the CPU (lavapipe)
  xvfb mesa-vulkan-drivers x11-apps x11-utils imagemagick
  # tests: printed maps (pdftotext finds the text, pdftoppm renders the page)
  poppler-utils
  # tests: the sync tests' servers (a throw-away PostgreSQL/PostGIS cluster,
  # QGIS Server's WFS-T; python3-venv for pygeoapi's venv below)
  postgresql-15 postgresql-15-postgis-3 postgis qgis-server python3-venv
  # tests: a real Secret Service for the sync keyring (a private D-Bus
  # session bus, GNOME Keyring unlocked headless, libsecret's secret-tool as
  # an independent reader, dbus-send to wait for the service)
  dbus-daemon dbus-bin gnome-keyring libsecret-tools
)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
# tests: GDAL's current GeoPackage validator (validate_gpkg.py needs only Python's sqlite3, so not GDAL's Python bindings)
python3 -m pip show -q gdal-utils >/dev/null 2>&1 || python3 -m pip install -q --no-deps --disable-pip-version-check --root-user-action=ignore "gdal-utils==3.13.*"
# tests: pygeoapi (OGC API - Features with create/replace/delete) for the sync
# tests, in a venv of its own since Debian packages no pygeoapi 0.21
venv="${TRAMGIS_PYGEOAPI_VENV:-/opt/tramgis-test/pygeoapi}"
if [ ! -x "$venv/bin/gunicorn" ] || [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pygeoapi"))' 2>/dev/null)" != "0.21.0" ]; then
  parent="$(dirname "$venv")"
  mkdir -p "$parent" 2>/dev/null || $sudo mkdir -p "$parent"
  [ -w "$parent" ] || $sudo chown "$(id -u):$(id -g)" "$parent"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    pygeoapi==0.21.0 psycopg2-binary sqlalchemy geoalchemy2 gunicorn
fi
