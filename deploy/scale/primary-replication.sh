#!/bin/sh
# Lets the replica of the compose profile "scale" stream from this primary
# (run once by the postgres image when it initializes its data).
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
