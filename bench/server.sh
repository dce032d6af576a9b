#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/server.sh BUILD_DIR [--soak SECONDS] [--keep] [-- BENCH-SERVER-RUN-OPTIONS...]
#
# crewdesk-server on 127.0.0.1, beside nginx serving static replies of the
# same size, in one run (issue 3, section 9). It:
#   - seeds a fresh database in a temporary folder (500 crews, 100,000
#     tickets, a dispatcher and 50 crew-device users),
#   - starts crewdesk-server on 127.0.0.1:0 and nginx on a free loopback
#     port (its own prefix, no daemon, access_log off, 2 workers),
#   - runs bench-server against both and prints "key: value" lines and a
#     table with the ratios and the goals,
#   - stops both and removes the folder on exit (--keep leaves it).
#
# nginx is not installed by this script; on Debian: apt-get install -y nginx-light
# Options after "--" go to `bench-server run` (see `bench-server run --help`).
set -euo pipefail

usage () {
  echo "Usage: $0 BUILD_DIR [--soak SECONDS] [--keep] [-- bench-server run options]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
BUILD=$(cd "$1" && pwd) || usage
shift
SOAK=0
KEEP=0
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) [ $# -ge 2 ] || usage; SOAK=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) usage ;;
  esac
done
[[ "$SOAK" =~ ^[0-9]+$ ]] || usage

SERVER="$BUILD/src/server/crewdesk-server"
BENCH="$BUILD/bench/bench-server"
for f in "$SERVER" "$BENCH"; do
  if [ ! -x "$f" ]; then
    echo "$f is missing: build first (meson setup BUILD --buildtype=release && ninja -C BUILD)." >&2
    exit 2
  fi
done

NGINX=$(command -v nginx || true)
if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
if [ -z "$NGINX" ]; then
  echo "nginx is needed as the anchor and is not installed. On Debian 12:" >&2
  echo "  sudo apt-get install -y nginx-light" >&2
  exit 2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/crewdesk-bench-server.XXXXXX")
SERVER_PID=
NGINX_PID=

stop () {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup () {
  stop "$SERVER_PID"
  stop "$NGINX_PID"
  if [ "$KEEP" = 1 ]; then
    echo "kept: $T" >&2
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (10 s at most) until something accepts on 127.0.0.1:$1.
wait_port () {
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

echo "machine_nproc: $(nproc)"
echo "machine_cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "machine_kernel: $(uname -r)"
echo "machine_loadavg_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine_memory_mib: $(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
echo "tmp_filesystem: $(df -PT "$T" | awk 'NR == 2 { print $2 " on " $1 }')"
echo "nginx_version: $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
echo "libmicrohttpd_version: $(dpkg-query -W -f '${Version}' libmicrohttpd12 2>/dev/null || echo unknown)"
echo "crewdesk_commit: $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo unknown)"

# The database: records straight into the store, users through --add-user.
"$BENCH" seed --db "$T/server.db" --server-bin "$SERVER" --state "$T/state.ini"

# crewdesk-server, with its defaults (worker threads: max (2, cores)).
printf '[server]\n' > "$T/server.conf"
"$SERVER" --listen 127.0.0.1:0 --db "$T/server.db" --config "$T/server.conf" \
  --port-file "$T/port" 2> "$T/server.log" > /dev/null &
SERVER_PID=$!
for i in $(seq 1 200); do
  [ -s "$T/port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$T/port" ] || { echo "crewdesk-server did not start; see $T/server.log" >&2; KEEP=1; exit 1; }
SERVER_PORT=$(cat "$T/port")
echo "server_port: $SERVER_PORT"
echo "server_threads: $(ls /proc/$SERVER_PID/task | wc -l) (all threads of the process)"

# nginx: its own prefix, no daemon, no access log, 2 workers.
NGINX_PORT=$("$BENCH" free-port)
mkdir -p "$T/nginx/tmp" "$T/www/api/v1"
USER_LINE=
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat > "$T/nginx/nginx.conf" <<EOF
$USER_LINE
worker_processes 2;
daemon off;
master_process on;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $T/nginx/tmp/body;
  proxy_temp_path $T/nginx/tmp/proxy;
  fastcgi_temp_path $T/nginx/tmp/fastcgi;
  uwsgi_temp_path $T/nginx/tmp/uwsgi;
  scgi_temp_path $T/nginx/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  default_type application/json;
  open_file_cache max=64 inactive=60s;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $T/www;
    # The position reply: the same bytes as crewdesk-server's.
    location ~ ^/api/v1/crews/[^/]+/position\$ { return 200 '{"ok":true}'; }
    # A POST answered with a static file: a real mutation reply, written
    # by bench-server after it timed crewdesk-server.
    location = /api/v1/mutations { error_page 405 =200 \$uri; }
    # The changes pages, the server's own bytes.
    location / { }
  }
}
EOF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
NGINX_PID=$!
wait_port "$NGINX_PORT" || { cat "$T/nginx/error.log" >&2; exit 1; }
echo "nginx_port: $NGINX_PORT"

"$BENCH" run --state "$T/state.ini" \
  --server-port "$SERVER_PORT" --server-pid "$SERVER_PID" \
  --nginx-port "$NGINX_PORT" --nginx-pid "$NGINX_PID" \
  --www "$T/www" --soak "$SOAK" "${EXTRA[@]}"

echo "server_log_bytes: $(stat -c %s "$T/server.log")"
echo "server_errors_logged: $(grep -c 'level=error' "$T/server.log" || true)"
