#!/usr/bin/env bash
# Cron-ready scheduled rotation: rotates every key whose rotation period has passed.
# Exit status: 0 when every due key rotated (or none was due), 1 when any rotation failed (each failure is
# printed as "FAILED: <code>: <message>"), 2 on a usage or configuration problem.
# Runs with the same environment as the service (DATABASE_URL or PAYSEAL_DATA_DIR, PAYSEAL_KEK[_FILE]); safe
# while the service runs and when several copies run at once (rotation re-checks "still due" under a row lock).
#
# Example crontab line (every 10 minutes, environment from a root-readable file):
#   */10 * * * *  . /etc/payseal/env && /opt/payseal/scripts/rotate-due.sh >>/var/log/payseal-rotate.log 2>&1
set -euo pipefail
# Resolved through symlinks, so a link to this script (or to scripts/) from elsewhere still finds bin/.
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) payseal keys rotate --due"
exec node "$here/../bin/payseal.js" keys rotate --due "$@"
