#!/usr/bin/env bash
# The CLI's wss:// client against netproxy --tls-cert/--tls-key, with a
# throwaway certificate for localhost that OpenSSL trusts via SSL_CERT_FILE.
# Leak checking is off here only: libwebsockets 4.1.6 leaves its OpenSSL
# client context behind when a context on a libuv loop is destroyed.
t=${1:?usage: wss_test.sh NETBACK_TEST NETPROXY}
np=${2:?}
command -v openssl >/dev/null || { echo "SKIP: wss:// client (openssl missing)"; exit 0; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/key.pem" -out "$d/cert.pem" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost >/dev/null 2>&1; then
    echo "SKIP: wss:// client (openssl could not make a certificate)"; exit 0
fi
SSL_CERT_FILE=$d/cert.pem NB_TLS_CERT=$d/cert.pem NB_TLS_KEY=$d/key.pem \
    ASAN_OPTIONS=detect_leaks=0 timeout 60 "$t" wss "$np"
