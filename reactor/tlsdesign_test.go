package reactor

import (
	"bytes"
	"crypto/tls"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The measurements behind the TLS decision in doc.go ("How TLS will plug
// in"): standard crypto/tls, its handshake on a goroutine, its records fed
// from the loop afterwards. feedTransport is the prototype of the TLS
// stage's transport: the loop appends what it read and takes what is to be
// written; a read with nothing buffered fails with a temporary error,
// which crypto/tls treats as "no more bytes yet" rather than as the end
// (tls_transport.go is the real one).

// errWouldBlock (tls_transport.go) is the production stage's error, so
// the guard below holds crypto/tls to exactly what the stage relies on.

// feedTransport is a net.Conn over two buffers, owned by one goroutine
// once the handshake is done.
type feedTransport struct {
	in  bytes.Buffer // raw bytes from the peer, not yet decrypted
	out bytes.Buffer // records to send
}

func (f *feedTransport) Read(p []byte) (int, error) {
	if f.in.Len() == 0 {
		return 0, errWouldBlock
	}
	return f.in.Read(p)
}
func (f *feedTransport) Write(p []byte) (int, error)      { return f.out.Write(p) }
func (f *feedTransport) Close() error                     { return nil }
func (f *feedTransport) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (f *feedTransport) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (f *feedTransport) SetDeadline(time.Time) error      { return nil }
func (f *feedTransport) SetReadDeadline(time.Time) error  { return nil }
func (f *feedTransport) SetWriteDeadline(time.Time) error { return nil }

// tlsTestConfigs returns a server config with a certificate for
// "loop.test" from a fresh test CA, and a client config that trusts that CA
// and asks for "loop.test".
func tlsTestConfigs(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	pki := nettest.NewPKI(tb)
	client = pki.ClientConfig()
	client.ServerName = nettest.TLSHost
	return pki.ServerConfig(tb, false), client
}

// tlsPair handshakes a client and a server over a pipe (the handshake on
// goroutines, as the TLS stage will do it) and returns both with their
// transports, owned by the caller from then on.
func tlsPair(tb testing.TB, server, client *tls.Config) (*tls.Conn, *feedTransport, *tls.Conn, *feedTransport) {
	tb.Helper()
	// The handshake runs over a real pipe; the records after it over the
	// feed transports, which take over the connection's byte streams.
	sp, cp := net.Pipe()
	st, ct := &switchConn{Conn: sp}, &switchConn{Conn: cp}
	sc, cc := tls.Server(st, server), tls.Client(ct, client)
	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(tb, sc.Handshake()) })
	require.NoError(tb, cc.Handshake())
	wg.Wait()
	sp.Close()
	cp.Close()
	sf, cf := &feedTransport{}, &feedTransport{}
	st.feed, ct.feed = sf, cf
	return sc, sf, cc, cf
}

// switchConn is the pipe during the handshake, the feed transport after.
type switchConn struct {
	net.Conn
	feed *feedTransport
}

func (s *switchConn) Read(p []byte) (int, error) {
	if s.feed != nil {
		return s.feed.Read(p)
	}
	return s.Conn.Read(p)
}

func (s *switchConn) Write(p []byte) (int, error) {
	if s.feed != nil {
		return s.feed.Write(p)
	}
	return s.Conn.Write(p)
}

// move hands what from wrote to to's input, as the loop would after a
// write on one socket and a read on the other.
func move(from, to *feedTransport) {
	to.in.Write(from.out.Bytes())
	from.out.Reset()
}

// TestTLSRecordsFedOneByteAtATime is the regression guard of the design:
// after the handshake, crypto/tls can be fed a byte at a time. Each Read
// before a record is whole fails with the temporary error and leaves the
// Conn usable; then the plaintext comes out. If a Go release made that
// error sticky, this fails, and the TLS stage with it.
func TestTLSRecordsFedOneByteAtATime(t *testing.T) {
	srvCfg, cliCfg := tlsTestConfigs(t)
	sc, sf, cc, cf := tlsPair(t, srvCfg, cliCfg)
	msg := bytes.Repeat([]byte("evmachine "), 2000) // two records
	_, err := cc.Write(msg)
	require.NoError(t, err)
	raw := append([]byte(nil), cf.out.Bytes()...)
	cf.out.Reset()
	var got []byte
	buf := make([]byte, 32<<10)
	blocked := 0
	for _, b := range raw {
		sf.in.WriteByte(b)
		for {
			n, err := sc.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				require.ErrorIs(t, err, errWouldBlock, "only 'no more bytes yet', never a sticky error")
				blocked++
				break
			}
		}
	}
	assert.Equal(t, msg, got)
	assert.Greater(t, blocked, len(raw)-10, "nearly every byte alone was not enough")

	// And back: the server's answer reaches the client the same way.
	_, err = sc.Write([]byte("pong"))
	require.NoError(t, err)
	move(sf, cf)
	n, err := cc.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "pong", string(buf[:n]))
}

