#!/usr/bin/env bash
# Starts the sync tests' servers on loopback, all throw-away, in scratch DIR:
# a PostgreSQL 15 + PostGIS cluster (db tramgis, tables bts and thua_dat in
# EPSG:9214), pygeoapi 0.21 (OGC API - Features, create/replace/delete) and
# QGIS Server 3.22 (WFS 1.1 + WFS-T, and its OGC API at /wfs3) on them.
# Writes DIR/servers.env (KEY=VALUE lines) and DIR/pids; tests/sync_servers/stop.sh
# DIR stops everything. Recipes and quirks: shared/SYNC-SERVERS.md.
#
# Usage: start.sh DIR [WATCH_PID]
#   WATCH_PID: a process (the test binary) whose end stops the servers and
#   removes DIR, for holders that are never dropped (statics).
# Environment: TRAMGIS_PYGEOAPI_VENV (packaging/install-deps.sh makes it),
#   TRAMGIS_SYNC_WAIT_S (how long each server may take to answer, 60),
#   SYNC_SERVER_SQL (a file of `tramgis sync server-sql` DDL to apply),
#   PYGEOAPI_GZIP (true: pygeoapi compresses its answers),
#   PYGEOAPI_KEEPALIVE_S (seconds gunicorn keeps a connection open, 0).
set -euo pipefail

dir=${1:?usage: start.sh DIR [WATCH_PID]}
watch_pid=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
venv=${TRAMGIS_PYGEOAPI_VENV:-/opt/tramgis-test/pygeoapi}
pgbin=/usr/lib/postgresql/15/bin
wait_s=${TRAMGIS_SYNC_WAIT_S:-60}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cd "$dir"

fail() {
  echo "start.sh: $*" >&2
  exit 1
}
log_tail() {
  echo "--- last lines of $1:" >&2
  tail -n 40 "$1" >&2 || true
}
# A failed start leaves nothing running: the caller gets no handle to stop.
trap 'rc=$?; [ $rc -eq 0 ] || "$here/stop.sh" "$dir" >&2 || true' EXIT

[ -x "$pgbin/initdb" ] || fail "no PostgreSQL 15 at $pgbin (packaging/install-deps.sh installs postgresql-15)"
[ -x "$venv/bin/gunicorn" ] || fail "no pygeoapi venv at $venv (packaging/install-deps.sh makes it)"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import qgis.server, osgeo' 2>/dev/null ||
  fail "/usr/bin/python3 lacks qgis.server or osgeo (packaging/install-deps.sh installs qgis-server, python3-gdal)"

