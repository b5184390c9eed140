#!/usr/bin/env bash
# Makes the TLS files of test clusters (cluster.tls: mutual TLS on the peer port), with the
# openssl command line:
#
#   scripts/cluster-tls.sh DIR
#
#   DIR/ca.pem                 the test CA (ca-key.pem beside it)
#   DIR/nodeN.pem              N = 1..4: a node certificate signed by the CA, for both TLS roles
#   DIR/nodeN-key.pem          (serverAuth, clientAuth), with the IP SAN 127.0.0.N only
#   DIR/node.pem               one certificate for nodes on any of 127.0.0.1 .. 127.0.0.9
#   DIR/node-key.pem           (an IP SAN each) and the DNS SAN localhost
#   DIR/other-ca.pem           an unrelated CA, and a node certificate it signed (IP SANs
#   DIR/other-node.pem         127.0.0.1 .. 127.0.0.9 and localhost, like node.pem): a node
#   DIR/other-node-key.pem     that is not a member of the cluster
#   DIR/nomatch.pem            signed by the CA, but naming only 127.0.0.99: a member's CA,
#   DIR/nomatch-key.pem        a name no test node has
#
# Keys are EC P-256, certificates valid 10 years: these are test files, never for production.
# Idempotent: a complete DIR (marker DIR/.complete, written last) is left as it is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: cluster-tls.sh DIR}
[ -f "$dir/.complete" ] && exit 0
command -v openssl >/dev/null || {
  echo "cluster-tls.sh: MISSING PREREQUISITE: openssl" >&2
  exit 4
}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)  # absolute: the files are made in a work directory below it
work=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=tls-common.sh
. "$here/tls-common.sh"

# node CA NAME SANS: a certificate for both ends of a peer connection.
node() {
  tls_leaf "$1" "$2" "shoal-$2" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$3"
}

tls_ca ca "shoal test cluster CA"
tls_ca other-ca "an unrelated CA"
all="DNS:localhost"
for i in 1 2 3 4 5 6 7 8 9; do all+=",IP:127.0.0.$i"; done
for i in 1 2 3 4; do node ca "node$i" "IP:127.0.0.$i"; done
node ca node "$all"
node other-ca other-node "$all"
node ca nomatch "IP:127.0.0.99"
rm -f other-ca-key.pem ./*.srl
chmod 600 ./*-key.pem
mv ./* "$dir/"
touch "$dir/.complete"
echo "cluster-tls: made a test CA and node certificates in $dir (CA: $dir/ca.pem)"
