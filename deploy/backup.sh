#!/usr/bin/env bash
# PostgreSQL backups of the portal, and their restore.
#
#   deploy/backup.sh dump                       write $BACKUP_DIR/jingkou-YYYYmmdd-HHMMSS.dump
#                                               (pg_dump custom format), drop those older than
#                                               $BACKUP_KEEP_DAYS days
#   deploy/backup.sh restore FILE TARGET_URL    restore FILE into the (empty or existing)
#                                               database TARGET_URL, replacing what is there
#   deploy/backup.sh verify FILE                list the dump's contents (a cheap integrity check)
#
# Schedule: deploy/systemd/jingkou-backup.timer runs `dump` at 02:30 and 14:30 every day; keep
# 30 days here and copy the folder off the machine. Test a restore into a scratch database
# regularly (README "Backups"). The database comes from DATABASE_URL (postgres://user:pw@host/db).
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/var/backups/jingkou}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-30}"

die() { echo "backup.sh: $*" >&2; exit 1; }

dump() {
  [ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL is not set"
  mkdir -p "$BACKUP_DIR"
  chmod 700 "$BACKUP_DIR"
  local stamp file
  stamp="$(date +%Y%m%d-%H%M%S)"
  file="$BACKUP_DIR/jingkou-$stamp.dump"
  # Custom format: compressed, restorable table by table, consistent (one snapshot).
  pg_dump --format=custom --compress=6 --no-owner --no-privileges \
    --file="$file.partial" "$DATABASE_URL"
  mv "$file.partial" "$file"
  chmod 600 "$file"
  pg_restore --list "$file" >/dev/null || die "the new dump $file cannot be read"
  find "$BACKUP_DIR" -maxdepth 1 -name 'jingkou-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -delete
  echo "$file"
}

restore() {
  local file="${1:-}" target="${2:-}"
  [ -f "$file" ] || die "usage: backup.sh restore FILE TARGET_DATABASE_URL (no file $file)"
  [ -n "$target" ] || die "usage: backup.sh restore FILE TARGET_DATABASE_URL"
  # --clean --if-exists: replace what the target holds; --single-transaction: all or nothing.
  pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname="$target" "$file"
  echo "restored $file into the target database"
}

verify() {
  local file="${1:-}"
  [ -f "$file" ] || die "usage: backup.sh verify FILE"
  pg_restore --list "$file" | grep -c "TABLE DATA" | xargs echo "tables with data:"
}

case "${1:-}" in
  dump) dump ;;
  restore) shift; restore "$@" ;;
  verify) shift; verify "$@" ;;
  *) die "usage: backup.sh dump | restore FILE TARGET_DATABASE_URL | verify FILE" ;;
esac
