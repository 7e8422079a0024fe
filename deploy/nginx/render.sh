#!/usr/bin/env bash
# Write the nginx site (jingkou.conf, jingkou_proxy.conf, jingkou_media.conf) into OUTDIR with this
# server's names, paths and ports instead of the defaults the files carry:
#
#   PORTAL_HOST=portal.jingkou.gov.cn MEDIA_HOST=media.jingkou.gov.cn deploy/nginx/render.sh /tmp/site
#   cp /tmp/site/jingkou.conf /etc/nginx/sites-available/jingkou
#   cp /tmp/site/jingkou_proxy.conf /tmp/site/jingkou_media.conf /etc/nginx/
#
# variable      default (as written in the files)   meaning
# PORTAL_HOST   portal.example.org                  the portal's host name
# MEDIA_HOST    media.example.org                   the photos' host name (MEDIA_HOST in the env)
# TLS_DIR       /etc/ssl/jingkou                    holds fullchain.pem and privkey.pem
# MEDIA_ROOT    /srv/jingkou/media                  MEDIA_ROOT in the env
# WEB_ADDR      127.0.0.1:8001                      gunicorn (GUNICORN_BIND)
# CONF_DIR      /etc/nginx                          where jingkou_proxy.conf and jingkou_media.conf go
# LOG_DIR       /var/log/nginx                      the site's access and error logs
# HTTP_PORT     80                                  plain HTTP (probes, redirect to HTTPS)
# HTTPS_PORT    443
# IPV6          on                                  off: drop the "listen [::]:…" lines
#
# With no variable set the output is the files unchanged. Each text replaced must occur in the
# files: if one is edited so that it no longer does, this script fails instead of rendering a
# site that still points at the defaults. tests/ops/deploy/test_nginx_site.py uses it.
set -euo pipefail

out="${1:?usage: deploy/nginx/render.sh OUTDIR}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"

replace() {  # replace FILE-CONTENT-VAR OLD NEW: every occurrence, and at least one
  local -n text="$1"
  [[ "$text" == *"$2"* ]] || { echo "render.sh: '$2' not found in $3" >&2; exit 1; }
  text="${text//"$2"/"$4"}"
}

for name in jingkou.conf jingkou_proxy.conf jingkou_media.conf; do
  content="$(<"$here/$name")"
  case "$name" in
    jingkou.conf)
      replace content "portal.example.org" "$name" "${PORTAL_HOST:-portal.example.org}"
      replace content "media.example.org" "$name" "${MEDIA_HOST:-media.example.org}"
      replace content "/etc/ssl/jingkou/" "$name" "${TLS_DIR:-/etc/ssl/jingkou}/"
      replace content "server 127.0.0.1:8001 " "$name" "server ${WEB_ADDR:-127.0.0.1:8001} "
      replace content "include /etc/nginx/jingkou_" "$name" "include ${CONF_DIR:-/etc/nginx}/jingkou_"
      replace content "/var/log/nginx/" "$name" "${LOG_DIR:-/var/log/nginx}/"
      replace content ":80;" "$name" ":${HTTP_PORT:-80};"
      replace content "listen 80;" "$name" "listen ${HTTP_PORT:-80};"
      replace content ":443 ssl" "$name" ":${HTTPS_PORT:-443} ssl"
      replace content "listen 443 ssl" "$name" "listen ${HTTPS_PORT:-443} ssl"
      if [ "${IPV6:-on}" = off ]; then
        content="$(grep -v 'listen \[::\]:' <<<"$content")"
      fi
      ;;
    jingkou_media.conf)
      replace content "alias /srv/jingkou/media/;" "$name" "alias ${MEDIA_ROOT:-/srv/jingkou/media}/;"
      ;;
  esac
  printf '%s\n' "$content" >"$out/$name"
done
