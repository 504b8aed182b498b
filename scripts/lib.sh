# Shared by scripts/demo and scripts/test: install or start what the desk and its tests need.
# Safe to run again: every step checks first.

say() { printf '==> %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        say "missing Debian packages: $*; install them (as root: apt-get install -y $*) and run again"
        exit 1
    fi
    if [ "$apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        apt_updated=1
    fi
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# libpq for the PostgreSQL driver (SQLite is compiled in).
ensure_build_deps() {
    if ! command -v pg_config >/dev/null 2>&1 && ! pkg-config --exists libpq 2>/dev/null; then
        apt_install libpq-dev pkg-config
    fi
    if ! command -v cc >/dev/null 2>&1; then
        apt_install build-essential
    fi
}

# A PostgreSQL server on 127.0.0.1:5432: started if installed, installed if not.
# Prints the URL of its maintenance database.
ensure_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        apt_install postgresql postgresql-client
    fi
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        say "starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
        for _ in $(seq 1 30); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 1
        done
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 || { say "PostgreSQL did not start"; exit 1; }
    # Where loopback needs a password (a fresh Debian install), give postgres a known one.
    if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'select 1' >/dev/null 2>&1; then
        su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
    fi
    echo "postgres://postgres:postgres@127.0.0.1:5432/postgres"
}
