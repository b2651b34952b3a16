package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsServerName is the name on the benchmark's certificate, and the name
// the load generator verifies and sends as SNI.
const tlsServerName = "bench.evmachine.test"

// benchCert is the certificate the TLS servers of one suite run present.
type benchCert struct {
	CertFile, KeyFile string // PEM files, handed to the servers as -cert and -key
	PEM               []byte // the certificate, the load generator's only root
}

// writeBenchCert makes a fresh ECDSA P-256 key and a self-signed
// certificate for tlsServerName (and 127.0.0.1), valid for a day, and
// writes both into dir. The load generator's pool holds exactly this
// certificate: crypto/x509 accepts the leaf because it is a root, and the
// handshake still proves the server holds its key (the CertificateVerify
// signature), so nothing is skipped and the client pays no chain building.
func writeBenchCert(dir string) (benchCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return benchCert{}, fmt.Errorf("benchmark certificate: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: tlsServerName, Organization: []string{"evmachine benchmark"}},
		DNSNames:     []string{tlsServerName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return benchCert{}, fmt.Errorf("benchmark certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return benchCert{}, fmt.Errorf("benchmark key: %w", err)
	}
	bc := benchCert{
		CertFile: filepath.Join(dir, "bench-cert.pem"),
		KeyFile:  filepath.Join(dir, "bench-key.pem"),
		PEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
	if err := os.WriteFile(bc.CertFile, bc.PEM, 0o644); err != nil {
		return benchCert{}, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(bc.KeyFile, keyPEM, 0o600); err != nil {
		return benchCert{}, err
	}
	return bc, nil
}
