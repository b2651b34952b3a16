package websocket

import (
	"bytes"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// TestBroadcastSharesTheFrame broadcasts to 1,000 server connections and
// checks that every client receives the same frame, and that the heap did
// not grow by a copy per connection.
func TestBroadcastSharesTheFrame(t *testing.T) {
	const n = 1000
	opened := make(chan *Conn, n)
	cfg := &Config{Logger: quietLog, Handlers: Handlers{OnOpen: func(c *Conn) { opened <- c }}}
	r, addr := listenEcho(t, cfg)
	peers := make([]*peer, n)
	conns := make([]*Conn, n)
	for i := range n {
		peers[i] = serverPeer(t, addr, "")
		conns[i] = wait(t, opened, "open")
	}
	msg := bytes.Repeat([]byte("tick "), 400) // 2,000 bytes
	var sent int
	var allocated uint64
	onLoop(t, r, func() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sent = Broadcast(conns, OpText, msg)
		runtime.ReadMemStats(&after)
		allocated = after.TotalAlloc - before.TotalAlloc
	})
	assert.Equal(t, n, sent)
	assert.Less(t, allocated, uint64(n*len(msg)/4), "broadcast allocated %d bytes for %d connections", allocated, n)
	for i, p := range peers {
		o := p.awaitEvents(1)
		require.Equal(t, []Event{text(string(msg))}, o.events, "peer %d", i)
	}
}

// TestBackpressurePausesTheProducer: a server streams to a client that
// does not read; the producer stops at its high-water mark and goes on in
// OnDrained, so the backlog stays bounded, and every message arrives in
// order once the client reads.
func TestBackpressurePausesTheProducer(t *testing.T) {
	const total, highWater = 2000, 256 << 10
	chunk := bytes.Repeat([]byte{0xab}, 8<<10)
	maxBacklog := make(chan int, 1)
	var produce func(c *Conn)
	next, peak := 0, 0
	produce = func(c *Conn) {
		for next < total && c.OutboundSize() < highWater {
			chunk[0] = byte(next)
			c.SendBinary(chunk)
			next++
			peak = max(peak, c.OutboundSize())
		}
		if next == total {
			maxBacklog <- peak
		}
	}
	cfg := &Config{Logger: quietLog, Handlers: Handlers{OnOpen: produce, OnDrained: produce}}
	_, addr := listenEcho(t, cfg, reactor.WithNoDelay(true))
	p := serverPeer(t, addr, "")
	time.Sleep(300 * time.Millisecond) // the client does not read: the server's backlog builds up
	select {
	case <-maxBacklog:
		t.Fatal("the producer finished while the client was not reading")
	default:
	}
	p.conn.(*net.TCPConn).SetReadBuffer(64 << 10)
	for i := range total {
		ev, err := p.next(watchdog)
		require.NoError(t, err)
		require.Len(t, ev.Payload, len(chunk))
		require.Equal(t, byte(i), ev.Payload[0], "message %d out of order", i)
	}
	peakSeen := wait(t, maxBacklog, "producer done")
	assert.Less(t, peakSeen, highWater+len(chunk)+64, "backlog beyond the high-water mark")
}

// TestPingFloodIsBounded: a peer that sends pings and never reads the
// pongs does not grow the server's backlog beyond about pongBacklog.
func TestPingFloodIsBounded(t *testing.T) {
	peak := make(chan int, 1)
	pings := 0
	biggest := 0
	cfg := &Config{Logger: quietLog, Handlers: Handlers{OnPing: func(c *Conn, _ []byte) {
		pings++
		biggest = max(biggest, c.OutboundSize())
		if pings == 100000 {
			peak <- biggest
		}
	}}}
	_, addr := listenEcho(t, cfg)
	p := serverPeer(t, addr, "")
	ping := p.frame(true, OpPing, 0, bytes.Repeat([]byte{'p'}, 125))
	batch := bytes.Repeat(ping, 1000)
	go func() { // 100,000 pings, 13 MB of pongs owed; the peer reads none
		for range 100 {
			if _, err := p.conn.Write(batch); err != nil {
				return
			}
		}
	}()
	got := wait(t, peak, "100,000 pings")
	assert.Less(t, got, pongBacklog+64<<10, "backlog of unanswered pongs")
}
