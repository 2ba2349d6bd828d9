#!/bin/bash
# Why this exists: a controller that expires before its KATO (katod's policy "expire": 0.25, so
# KATO/4 after each Keep Alive while the host sends one every KATO/2) closes the association under
# a host that did nothing wrong. The host must notice the lost connection, reconnect, resume its
# I/O and find its data intact; 10-ka-delayed.sh holds the steps (KA_MODE=early).
export KA_MODE=early
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/scenarios/10-ka-delayed.sh"
