#!/usr/bin/env bash
# The .deb of `make package`, checked as a user would meet it (ctest label `package`, run by
# `make test-package`): lintian reports no error; dpkg installs it into a scratch root
# (dpkg --root, maintainer scripts run chrootless with their outside commands stubbed, so
# nothing on this machine changes); the files, their modes and the conffile are where they
# belong; systemd-analyze verifies the unit; the installed binary prints its version, and
# checks the shipped config against a demo catalog.
#   tests/package_test.sh BUILD_DIR     (BUILD_DIR holds the .deb cpack wrote)
set -euo pipefail

build=${1:?usage: package_test.sh BUILD_DIR}
debs=("$build"/shoal_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: no single .deb in $build (make package)"; exit 1; }
deb=${debs[0]}
echo "package: $deb"
fail() { echo "FAIL: $*"; exit 1; }

# lintian: no E: line. Warnings and infos are printed for the record.
lintian_out=$(lintian --tag-display-limit 0 --info "$deb" 2>&1 || true)
echo "$lintian_out" | sed 's/^/lintian: /'
if echo "$lintian_out" | grep -q '^E:'; then fail "lintian reports errors"; fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
stubs=$scratch/stubs
calls=$scratch/calls
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$stubs"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available" "$calls"
# The commands the maintainer scripts call outside the package's own paths are stubs that log
# their arguments: the test sees what the scripts ask for, and this machine is not touched.
for cmd in adduser chown deb-systemd-helper deb-systemd-invoke systemctl; do
  printf '#!/bin/sh\necho "%s $*" >> %s\n' "$cmd" "$calls" > "$stubs/$cmd"
  chmod 755 "$stubs/$cmd"
done
# getent: the user does not exist yet (exit 2), so postinst creates it.
printf '#!/bin/sh\nexit 2\n' > "$stubs/getent"
chmod 755 "$stubs/getent"

PATH="$stubs:$PATH" dpkg --root="$root" --force-script-chrootless --force-depends \
  --force-not-root --log=/dev/null --no-triggers -i "$deb" \
  || fail "dpkg --root -i"
status=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' shoal)
[ "$status" = "install ok installed" ] || fail "package status: $status"

# Files and modes.
check_mode() {  # PATH MODE
  [ -e "$root$1" ] || fail "missing $1"
  local m; m=$(stat -c %a "$root$1")
  [ "$m" = "$2" ] || fail "$1 has mode $m, want $2"
  echo "ok: $1 $m"
}
check_mode /usr/bin/shoal 755
check_mode /usr/share/man/man1/shoal.1.gz 644
check_mode /usr/share/doc/shoal/copyright 644
check_mode /usr/share/doc/shoal/changelog.Debian.gz 644
check_mode /etc/shoal/shoal.yaml 644
check_mode /lib/systemd/system/shoal.service 644
check_mode /var/lib/shoal 750
[ "$(dpkg-deb -c "$deb" | awk '{print $2}' | sort -u)" = "root/root" ] || fail "files not owned by root"
conffiles=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Conffiles}' shoal)
echo "$conffiles" | grep -q '^ /etc/shoal/shoal.yaml [0-9a-f]\{32\}' || fail "conffile not registered: $conffiles"
zcat "$root/usr/share/man/man1/shoal.1.gz" | grep -q '^\.SH SIGNALS' || fail "man page"
file "$root/usr/bin/shoal" | grep -q 'stripped' && ! file "$root/usr/bin/shoal" | grep -q 'not stripped' \
  || fail "binary not stripped"

# What postinst asked for: the system user, and the unit enabled (not started).
echo "maintainer scripts called:"; sed 's/^/  /' "$calls"
grep -q '^adduser --system --group .* shoal$' "$calls" || fail "postinst did not add the user"
grep -q '^chown shoal:shoal .*/var/lib/shoal$' "$calls" || fail "postinst did not chown /var/lib/shoal"
grep -q '^deb-systemd-helper enable shoal.service$' "$calls" \
  || grep -q '^deb-systemd-helper update-state shoal.service$' "$calls" || fail "unit not registered"
if grep -q 'deb-systemd-invoke start' "$calls"; then fail "postinst started the service at install"; fi

# The unit: systemd's own checker, against the scratch root (so /usr/bin/shoal is found there).
unit=$root/lib/systemd/system/shoal.service
grep -q '^Type=notify$' "$unit" || fail "unit: Type"
grep -q '^ExecStart=/usr/bin/shoal serve -c /etc/shoal/shoal.yaml$' "$unit" || fail "unit: ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "unit: ExecReload"
for key in 'User=shoal' 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
  'StateDirectory=shoal' 'LogsDirectory=shoal' 'PrivateTmp=yes' 'ProtectHome=yes'; do
  grep -qx "$key" "$unit" || fail "unit: $key"
done
if command -v systemd-analyze >/dev/null; then
  # A copy whose commands point into the scratch root (the host has no /usr/bin/shoal); the
  # host's own units (targets) and /bin/kill are what the unit meets on a real machine too.
  mkdir -p "$scratch/unit"
  sed "s|/usr/bin/shoal|$root/usr/bin/shoal|" "$unit" > "$scratch/unit/shoal.service"
  out=$(systemd-analyze verify --man=no "$scratch/unit/shoal.service" 2>&1) \
    || fail "systemd-analyze verify: $out"
  if [ -n "$out" ]; then fail "systemd-analyze verify: $out"; fi
  echo "ok: systemd-analyze verify"
else
  echo "note: no systemd-analyze; the unit was not verified"
fi

# The installed binary.
version=$("$root/usr/bin/shoal" --version)
echo "$version" | grep -Eq '^shoal [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{7,}|unknown)\)$' \
  || fail "--version printed '$version'"
echo "ok: $version"
# The shipped config holds together: checked against a demo catalog at its path's name.
"$root/usr/bin/shoal" demo --generate-only --items 50 --dir "$scratch/lib" >/dev/null 2>&1 \
  || fail "shoal demo --generate-only"
sed "s|/var/lib/shoal/catalog.db|$scratch/lib/catalog.db|" "$root/etc/shoal/shoal.yaml" > "$scratch/shoal.yaml"
"$root/usr/bin/shoal" check-config -c "$scratch/shoal.yaml" || fail "the shipped config does not check"

# Removal and purge run their scripts and leave no file of the package behind.
PATH="$stubs:$PATH" dpkg --root="$root" --force-script-chrootless --force-depends \
  --force-not-root --log=/dev/null --no-triggers --purge shoal || fail "dpkg --purge"
[ ! -e "$root/usr/bin/shoal" ] && [ ! -e "$root/etc/shoal/shoal.yaml" ] || fail "files left after purge"
grep -q '^deb-systemd-helper purge shoal.service$' "$calls" || fail "postrm purge did not forget the unit"
echo "package_test: ok"
