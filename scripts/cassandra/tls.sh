#!/usr/bin/env bash
# Makes the TLS files of shoal's test Cassandra nodes, with the openssl command line:
#
#   scripts/cassandra/tls.sh DIR
#
#   DIR/ca.pem              the test CA (ca-key.pem beside it)
#   DIR/server.pem          the nodes' certificate, signed by the CA, with IP SANs 127.0.0.1 ..
#                           127.0.0.9 (one per ring node) and NO DNS name: a client that dials
#                           `localhost` with host name verification must refuse it
#   DIR/server-key.pem
#   DIR/server.p12          server key + certificate + CA as a PKCS12 keystore for Cassandra
#                           (password: shoal-test), the format its default SSL factory reads
#   DIR/client.pem          a client certificate (CN shoal-client) signed by the CA,
#   DIR/client-key.pem      for mutual TLS
#   DIR/other-ca.pem        an unrelated CA, for "wrong CA" tests
#
# Keys are EC P-256, certificates valid 10 years: these are test files, never for production.
# Idempotent: a complete DIR (marker DIR/.complete, written last) is left as it is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: tls.sh DIR}
[ -f "$dir/.complete" ] && exit 0
command -v openssl >/dev/null || { echo "tls.sh: MISSING PREREQUISITE: openssl" >&2; exit 4; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)  # absolute: the files are made in a work directory below it
work=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=../tls-common.sh
. "$here/../tls-common.sh"

tls_ca ca "shoal test CA"
tls_ca other-ca "an unrelated CA"
rm -f other-ca-key.pem
sans="IP:127.0.0.1"
for i in 2 3 4 5 6 7 8 9; do sans+=",IP:127.0.0.$i"; done
tls_leaf ca server shoal-cassandra "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$sans"
tls_leaf ca client shoal-client "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
openssl pkcs12 -export -name cassandra -inkey server-key.pem -in server.pem -certfile ca.pem \
  -passout pass:shoal-test -out server.p12
rm -f ca.srl
chmod 600 ./*-key.pem server.p12
mv ./* "$dir/"
touch "$dir/.complete"
echo "tls: made a test CA, server and client certificates in $dir (CA: $dir/ca.pem)"
