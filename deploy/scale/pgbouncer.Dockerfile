# PgBouncer from Debian 12 (1.18, transaction pooling, no prepared
# statements), for the compose profile "scale". The configuration is
# mounted at /etc/pgbouncer/pgbouncer.ini.
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer postgresql-client \
    && rm -rf /var/lib/apt/lists/*
USER postgres
EXPOSE 6432
CMD ["pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]
