#!/usr/bin/env bash
# Update every .po file from the code (English msgids) and compile the .mo files that ship.
# Each app keeps its own catalogue in <app>/locale/; templates/ and jingkou/ use ./locale/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# manage.py needs DEBUG on (or a SECRET_KEY) to start; make messages sets it as well.
export DEBUG="${DEBUG:-true}"
apps=(core organization grids resident_requests notifications dashboards)
for app in "${apps[@]}" $(ls -d */ | tr -d / | grep -vxE "$(IFS='|'; echo "${apps[*]}")|templates|static|tests|bench|locale|scripts|node_modules|media|staticfiles|deploy|jingkou"); do
  [ -f "$app/apps.py" ] || continue
  mkdir -p "$app/locale"
  (cd "$app" && "$OLDPWD/$PY" "$OLDPWD/manage.py" makemessages -l zh_Hans --no-obsolete --ignore 'migrations/*' >/dev/null)
done
# The project catalogue: shared templates and settings only.
"$PY" manage.py makemessages -l zh_Hans --no-obsolete \
  $(for d in */; do d=${d%/}; case "$d" in templates|jingkou) ;; *) printf -- '--ignore=%s/* ' "$d";; esac; done) >/dev/null
"$PY" manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*' >/dev/null
echo "messages updated and compiled"
