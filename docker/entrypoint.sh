#!/bin/sh
# The container's entry point.
#   (no arguments) or `schedule`: run the weekly cycle itself — the jobs `pairbot crontab`
#                                 prints, in PAIRBOT_TIMEZONE (dist/src/scheduler.js);
#   `schedule --print`:           list those jobs with their next run and exit;
#   anything else:                one pairbot command, e.g. `pair --dry-run`, then exit.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
if [ "$#" -eq 0 ] || [ "$1" = schedule ]; then
  [ "$#" -gt 0 ] && shift
  exec node "$root/dist/src/scheduler.js" "$@"
fi
exec node "$root/bin/pairbot.js" "$@"
