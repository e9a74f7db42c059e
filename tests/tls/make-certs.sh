#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The cadmon authors
#
# Test certificates, made fresh at test time with the openssl CLI (OpenSSL 3.0, Debian 12):
#   ca.pem / ca.key                 the center's CA (signs the server and the CADs)
#   server.pem / server.key         CN localhost, SAN DNS:localhost, IP:127.0.0.1 (serial 0x1001)
#   server2.pem                     the same key renewed: serial 0x1002, another notAfter
#   server-dns.pem                  the same key, SAN DNS:localhost only (no IP SAN): 0x1003
#   cad-1.pem / cad-1.key           client: CN cad-1, SAN DNS:cad-1.example
#   cad-2.pem / cad-2.key           client: CN cad-2
#   rogue-ca.pem, rogue.pem/.key    client CN cad-1 signed by another CA
#   expired.pem / expired.key       client CN cad-1 from ca.pem, valid 2020-01-01..2020-01-02
#   server-expired.pem              server.key's certificate, valid 2020-01-01..2020-01-02
# Keys are mode 0600. Usage: make-certs.sh DIR
set -eu

dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# A self-signed CA: NAME CN
make_ca() {
	key "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$1.pem" 2>/dev/null
}

# A certificate signed by a CA: NAME KEY CA SERIAL CN DAYS EXTENSIONS
make_cert() {
	openssl req -new -key "$2" -subj "/CN=$5" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$7" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "$4" -days "$6" \
		-sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1'
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

make_ca ca "cadmon test CA"
make_ca rogue-ca "another CA"
key server.key
make_cert server server.key ca 0x1001 localhost 30 "$server_ext"
make_cert server2 server.key ca 0x1002 localhost 60 "$server_ext"
make_cert server-dns server.key ca 0x1003 localhost 30 "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost"
key cad-1.key
make_cert cad-1 cad-1.key ca 0x2001 cad-1 30 "$client_ext
subjectAltName=DNS:cad-1.example"
key cad-2.key
make_cert cad-2 cad-2.key ca 0x2002 cad-2 30 "$client_ext"
key rogue.key
make_cert rogue rogue.key rogue-ca 0x3001 cad-1 30 "$client_ext"

# Expired: `openssl ca` takes explicit -startdate/-enddate (x509 -days cannot go back).
key expired.key
openssl req -new -key expired.key -subj "/CN=cad-1" -out expired.csr 2>/dev/null
mkdir -p ca-db
: >ca-db/index.txt
echo 2003 >ca-db/serial
cat >ca-db/ca.cnf <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = client
[ any ]
commonName = supplied
[ client ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
openssl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
	-startdate 20200101000000Z -enddate 20200102000000Z -notext -out expired.pem 2>/dev/null
openssl req -new -key server.key -subj "/CN=localhost" -out server-expired.csr 2>/dev/null
openssl ca -batch -config ca-db/ca.cnf -extensions server -cert ca.pem -keyfile ca.key \
	-in server-expired.csr -startdate 20200101000000Z -enddate 20200102000000Z -notext \
	-out server-expired.pem 2>/dev/null
rm -rf ca-db expired.csr server-expired.csr
chmod 600 ./*.key
