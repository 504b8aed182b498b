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

# libpq for the PostgreSQL driver (SQLite is compiled in), OpenSSL for TLS to mail servers.
ensure_build_deps() {
    if ! command -v pg_config >/dev/null 2>&1 && ! pkg-config --exists libpq 2>/dev/null; then
        apt_install libpq-dev pkg-config
    fi
    if ! pkg-config --exists openssl 2>/dev/null; then
        apt_install libssl-dev pkg-config
    fi
    if ! command -v cc >/dev/null 2>&1; then
        apt_install build-essential
    fi
}

# What the tests read the product's output with: pdftotext for the PDF reports.
ensure_test_tools() {
    if ! command -v pdftotext >/dev/null 2>&1; then
        apt_install poppler-utils
    fi
    # meja backup/restore on PostgreSQL use pg_dump/pg_restore.
    if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
        apt_install postgresql-client
    fi
}

# The browser tests (tests/browser): Debian's Chromium driven by playwright-core from npm (no
# browser download), on Node 20 or newer. npm ci runs again whenever package-lock.json changed.
ensure_browser_tools() {
    if [ ! -x /usr/bin/chromium ]; then
        apt_install chromium
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 20 ]; then
        say "the browser tests need Node 20 or newer (playwright-core); found $(node --version)"
        exit 1
    fi
    local lock=tests/browser/package-lock.json stamp=tests/browser/node_modules/.meja-lock.sha256 sum
    sum=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ ! -d tests/browser/node_modules/playwright-core ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "npm ci (tests/browser)"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund >&2
        echo "$sum" > "$stamp"
    fi
}

