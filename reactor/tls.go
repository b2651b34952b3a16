package reactor

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// TLS on a Conn is a stage of its read and write paths (tls_stage.go):
// standard crypto/tls, the handshake on a goroutine of its own, the records
// after it driven from the loop (see STAGES.md for why). ReceiveData gets
// plaintext, Write takes plaintext; everything else keeps its meaning.

// Defaults of the TLS options.
const (
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultTLSHandshakeLimit   = 256
)

// ErrTLSHandshakeTimeout is the Unbind reason of a Conn whose TLS handshake
// did not complete within WithTLSHandshakeTimeout. Like ErrConnectTimeout
// it is a net.Error whose Timeout is true, and errors.Is matches it with
// os.ErrDeadlineExceeded and syscall.ETIMEDOUT.
var ErrTLSHandshakeTimeout error = &timeoutError{"reactor: TLS handshake timed out"}

// TLSHandshaker is implemented by a Handler that wants to know when its
// Conn's TLS handshake completed, as EventMachine's
// ssl_handshake_completed. It runs on the reactor goroutine before any
// plaintext reaches ReceiveData; c.TLSState() is available from then on.
type TLSHandshaker interface {
	TLSHandshakeCompleted(c *Conn)
}

// WithTLS makes the Conn speak TLS with cfg: every Conn a Listen accepts is
// a TLS server, and the Conn of a Connect a TLS client, whose ServerName is
// the address's host unless cfg sets one. Certificates are verified as
// crypto/tls does: evmachine never turns verification off (only
// cfg.InsecureSkipVerify does), and the minimum version is TLS 1.2 unless
// cfg says otherwise. cfg must not be changed afterwards. Writes before the
// handshake completes are sent once it has; a failed handshake ends in
// Unbind with crypto/tls's or crypto/x509's error (errors.As finds it).
func WithTLS(cfg *tls.Config) ConnOption {
	return func(c *connConfig) { c.tls = cfg }
}

// WithTLSHandshakeTimeout bounds the TLS handshake, counted from when it
// may start (default DefaultTLSHandshakeTimeout, 10 s; 0 disables): past
// it the Conn closes with ErrTLSHandshakeTimeout.
func WithTLSHandshakeTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.tlsTimeout = max(d, 0) }
}

// WithTLSHandshakeLimit bounds the TLS handshakes a reactor runs at once
// (default DefaultTLSHandshakeLimit, 256), each on a goroutine of its own:
// Conns beyond it wait, not read, for a free slot, within their handshake
// timeout. It bounds the goroutines and memory a flood of handshakes can
// take. Values below 1 keep the default.
func WithTLSHandshakeLimit(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.tlsLimit = n
		}
	}
}

// StartTLS upgrades the Conn to TLS with cfg from now on, as
// EventMachine's start_tls and the STARTTLS of SMTP and IMAP: the Conn is
// the TLS server if it was accepted, the client if it was connected. Bytes
// the peer sent after the point where the handler calls it (still in the
// kernel) go to the handshake; bytes the handler was already given and has
// not consumed are given back with Unread. It returns ErrClosed on a closed
// Conn and an error if the Conn already speaks TLS or proxies. Must be
// called on the reactor goroutine.
func (c *Conn) StartTLS(cfg *tls.Config) error {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.StartTLS")
	}
	switch {
	case c.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0:
		return ErrClosed
	case cfg == nil:
		return errors.New("reactor: StartTLS needs a tls.Config")
	case c.tlsStage() != nil:
		return errors.New("reactor: StartTLS on a Conn that already speaks TLS")
	case c.px() != nil:
		return errors.New("reactor: StartTLS on a proxying Conn")
	}
	c.installTLS(cfg, c.flags&fOutbound != 0, DefaultTLSHandshakeTimeout, "")
	return nil
}

// Unread gives back bytes the handler was given but has not consumed, to be
// read again before anything that arrives later: after StartTLS, the first
// bytes of the peer's handshake that came in the same read as the STARTTLS
// command. It returns an error unless the Conn's last StartTLS has not
// completed its handshake yet. Must be called on the reactor goroutine.
func (c *Conn) Unread(p []byte) error {
	ts := c.tlsStage()
	if ts == nil || ts.phase >= tlsOpen {
		return errors.New("reactor: Unread is only for the start of a StartTLS handshake")
	}
	ts.tr.feed(p)
	return nil
}

// TLSState returns the Conn's TLS connection state once its handshake has
// completed (negotiated version, cipher suite, ALPN protocol, server name,
// peer certificates: EventMachine's get_peer_cert, get_cipher_name,
// get_sni_hostname), and false before that or without TLS. Must be called
// on the reactor goroutine.
func (c *Conn) TLSState() (tls.ConnectionState, bool) {
	if ts := c.tlsStage(); ts != nil && ts.phase == tlsOpen {
		return ts.tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// tlsConfig returns the config a Conn's TLS uses: cfg with the minimum
// version and, for a client, the server name filled in when cfg leaves
// them empty.
func tlsConfig(cfg *tls.Config, client bool, host string) *tls.Config {
	needName := client && cfg.ServerName == "" && host != ""
	if cfg.MinVersion != 0 && !needName {
		return cfg
	}
	cfg = cfg.Clone()
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if needName {
		cfg.ServerName = host
	}
	return cfg
}

// tlsHandshakeError wraps a failed handshake's error.
func tlsHandshakeError(c *Conn, err error) error {
	if a := c.RemoteAddr(); a != nil {
		return fmt.Errorf("reactor: TLS handshake with %s: %w", a, err)
	}
	return fmt.Errorf("reactor: TLS handshake: %w", err)
}
