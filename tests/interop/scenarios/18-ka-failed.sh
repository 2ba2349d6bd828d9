#!/bin/bash
# Why this exists: a Keep Alive completed with an error (Internal Error, not DNR) is a fault the
# Linux host handles differently from a late one: it logs the failure and stops sending Keep Alive,
# so the association ends only when katod's timer expires. The host must then reconnect, resume its
# I/O and find its data intact; 10-ka-delayed.sh holds the steps (KA_MODE=fail).
export KA_MODE=fail
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/scenarios/10-ka-delayed.sh"
