# Shared by scripts/cassandra/tls.sh and scripts/cluster-tls.sh (sourced, not run): the
# openssl command lines that make test keys, CAs and leaf certificates in the current
# directory. Keys are EC P-256, certificates valid 10 years: test files, never for production.

# tls_key FILE: a private key.
tls_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# tls_ca NAME CN: a self-signed CA, NAME.pem and NAME-key.pem.
tls_ca() {
  tls_key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -sha256 -days 3650 -subj "/O=shoal test/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem" 2>/dev/null
}

# tls_leaf CA NAME CN EXTENSIONS: NAME.pem and NAME-key.pem, signed by CA.pem (CA-key.pem).
tls_leaf() {
  tls_key "$2-key.pem"
  openssl req -new -key "$2-key.pem" -subj "/O=shoal test/CN=$3" -out "$2.csr" 2>/dev/null
  printf '%s\n' "$4" >"$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1-key.pem" -CAcreateserial -sha256 \
    -days 3650 -extfile "$2.ext" -out "$2.pem" 2>/dev/null
  rm -f "$2.csr" "$2.ext" "$1.srl"
}
