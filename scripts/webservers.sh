#!/usr/bin/env bash
# Starts (or stops) one nginx per real-server namespace rvs-rsK, answering
# "rsK" on / and serving a large file on /big (for slow downloads).
#
# usage: scripts/webservers.sh start N | stop
set -euo pipefail
DIR=/tmp/rvs-web

start() {
    mkdir -p $DIR
    [ -f $DIR/big ] || head -c 64M /dev/zero > $DIR/big
    for i in $(seq 1 "$1"); do
        local d=$DIR/rs$i
        mkdir -p "$d"
        cat >"$d/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d;
    proxy_temp_path $d;
    fastcgi_temp_path $d;
    uwsgi_temp_path $d;
    scgi_temp_path $d;
    keepalive_requests 1000000;
    server {
        listen 80 reuseport;
        listen [::]:80 ipv6only=on reuseport;
        listen 8088 reuseport;
        location = / { default_type text/plain; return 200 "rs$i\n"; }
        location = /big { root $DIR; try_files /big =404; add_header X-Server rs$i always; }
    }
}
CONF
        ip netns exec rvs-rs$i nginx -c "$d/nginx.conf" &
    done
    # Wait until every server listens; one that never does fails the start.
    for i in $(seq 1 "$1"); do
        for _ in $(seq 50); do
            ip netns exec rvs-rs$i curl -s -o /dev/null http://127.0.0.1/ && continue 2
            sleep 0.1
        done
        echo "webservers.sh: nginx in rvs-rs$i does not answer" >&2
        exit 1
    done
}

stop() {
    for p in $DIR/rs*/nginx.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
    rm -rf $DIR/rs*
}

case "${1:-}" in
    start) start "${2:-3}" ;;
    stop) stop ;;
    *) echo "usage: $0 start N | stop" >&2; exit 2 ;;
esac
