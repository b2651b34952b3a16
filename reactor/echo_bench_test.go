package reactor

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type benchEcho struct{ BaseHandler }

func (benchEcho) ReceiveData(c *Conn, data []byte) { c.Write(data) }

// startBenchEcho runs an echo reactor on its own goroutine and returns its
// address; the reactor stops when the benchmark ends.
func startBenchEcho(tb testing.TB) string {
	r, err := New()
	require.NoError(tb, err)
	l, err := r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return benchEcho{} })
	require.NoError(tb, err)
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	tb.Cleanup(func() {
		r.Stop()
		select {
		case err := <-done:
			require.NoError(tb, err)
		case <-time.After(10 * time.Second):
			tb.Error("reactor did not stop")
		}
	})
	return l.Addr().String()
}

// BenchmarkEchoRoundTrip64 is one 64-byte round trip over loopback through
// the reactor's echo path. The target is 0 allocs/op: the read buffer is
// shared and Write copies nothing when the kernel takes the whole write.
func BenchmarkEchoRoundTrip64(b *testing.B) {
	addr := startBenchEcho(b)
	conn, err := net.Dial("tcp", addr)
	require.NoError(b, err)
	defer conn.Close()
	msg := make([]byte, 64)
	reply := make([]byte, 64)
	roundTrip := func() {
		if _, err := conn.Write(msg); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < len(reply); {
			n, err := conn.Read(reply[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	for range 1000 { // warm up: buffers, fd table, scheduler
		roundTrip()
	}
	b.ReportAllocs()
	b.SetBytes(64)
	b.ResetTimer()
	for b.Loop() {
		roundTrip()
	}
}
