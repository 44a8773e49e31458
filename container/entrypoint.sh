#!/bin/sh
# The container's entrypoint: `mockquay serve` on every interface, so only with an admin token.
set -eu
if [ -z "${MOCKQUAY_ADMIN_TOKEN:-}" ]; then
    echo "mockquay: set MOCKQUAY_ADMIN_TOKEN (for example -e MOCKQUAY_ADMIN_TOKEN=secret):" \
        "the container listens on every interface, so its admin API needs a token" >&2
    exit 2
fi
exec mockquay serve "$@"
