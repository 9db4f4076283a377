#!/usr/bin/env bash
# Make sure what the tests need is on this machine: PostgreSQL on 127.0.0.1:5432 (trust auth,
# database "test"). Starts the installed cluster when it is down; installs Debian's package when
# it is missing. Idempotent and quiet when everything is already there.
set -euo pipefail

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "ensure-services: need root to $1" >&2; exit 1; fi; }

if ! command -v pg_isready >/dev/null 2>&1; then
    need_root "install PostgreSQL"
    echo "ensure-services: installing PostgreSQL (Debian package)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    need_root "start PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "ensure-services: starting PostgreSQL $version" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
    need_root "create the test database"
    su postgres -c "psql -Atc \"select 1 from pg_database where datname='test'\"" | grep -q 1 \
        || su postgres -c "createdb test"
    hba=$(su postgres -c "psql -Atc 'show hba_file'")
    if ! grep -q "paperwire-tests" "$hba"; then
        sed -i '1i host all all 127.0.0.1/32 trust # paperwire-tests' "$hba"
        su postgres -c "psql -Atc 'select pg_reload_conf()'" >/dev/null
    fi
fi
