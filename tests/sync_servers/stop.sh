#!/usr/bin/env bash
# Stops what tests/sync_servers/start.sh DIR started (also half of a failed
# start); running it again, or on a DIR already gone, does nothing.
set -uo pipefail

dir=${1:?usage: stop.sh DIR}
[ -d "$dir" ] || exit 0
pgbin=/usr/lib/postgresql/15/bin

# The watchdog goes first so that it does not stop the servers a second
# time; unless it is the one running this.
if [ -f "$dir/watchdog.pid" ]; then
  watchdog=$(cat "$dir/watchdog.pid")
  [ "$watchdog" = "$PPID" ] || kill -TERM "$watchdog" 2>/dev/null
  rm -f "$dir/watchdog.pid"
fi

# Each pid leads the process group of one server and its workers.
groups=$(cat "$dir/pids" 2>/dev/null)
for g in $groups; do
  kill -TERM -- "-$g" 2>/dev/null
done

postmaster="$dir/pg/data/postmaster.pid"
if [ -f "$postmaster" ]; then
  pid=$(head -n 1 "$postmaster")
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 20 stop >/dev/null 2>&1
  else
    "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 20 stop >/dev/null 2>&1
  fi || kill -KILL "$pid" 2>/dev/null
fi

# A graceful end gets 5 s; what is left then is killed.
for _ in $(seq 50); do
  alive=""
  for g in $groups; do
    kill -0 -- "-$g" 2>/dev/null && alive=1
  done
  [ -n "$alive" ] || break
  sleep 0.1
done
for g in $groups; do
  kill -KILL -- "-$g" 2>/dev/null
done
rm -f "$dir/pids"
exit 0
