package nettest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TLSHost is the name the test certificates are for.
const TLSHost = "loop.test"

// PKI is a test certificate authority: ECDSA P-256, valid for an hour
// around now, trusted by ClientConfig and by whatever reads CAPEM (curl,
// openssl, Ruby).
type PKI struct {
	CA    *x509.Certificate
	CAPEM []byte
	Pool  *x509.CertPool
	key   *ecdsa.PrivateKey
}

// NewPKI makes a test CA.
func NewPKI(tb testing.TB) *PKI {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evmachine test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(tb, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(tb, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &PKI{CA: ca, key: key, Pool: pool, CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// ServerConfig returns a server tls.Config whose certificate, signed by
// the CA, names TLSHost and, if withIP, 127.0.0.1 too.
func (p *PKI) ServerConfig(tb testing.TB, withIP bool) *tls.Config {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: TLSHost},
		DNSNames: []string{TLSHost}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if withIP {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, &key.PublicKey, p.key)
	require.NoError(tb, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(tb, err)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}}
}

// ClientConfig returns a client tls.Config that trusts the CA (and no
// other), without a ServerName.
func (p *PKI) ClientConfig() *tls.Config { return &tls.Config{RootCAs: p.Pool} }

// WritePEM writes the first certificate chain of cfg to DIR/cert.pem and
// its private key (PKCS #8) to DIR/key.pem, the files other programs load.
func WritePEM(tb testing.TB, dir string, cfg *tls.Config) (certFile, keyFile string) {
	tb.Helper()
	require.NotEmpty(tb, cfg.Certificates)
	cert := cfg.Certificates[0]
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(tb, os.WriteFile(certFile, chain, 0o600))
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(tb, err)
	require.NoError(tb, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}
