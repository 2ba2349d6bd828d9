#!/bin/bash
# Why this exists: a Keep Alive that is never completed must make the Linux host recover the same
# way a late one does (reconnect, I/O resumes, data intact); 10-ka-delayed.sh holds the steps,
# this runs them with katod's policy dropping the first controller's Keep Alive completions.
export KA_MODE=drop
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/scenarios/10-ka-delayed.sh"
