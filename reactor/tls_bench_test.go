package reactor

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkTLSEchoRoundTrip64 is one 64-byte round trip over loopback
// through a TLS Conn on the loop (the client is crypto/tls on the
// benchmark's goroutine). The TLS stage itself allocates nothing per round
// trip; the allocations reported are crypto/tls's own (its record reader
// allocates per read from the transport, on both sides).
func BenchmarkTLSEchoRoundTrip64(b *testing.B) {
	srvCfg, cliCfg := tlsTestConfigs(b)
	r, err := New()
	require.NoError(b, err)
	l, err := r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return benchEcho{} }, WithTLS(srvCfg))
	require.NoError(b, err)
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	defer func() {
		r.Stop()
		require.NoError(b, <-done)
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	require.NoError(b, err)
	conn := tls.Client(raw, cliCfg)
	defer conn.Close()
	msg := make([]byte, 64)
	reply := make([]byte, 64)
	rt := func() {
		if _, err := conn.Write(msg); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < 64; {
			n, err := conn.Read(reply[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	for range 1000 {
		rt()
	}
	b.ReportAllocs()
	b.SetBytes(64)
	b.ResetTimer()
	for b.Loop() {
		rt()
	}
}
