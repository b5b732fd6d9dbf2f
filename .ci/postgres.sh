#!/usr/bin/env bash
# Start a local PostgreSQL cluster (no systemd needed) and make the test role and database.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q .; then
  pg_createcluster "$version" main >/dev/null
fi
read -r ver cluster _ status _ < <(pg_lsclusters -h | head -1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$ver" "$cluster" start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 0.5
done
cd /
psql_as_postgres() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ -z "$(psql_as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'intranet'")" ]; then
  psql_as_postgres -c "CREATE ROLE intranet LOGIN PASSWORD 'intranet'"
fi
# The restore tests restore into a scratch database of their own, and under pytest-xdist each
# worker makes a database of its own (`intranet_test_gw0` …).
psql_as_postgres -c "ALTER ROLE intranet CREATEDB"
if [ -z "$(psql_as_postgres -c "SELECT 1 FROM pg_database WHERE datname = 'intranet_test'")" ]; then
  psql_as_postgres -c "CREATE DATABASE intranet_test OWNER intranet"
fi