# PostgreSQL refuses to run as root: as root, its commands run as postgres,
# which then needs to reach DIR.
if [ "$(id -u)" -eq 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
  chmod o+x "$dir"
else
  as_pg() { "$@"; }
fi
mkdir -p pg pygeoapi qgis/xdg qgis/home qgis/tmp
chmod 700 pg qgis/xdg
[ "$(id -u)" -ne 0 ] || chown postgres:postgres pg
as_pg test -w "$dir/pg" ||
  fail "user postgres cannot write $dir/pg: every directory above $dir must be searchable by it"

# Ports: three at once from the kernel, released just before the servers bind
# them (a small race, but nothing else on loopback picks ports so).
read -r pg_port ogc_port qgis_port < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
sock="$dir/pg/sock"
# A Unix socket path holds at most 107 bytes.
[ $((${#sock} + 17)) -le 107 ] || fail "DIR $dir is too long for PostgreSQL's socket path"
mkdir -p "$sock"
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$sock"

# PostGIS 3.3 lacks EPSG:9214; PROJ (via GDAL) has it. Computed meanwhile.
/usr/bin/python3 -c '
from osgeo import osr
s = osr.SpatialReference(); s.ImportFromEPSG(9214)
print(s.ExportToWkt()); print(s.ExportToProj4())' >srs9214.txt 2>srs9214.err &
srs_job=$!

# No fsync anywhere: the cluster is thrown away.
as_pg "$pgbin/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >pg/initdb.log 2>&1 || { log_tail pg/initdb.log; fail "initdb failed"; }
as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/pg.log" -w -t "$wait_s" start \
  -o "-p $pg_port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  >pg/pg_ctl.log 2>&1 || { log_tail pg/pg.log; fail "PostgreSQL did not start"; }

export PGHOST="$sock" PGPORT="$pg_port" PGUSER=postgres
wait "$srs_job" || { log_tail srs9214.err; fail "GDAL could not describe EPSG:9214"; }
{ read -r wkt; read -r proj4; } <srs9214.txt
"$pgbin/psql" -qAt -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE tramgis' >/dev/null
"$pgbin/psql" -qAt -v ON_ERROR_STOP=1 -d tramgis -v wkt="$wkt" -v proj4="$proj4" >/dev/null <<'SQL'
CREATE EXTENSION postgis;
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)
  VALUES (9214, 'EPSG', 9214, :'wkt', :'proj4') ON CONFLICT (srid) DO NOTHING;
CREATE TABLE bts (fid serial PRIMARY KEY, uuid text UNIQUE, ma_tram text, nha_mang text,
                  chieu_cao double precision, geom geometry(Point, 9214));
CREATE TABLE thua_dat (fid serial PRIMARY KEY, uuid text UNIQUE, ma_loai_dat text,
                       dien_tich double precision, so_thua int, geom geometry(Polygon, 9214));
CREATE INDEX ON bts USING gist (geom);
CREATE INDEX ON thua_dat USING gist (geom);
SQL
# A portal prepared with `tramgis sync server-sql` (UUIDs, change times,
# tombstones): applied before pygeoapi starts, since it reflects each table
# once per process, and before the QGIS project is written, which publishes
# the tombstone table where there is one.
if [ -n "${SYNC_SERVER_SQL:-}" ]; then
  "$pgbin/psql" -qAt -v ON_ERROR_STOP=1 -d tramgis -f "$SYNC_SERVER_SQL" >/dev/null 2>server_sql.err ||
    { log_tail server_sql.err; fail "the server-sql DDL did not apply"; }
fi

# pygeoapi: ids are the client's uuids; geometry is stored as sent, so the
# storage CRS must be the columns' (else it defaults to CRS84). The change
# time and the tombstones are those `tramgis sync server-sql` adds: until a
# test applies it, a datetime query fails and the client compares extents.
collection() {
  cat <<YAML
  $1:
    type: collection
    title: $1
    description: $2
    keywords: [tramgis]
    extents:
      spatial:
        bbox: [102, 8, 110, 24]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        editable: true
        data: {host: 127.0.0.1, port: $pg_port, dbname: tramgis, user: postgres, password: x, search_path: [public]}
        id_field: uuid
        table: $1
        geom_field: geom
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/9214
        time_field: updated_at
        crs:
          - http://www.opengis.net/def/crs/OGC/1.3/CRS84
          - http://www.opengis.net/def/crs/EPSG/0/4326
          - http://www.opengis.net/def/crs/EPSG/0/4756
          - http://www.opengis.net/def/crs/EPSG/0/9214
YAML
}
cat >pygeoapi/config.yml <<YAML
server:
  bind: {host: 127.0.0.1, port: $ogc_port}
  url: http://127.0.0.1:$ogc_port
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 1000}
  gzip: ${PYGEOAPI_GZIP:-false}
  map: {url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: OpenStreetMap}
  admin: false
logging:
  level: WARNING
metadata:
  identification:
    title: tramgis sync tests
    description: throw-away servers for the sync tests
    keywords: [tramgis]
    keywords_type: theme
    terms_of_service: https://creativecommons.org/licenses/by/4.0/
    url: http://127.0.0.1
  license: {name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}
  provider: {name: tramgis, url: 'http://127.0.0.1'}
  contact:
    {name: tramgis, position: tests, address: '-', city: Hue, stateorprovince: Hue, postalcode: '-',
     country: Viet Nam, phone: '-', fax: '-', email: tests@example.org, url: 'http://127.0.0.1',
     hours: '-', instructions: '-', role: pointOfContact}
resources:
$(collection bts 'BTS stations')
$(collection thua_dat 'Land parcels')
  tramgis_tombstones:
    type: collection
    title: tramgis_tombstones
    description: deleted features (tramgis sync server-sql)
    keywords: [tramgis]
    extents:
      spatial:
        bbox: [102, 8, 110, 24]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        data: {host: 127.0.0.1, port: $pg_port, dbname: tramgis, user: postgres, password: x, search_path: [public]}
        id_field: id
        table: tramgis_tombstones
        geom_field: geom
        time_field: deleted_at
YAML

# Threads as well as workers: a portal's gunicorn sits behind nginx, which
# buffers requests; without it a sync worker waits out each slow client's
# request (100 ms each on a commune link) and two of them serve 20 a second.
# Keep-alive for PYGEOAPI_KEEPALIVE_S seconds (nginx in front keeps client
# connections open); 0, the default, closes each after its answer, which the
# fault tests count on.
# Each server leads a process group of its own (setsid) so that stop.sh ends
# it with its workers, and the terminal's Ctrl-C does not skip the cleanup.
PYGEOAPI_CONFIG="$dir/pygeoapi/config.yml" PYGEOAPI_OPENAPI="$dir/pygeoapi/openapi.yml" \
  setsid bash -c '"$1/pygeoapi" openapi generate --no-fail-on-invalid-collection "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" &&
  exec "$1/gunicorn" -w 2 --threads 16 --keep-alive "$3" -b "127.0.0.1:$2" --graceful-timeout 3 --timeout 120 pygeoapi.flask_app:APP' \
  pygeoapi "$venv/bin" "$ogc_port" "${PYGEOAPI_KEEPALIVE_S:-0}" \
  </dev/null >pygeoapi/server.log 2>&1 &
ogc_pid=$!
echo "$ogc_pid" >pids

# QGIS Server through the python QgsServer front (UTF-8 POST bodies work
# there), under a memory cap: a KVP Transaction makes it eat memory. Its
# settings and temporary files stay in DIR.
qgs="$dir/qgis/tramgis.qgs"
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$dir/qgis/xdg" HOME="$dir/qgis/home" TMPDIR="$dir/qgis/tmp" \
  QGIS_SERVER_LOG_STDERR=1 QGIS_SERVER_LOG_LEVEL=1 \
  setsid bash -c '/usr/bin/python3 "$1/make_project.py" "$2" 127.0.0.1 "$3" tramgis "http://127.0.0.1:$4/ows/" &&
  ulimit -v 4000000 && exec /usr/bin/python3 "$1/qgis_front.py" "$2" "$4"' \
  qgis "$here" "$qgs" "$pg_port" "$qgis_port" \
  </dev/null >qgis/server.log 2>&1 &
qgis_pid=$!
echo "$qgis_pid" >>pids

# The HTTP status of GET PATH on the loopback PORT, in pure bash.
http_status() {
  timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$1" >&3 && read -r _ code _ <&3 && echo "$code"' \
    "$1" "$2" 2>/dev/null
}
# Waits until NAME (process PID, logging to LOG) answers 200 to PORT's PATH.
wait_ready() {
  local name=$1 port=$2 path=$3 pid=$4 log=$5 deadline=$((SECONDS + wait_s)) code=""
  while :; do
    code=$(http_status "$port" "$path") || code=""
    [ "$code" != 200 ] || return 0
    kill -0 "$pid" 2>/dev/null || { log_tail "$log"; fail "$name exited before answering"; }
    [ "$SECONDS" -lt "$deadline" ] ||
      { log_tail "$log"; fail "$name gave no 200 for $path within ${wait_s}s (last: ${code:-no answer})"; }
    sleep 0.2
  done
}
wait_ready pygeoapi "$ogc_port" "/collections/bts/items?limit=1" "$ogc_pid" pygeoapi/server.log
# Not GetCapabilities: a QGIS Server process keeps the first extent it
# reads of a layer, and one read from a still empty table answers every
# later /wfs3 collection description with a 500 (SYNC-SERVERS.md).
# DescribeFeatureType loads the project without reading an extent.
wait_ready "QGIS Server" "$qgis_port" "/ows/?SERVICE=WFS&VERSION=1.1.0&REQUEST=DescribeFeatureType&TYPENAME=bts" \
  "$qgis_pid" qgis/server.log

if [ -n "$watch_pid" ]; then
  # /proc's start time tells the watched process from a later one given
  # the same pid.
  started() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
  watch_start=$(started "$watch_pid")
  [ -n "$watch_start" ] || fail "no process $watch_pid to watch"
  setsid bash -c 'started() { sed "s/.*) //" "/proc/$1/stat" 2>/dev/null | cut -d" " -f20; }
    while [ "$(started "$1")" = "$2" ]; do sleep 1; done
    "$3/stop.sh" "$4"; rm -rf "$4"' \
    watchdog "$watch_pid" "$watch_start" "$here" "$dir" </dev/null >/dev/null 2>&1 &
  echo $! >watchdog.pid
fi

cat >servers.env <<ENV
PGHOST=$sock
PGPORT=$pg_port
PGUSER=postgres
PGDATABASE=tramgis
OGCAPI_URL=http://127.0.0.1:$ogc_port
WFS_URL=http://127.0.0.1:$qgis_port/ows/
WFS3_URL=http://127.0.0.1:$qgis_port/wfs3
ENV
