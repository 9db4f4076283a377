#!/usr/bin/env bash
# Make sure what the tests need is on this machine: PostgreSQL on 127.0.0.1:5432 (trust auth,
# database "test"), Debian's Chromium at /usr/bin/chromium for the browser tests, and, with
# --bench, Debian's wrk for the web benchmark. Starts the installed PostgreSQL cluster when it is
# down; installs Debian's packages when they are missing. Idempotent and quiet when everything is
# already there.
set -euo pipefail

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "ensure-services: need root to $1" >&2; exit 1; fi; }

apt_updated=""
apt_install() {  # apt_install PACKAGE: install one Debian package, updating the lists once if needed
    need_root "install $1"
    echo "ensure-services: installing $1 (Debian package)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; then
        if [ -z "$apt_updated" ]; then
            apt-get update -q >/dev/null && apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null
    fi
}

with_wrk=""
for arg in "$@"; do
    case "$arg" in
        --bench) with_wrk=1 ;;
        *) echo "ensure-services: unknown option $arg" >&2; exit 2 ;;
    esac
done

if ! command -v pg_isready >/dev/null 2>&1; then
    apt_install postgresql
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
# The browser tests drive Debian's Chromium through Playwright; never a browser download.
if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
fi
if [ -n "$with_wrk" ] && ! command -v wrk >/dev/null 2>&1; then
    apt_install wrk
fi