# The resilience tests (tests/resilience): Python 3 with venv (schemathesis is installed from
# PyPI into a venv under the target directory by the tests themselves), runuser for the private
# PostgreSQL instance they start (the server binaries come with ensure_postgres).
ensure_resilience_tools() {
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        apt_install python3 python3-venv
    fi
    if ! command -v runuser >/dev/null 2>&1; then
        apt_install util-linux
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

# Real mail servers for the e-mail tests, on loopback only: Postfix accepting SMTP on
# 127.0.0.1:25 for the test domains kota.test and warga.test (and the demo city's example.com
# and example.go.id, which the browser tests' desk mails) and handing every message over LMTP
# to a private Dovecot instance; mail for any other domain bounces at once, never leaving the
# machine. Dovecot serves IMAP on 127.0.0.1:10143 (plain text, any
# user of those domains with the password "rahasia", mailboxes created on first delivery).
# Prints "smtp://127.0.0.1:25 127.0.0.1:10143".
MEJA_MAIL_DIR=${MEJA_MAIL_DIR:-/var/lib/meja-test-mail}
ensure_mail_servers() {
    if ! command -v postfix >/dev/null 2>&1 || ! command -v dovecot >/dev/null 2>&1 || [ ! -e /usr/lib/dovecot/lmtp ]; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
        apt_install postfix dovecot-imapd dovecot-lmtpd
    fi
    id vmail >/dev/null 2>&1 || useradd --system --home-dir "$MEJA_MAIL_DIR" --shell /usr/sbin/nologin vmail
    mkdir -p "$MEJA_MAIL_DIR/mail" "$MEJA_MAIL_DIR/run" "$MEJA_MAIL_DIR/state"
    chown -R vmail:vmail "$MEJA_MAIL_DIR/mail"
    cat > "$MEJA_MAIL_DIR/dovecot.conf" <<CONF
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $MEJA_MAIL_DIR/run
state_dir = $MEJA_MAIL_DIR/state
log_path = $MEJA_MAIL_DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:$MEJA_MAIL_DIR/mail/%d/%n
passdb {
  driver = static
  args = password=rahasia
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$MEJA_MAIL_DIR/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 10143
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = 10024
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
CONF
    if ! (exec 3<>/dev/tcp/127.0.0.1/10143) 2>/dev/null; then
        say "starting Dovecot (IMAP 127.0.0.1:10143, LMTP 127.0.0.1:10024)"
        dovecot -c "$MEJA_MAIL_DIR/dovecot.conf" >&2
    fi
    # Installed with "No configuration", Postfix has no main.cf yet: start from an empty one.
    [ -f /etc/postfix/main.cf ] || : > /etc/postfix/main.cf
    postconf -e \
        "alias_maps =" \
        "alias_database =" \
        "inet_interfaces = loopback-only" \
        "inet_protocols = ipv4" \
        "mydestination = localhost" \
        "mynetworks = 127.0.0.0/8" \
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
        "virtual_mailbox_domains = kota.test warga.test example.com example.go.id" \
        "default_transport = error:the test mail server delivers only to its own domains" \
        "relay_transport = error:the test mail server delivers only to its own domains" \
        "virtual_transport = lmtp:inet:127.0.0.1:10024" \
        "maillog_file = $MEJA_MAIL_DIR/postfix.log" \
        "smtpd_tls_security_level = none" \
        "compatibility_level = 3.6" >&2
    if postfix status >/dev/null 2>&1; then
        postfix reload >/dev/null 2>&1 || true
    else
        say "starting Postfix (SMTP 127.0.0.1:25)"
        postfix start >/dev/null 2>&1 || { postfix check >&2 || true; say "Postfix did not start"; exit 1; }
    fi
    for _ in $(seq 1 30); do
        if (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/10143) 2>/dev/null; then
            echo "smtp://127.0.0.1:25 127.0.0.1:10143"
            return 0
        fi
        sleep 1
    done
    say "the mail servers did not start (see $MEJA_MAIL_DIR/*.log)"
    exit 1
}

# A real OpenLDAP directory for the sign-in tests, on loopback only: slapd from Debian with the
# test tree of tests/fixtures/ldap (loaded afresh on every start), StartTLS on
# ldap://127.0.0.1:3389 and TLS on ldaps://127.0.0.1:3636 with a certificate of a private test CA
# made here. Prints "ldap://127.0.0.1:3389 <CA file>".
MEJA_LDAP_DIR=${MEJA_LDAP_DIR:-/var/lib/meja-test-ldap}
ensure_ldap_server() {
    if ! command -v slapd >/dev/null 2>&1 || ! command -v slapadd >/dev/null 2>&1; then
        # Debian would otherwise make and start a directory of its own on port 389.
        echo "slapd slapd/no_configuration boolean true" | debconf-set-selections 2>/dev/null || true
        apt_install slapd ldap-utils
    fi
    if ! command -v openssl >/dev/null 2>&1; then
        apt_install openssl
    fi
    local dir=$MEJA_LDAP_DIR fixtures
    fixtures="$(pwd)/tests/fixtures/ldap"
    if [ -f "$dir/slapd.pid" ] && kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null; then
        kill "$(cat "$dir/slapd.pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$dir/data" && mkdir -p "$dir/data"
    if [ ! -f "$dir/server.pem" ]; then
        say "making the test directory's CA and certificate"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=meja test CA" \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
            -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/san.ext"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
            -days 3650 -extfile "$dir/san.ext" -out "$dir/server.pem" >/dev/null 2>&1
    fi
    cat > "$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $dir/slapd.pid
TLSCACertificateFile $dir/ca.pem
TLSCertificateFile $dir/server.pem
TLSCertificateKeyFile $dir/server.key
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="cn=meja,ou=system,dc=kota,dc=test" read by self read by * none
database mdb
suffix "dc=kota,dc=test"
rootdn "cn=admin,dc=kota,dc=test"
rootpw Direktori-Admin-2026
directory $dir/data
index uid,cn,member,memberUid eq
CONF
    slapadd -f "$dir/slapd.conf" -l "$fixtures/kota.ldif" >&2
    say "starting slapd (ldap://127.0.0.1:3389 with StartTLS, ldaps://127.0.0.1:3636)"
    slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:3389/ ldaps://127.0.0.1:3636/" >&2
    for _ in $(seq 1 50); do
        if (exec 3<>/dev/tcp/127.0.0.1/3389) 2>/dev/null; then
            echo "ldap://127.0.0.1:3389 $dir/ca.pem"
            return 0
        fi
        sleep 0.1
    done
    say "slapd did not start"
    exit 1
}

# A real OpenID Connect provider for the single sign-on tests: oidc-provider from npm
# (tests/sso/provider.mjs; each test starts its own on a free loopback port). npm ci runs again
# whenever package-lock.json changed.
ensure_sso_provider() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    local lock=tests/sso/package-lock.json stamp=tests/sso/node_modules/.meja-lock.sha256 sum
    sum=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ ! -d tests/sso/node_modules/oidc-provider ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "npm ci (tests/sso)"
        npm ci --prefix tests/sso --no-audit --no-fund >&2
        echo "$sum" > "$stamp"
    fi
}

# Prometheus Alertmanager for the alert-webhook tests (each test starts its own on a loopback
# port with its own configuration); prints the binary's path.
ensure_alertmanager() {
    if ! command -v prometheus-alertmanager >/dev/null 2>&1; then
        apt_install prometheus-alertmanager
    fi
    command -v prometheus-alertmanager
}
