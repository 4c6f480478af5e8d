#!/bin/sh
# A read-only role for the dashboard's SQL fast path (LOSSBOARD_READ_URI), on MLflow's database.
# Run by the postgres image at first start (/docker-entrypoint-initdb.d); safe to run again (e.g.
# by hand on an existing database: POSTGRES_USER=... POSTGRES_DB=... PGHOST=... sh this-file).
# Needs LOSSBOARD_READER_PASSWORD; the role name defaults to lossboard_reader.
set -eu
: "${LOSSBOARD_READER_PASSWORD:?set LOSSBOARD_READER_PASSWORD}"
reader=${LOSSBOARD_READER_ROLE:-lossboard_reader}
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader="$reader" -v password="$LOSSBOARD_READER_PASSWORD" \
  -v owner="$POSTGRES_USER" -v database="$POSTGRES_DB" <<'SQL'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') AS missing \gset
\if :missing
  CREATE ROLE :"reader" LOGIN;
\endif
ALTER ROLE :"reader" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
ALTER ROLE :"reader" SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE :"database" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
-- the tables MLflow's server creates later, as the owner, are readable too
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
echo "read-only role $reader ready on database $POSTGRES_DB"
