#!/bin/sh
# The container's entrypoint: `mockquay serve` on every interface, so only with an admin token:
# MOCKQUAY_ADMIN_TOKEN, else one made up here, printed, and written where the health check
# reads it. An empty MOCKQUAY_ADMIN_TOKEN goes to mockquay, which refuses it.
set -eu
if [ -z "${MOCKQUAY_ADMIN_TOKEN+set}" ]; then
    MOCKQUAY_ADMIN_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(18))')
    export MOCKQUAY_ADMIN_TOKEN
    (umask 077 && printf '%s\n' "$MOCKQUAY_ADMIN_TOKEN" >"$MOCKQUAY_ADMIN_TOKEN_FILE")
    echo "mockquay: no MOCKQUAY_ADMIN_TOKEN given, so the admin API's token is" \
        "$MOCKQUAY_ADMIN_TOKEN (choose one with -e MOCKQUAY_ADMIN_TOKEN=...)" >&2
fi
exec mockquay serve "$@"