// BenchmarkTLSEchoFed is a 64-byte echo through TLS on one goroutine, as
// the loop would drive it: decrypt the client's record, encrypt the
// answer. cpu-ns/op is what the TLS stage adds per round trip.
func BenchmarkTLSEchoFed(b *testing.B) {
	srvCfg, cliCfg := tlsTestConfigs(b)
	sc, sf, cc, cf := tlsPair(b, srvCfg, cliCfg)
	msg := make([]byte, 64)
	buf := make([]byte, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		cc.Write(msg)
		move(cf, sf)
		n, _ := sc.Read(buf) // the server stage: decrypt ...
		sc.Write(buf[:n])    // ... and encrypt the echo
		move(sf, cf)
		cc.Read(buf)
	}
}

// BenchmarkTLSEchoGoroutine is the same echo with the server's TLS
// conversation on a goroutine of its own (the "goroutine per TLS Conn"
// design): the loop hands it the raw bytes and takes the answer back, two
// goroutine hand-offs per round trip.
func BenchmarkTLSEchoGoroutine(b *testing.B) {
	srvCfg, cliCfg := tlsTestConfigs(b)
	sc, sf, cc, cf := tlsPair(b, srvCfg, cliCfg)
	toServer, fromServer := make(chan []byte), make(chan []byte)
	go func() {
		buf := make([]byte, 16<<10)
		for raw := range toServer {
			sf.in.Write(raw)
			n, _ := sc.Read(buf)
			sc.Write(buf[:n])
			out := append([]byte(nil), sf.out.Bytes()...)
			sf.out.Reset()
			fromServer <- out
		}
	}()
	defer close(toServer)
	msg := make([]byte, 64)
	buf := make([]byte, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		cc.Write(msg)
		raw := append([]byte(nil), cf.out.Bytes()...)
		cf.out.Reset()
		toServer <- raw
		cf.in.Write(<-fromServer)
		cc.Read(buf)
	}
}

// BenchmarkTLSHandshakeP256 is one full handshake (both sides, ECDSA P-256,
// TLS 1.3) in memory: the CPU the loop would be blocked for per new
// connection if the handshake ran on it.
func BenchmarkTLSHandshakeP256(b *testing.B) {
	srvCfg, cliCfg := tlsTestConfigs(b)
	for b.Loop() {
		sp, cp := net.Pipe()
		sc, cc := tls.Server(sp, srvCfg), tls.Client(cp, cliCfg)
		done := make(chan error, 1)
		go func() { done <- sc.Handshake() }()
		if err := cc.Handshake(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		sp.Close()
		cp.Close()
	}
}

// BenchmarkTLSDesignIdleMemory is the heap an idle server-side TLS Conn
// keeps after it received one full-size (16 KiB) record. "fed": the TLS
// stage's design, the transport's buffers let go once drained (the loop's
// read buffer is shared); "goroutine": a goroutine per Conn blocked in
// Read, with the stack and the read buffer that takes. b.N is not used:
// one measurement of 500 Conns per run (-benchtime 1x).
func BenchmarkTLSDesignIdleMemory(b *testing.B) {
	srvCfg, cliCfg := tlsTestConfigs(b)
	const n = 500
	for _, design := range []string{"fed", "goroutine"} {
		b.Run(design, func(b *testing.B) {
			keep := make([]*tls.Conn, 0, n)
			release := make(chan struct{})
			defer close(release)
			record := make([]byte, 16<<10)
			buf := make([]byte, 16<<10)
			heap0, stack0 := memBytes()
			for range n {
				sc, sf, cc, cf := tlsPair(b, srvCfg, cliCfg)
				cc.Write(record)
				move(cf, sf)
				for {
					if _, err := sc.Read(buf); err != nil {
						break
					}
				}
				sf.in, sf.out = bytes.Buffer{}, bytes.Buffer{} // drained: nothing kept
				if design == "goroutine" {
					started := make(chan struct{})
					go func() {
						rbuf := make([]byte, 16<<10) // a goroutine reading needs its own buffer
						close(started)
						<-release // blocked, as in a Read that waits for the peer
						runtime.KeepAlive(rbuf)
					}()
					<-started
				}
				keep = append(keep, sc)
			}
			heap1, stack1 := memBytes()
			b.ReportMetric(float64(heap1-heap0)/n/1024, "heap-KiB/conn")
			b.ReportMetric(float64(int64(stack1)-int64(stack0))/n/1024, "stack-KiB/conn")
			runtime.KeepAlive(keep)
		})
	}
}

// memBytes returns the live heap and the goroutine stacks in use.
func memBytes() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}
