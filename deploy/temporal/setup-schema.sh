#!/bin/sh
# Creates the Temporal server's two PostgreSQL databases if they are missing and
# brings their schemas to the version the server needs, with the server's own sql
# tool and schema files. Safe to repeat; run it before starting a newer server
# (an upgrade's schema changes are applied here, never by the server itself).
# Used by `npm run cluster` (scripts/cluster/) and by docker-compose.yml's
# temporal-schema service (the admin-tools image has the tool and the files).
set -eu
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
schema=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12
[ -d "$schema" ] || { echo "setup-schema: no PostgreSQL schema files in $schema (set TEMPORAL_SCHEMA_DIR)" >&2; exit 1; }

setup() {
  db=$1
  dir=$2
  set -- --plugin postgres12 --endpoint "${POSTGRES_HOST:-127.0.0.1}" --port "${POSTGRES_PORT:-5432}" \
    --user "${POSTGRES_USER:-temporal}" --password "${POSTGRES_PASSWORD:-}" --database "$db" --quiet
  "$tool" "$@" create-database
  # Version 0.0 only makes the bookkeeping tables; update-schema then applies every versioned step not yet applied.
  "$tool" "$@" setup-schema --version 0.0
  "$tool" "$@" update-schema --schema-dir "$schema/$dir/versioned"
  echo "setup-schema: $db is up to date"
}

setup "${TEMPORAL_DB:-temporal}" temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" visibility
