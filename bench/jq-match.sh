#!/usr/bin/env bash
# The jq equivalent of the bench pattern, over a NUL-separated file list:
#   bench/jq-match.sh FILES.txt
set -euo pipefail
xargs -0 -n 200 sh -c 'zcat "$@" | jq -c '"'"'.Records[] | select(.eventName == "ConsoleLogin" or .eventName == "AssumeRole")'"'"'' _ < "$1"
