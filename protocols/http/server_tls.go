package http

import (
	"crypto/tls"
	"errors"
	"slices"

	"github.com/evmachine/evmachine/reactor"
)

// ListenTLS starts serving HTTPS on network and addr, as Listen with
// reactor.WithTLS: every accepted connection speaks TLS with cfg before
// HTTP/1.1. cfg must carry a certificate (Certificates, GetCertificate or
// GetConfigForClient); it is cloned, and "http/1.1" is added to its
// NextProtos when absent, as net/http's ServeTLS does, so that clients
// negotiate it with ALPN. The minimum version is TLS 1.2 unless cfg says
// otherwise. A request that arrives over TLS has req.TLS set, as net/http
// sets it. The handshake runs off the loop (see reactor.WithTLS); a new
// connection's ReadHeaderTimeout counts from the accept, so it bounds the
// handshake too. opts are Listen's (reactor.WithTLSHandshakeTimeout among
// them). Must be called on the reactor goroutine.
func (s *Server) ListenTLS(r *reactor.Reactor, network, addr string, cfg *tls.Config, opts ...reactor.ConnOption) (*reactor.Listener, error) {
	cfg, err := serverTLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	return s.Listen(r, network, addr, append(slices.Clip(opts), reactor.WithTLS(cfg))...)
}

// serverTLSConfig returns a clone of cfg that offers "http/1.1" with ALPN
// and needs TLS 1.2 at least (unless cfg sets a minimum), or an error if
// cfg has no certificate to serve.
func serverTLSConfig(cfg *tls.Config) (*tls.Config, error) {
	if cfg == nil {
		return nil, errors.New("http server: ListenTLS with a nil tls.Config")
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("http server: ListenTLS with a tls.Config without a certificate")
	}
	cfg = cfg.Clone()
	if !slices.Contains(cfg.NextProtos, "http/1.1") {
		cfg.NextProtos = append(cfg.NextProtos, "http/1.1")
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg, nil
}

// TLSHandshakeCompleted keeps the connection's TLS state for the requests
// it carries (req.TLS; one value shared by them, as net/http does). It
// runs before any request can arrive.
func (sc *serverConn) TLSHandshakeCompleted(c *reactor.Conn) {
	if st, ok := c.TLSState(); ok {
		sc.tls = &st
	}
}
