package reactor

import (
	"bytes"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packetProbe is a PacketHandler that records what it sees (copies), runs
// an optional hook on each datagram and records PacketClosed.
type packetProbe struct {
	mu      sync.Mutex
	got     [][]byte
	from    []netip.AddrPort
	iters   []uint64
	closed  chan error
	onRecv  func(pc *PacketConn, data []byte, from netip.AddrPort)
	arrived chan struct{}
}

func newPacketProbe() *packetProbe {
	return &packetProbe{closed: make(chan error, 2), arrived: make(chan struct{}, 1<<16)}
}

func (p *packetProbe) ReceivePacket(pc *PacketConn, data []byte, from netip.AddrPort) {
	p.mu.Lock()
	p.got = append(p.got, bytes.Clone(data))
	p.from = append(p.from, from)
	p.iters = append(p.iters, pc.r.iter)
	p.mu.Unlock()
	if p.onRecv != nil {
		p.onRecv(pc, data, from)
	}
	p.arrived <- struct{}{}
}

func (p *packetProbe) PacketClosed(pc *PacketConn, reason error) { p.closed <- reason }

// wait waits for n more datagrams.
func (p *packetProbe) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-p.arrived:
		case <-time.After(waitTimeout):
			t.Fatalf("datagram not received within %v", waitTimeout)
		}
	}
}

func (p *packetProbe) datagrams() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.got...)
}

func (p *packetProbe) closeReason(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.closed:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("PacketClosed not called")
		return nil
	}
}

// echo makes the probe answer every datagram to its sender from inside
// ReceivePacket (EventMachine's send_datagram pattern).
func (p *packetProbe) echo() *packetProbe {
	p.onRecv = func(pc *PacketConn, data []byte, from netip.AddrPort) {
		if pc.family == syscall.AF_UNIX {
			pc.WriteToUnix(data, pc.SenderPath())
			return
		}
		pc.WriteTo(data, from)
	}
	return p
}

// listenPacket opens a PacketConn on the loop.
func (h *harness) listenPacket(network, addr string, ph PacketHandler, opts ...ConnOption) *PacketConn {
	h.t.Helper()
	var pc *PacketConn
	var err error
	h.do(func() { pc, err = h.r.ListenPacket(network, addr, ph, opts...) })
	require.NoError(h.t, err)
	return pc
}

// dialUDP opens a connected client socket to pc, closed at cleanup.
func dialUDP(t *testing.T, network string, pc *PacketConn) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP(network, nil, pc.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends msg and reads the answer.
func roundTrip(t *testing.T, c net.Conn, msg []byte) []byte {
	t.Helper()
	_, err := c.Write(msg)
	require.NoError(t, err)
	buf := make([]byte, maxDatagram+1)
	n, err := c.Read(buf)
	require.NoError(t, err)
	return buf[:n]
}

func TestPacketReplyFromReceivePacket(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe().echo()
	pc := h.listenPacket("udp", "127.0.0.1:0", p)
	c := dialUDP(t, "udp", pc)

	assert.Equal(t, "hello", string(roundTrip(t, c, []byte("hello"))))
	p.mu.Lock()
	from := p.from[0]
	p.mu.Unlock()
	assert.Equal(t, c.LocalAddr().(*net.UDPAddr).AddrPort(), from, "the sender")
	h.do(func() {
		s := pc.Stats()
		assert.Equal(t, uint64(1), s.Received)
		assert.Equal(t, uint64(1), s.Sent)
	})
}

func TestPacketSizes(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe().echo()
	pc := h.listenPacket("udp4", "127.0.0.1:0", p)
	c := dialUDP(t, "udp", pc)

	big := pattern(65507, 3) // the largest UDP payload over IPv4
	for _, msg := range [][]byte{big, {}, []byte("x"), pattern(16<<10+1, 5)} {
		got := roundTrip(t, c, msg)
		assert.Equal(t, len(msg), len(got))
		assert.True(t, bytes.Equal(msg, got), "datagram of %d bytes echoed intact", len(msg))
	}
	got := p.datagrams()
	require.Len(t, got, 4)
	assert.Len(t, got[1], 0, "a zero-length datagram is delivered")
}

func TestPacketIPv6(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe().echo()
	pc := h.listenPacket("udp6", "[::1]:0", p)
	assert.Equal(t, "::1", pc.LocalAddr().(*net.UDPAddr).IP.String())
	c := dialUDP(t, "udp6", pc)
	assert.Equal(t, "v6", string(roundTrip(t, c, []byte("v6"))))
	p.mu.Lock()
	assert.Equal(t, netip.IPv6Loopback(), p.from[0].Addr())
	p.mu.Unlock()

	// A dual-stack socket sees an IPv4 sender unmapped and answers it.
	p4 := newPacketProbe().echo()
	dual := h.listenPacket("udp", ":0", p4)
	port := dual.LocalAddr().(*net.UDPAddr).Port
	c4, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	require.NoError(t, err)
	defer c4.Close()
	require.NoError(t, c4.SetDeadline(time.Now().Add(waitTimeout)))
	assert.Equal(t, "v4", string(roundTrip(t, c4, []byte("v4"))))
	p4.mu.Lock()
	assert.True(t, p4.from[0].Addr().Is4(), "IPv4 sender unmapped: %v", p4.from[0])
	p4.mu.Unlock()

	// An IPv6 destination on an IPv4 socket is an error, not a crash.
	v4 := h.listenPacket("udp4", "127.0.0.1:0", newPacketProbe())
	h.do(func() {
		_, err := v4.WriteTo([]byte("x"), netip.MustParseAddrPort("[::1]:9"))
		assert.Error(t, err)
		assert.False(t, v4.Closed())
	})
}

func TestPacketUnixgram(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "srv.sock")
	p := newPacketProbe().echo()
	pc := h.listenPacket("unixgram", path, p)
	assert.Equal(t, path, pc.LocalAddr().String())

	cpath := filepath.Join(dir, "cli.sock")
	c, err := net.DialUnix("unixgram", &net.UnixAddr{Name: cpath, Net: "unixgram"}, &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	assert.Equal(t, "ping", string(roundTrip(t, c, []byte("ping"))))
	assert.Equal(t, "", string(roundTrip(t, c, nil)), "zero-length")

	// Over 64 KiB (only unixgram can): dropped and counted, the next one
	// goes through.
	_, err = c.Write(make([]byte, maxDatagram+100))
	require.NoError(t, err)
	assert.Equal(t, "after", string(roundTrip(t, c, []byte("after"))))
	h.do(func() {
		assert.Equal(t, uint64(1), pc.Stats().Truncated)
		_, err := pc.WriteTo([]byte("x"), netip.MustParseAddrPort("127.0.0.1:9"))
		assert.Error(t, err, "WriteTo on unixgram")
		assert.NoError(t, pc.Close())
	})
	assert.NoError(t, p.closeReason(t))
	assert.NoFileExists(t, path, "socket file removed on Close")
}

func TestPacketCloseInsideReceivePacket(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe()
	p.onRecv = func(pc *PacketConn, _ []byte, _ netip.AddrPort) {
		assert.NoError(t, pc.Close())
		assert.ErrorIs(t, pc.Close(), ErrClosed)
		_, err := pc.WriteTo([]byte("x"), netip.MustParseAddrPort("127.0.0.1:9"))
		assert.ErrorIs(t, err, ErrClosed)
	}
	var pc *PacketConn
	// Three datagrams wait before the loop reads: one is delivered.
	h.do(func() {
		var err error
		pc, err = h.r.ListenPacket("udp", "127.0.0.1:0", p)
		require.NoError(t, err)
		c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
		require.NoError(t, err)
		defer c.Close()
		for range 3 {
			c.Write([]byte("x"))
		}
	})
	p.wait(t, 1)
	assert.NoError(t, p.closeReason(t))
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, p.datagrams(), 1, "nothing delivered after Close")
	h.do(func() { assert.Equal(t, -1, pc.Fd()) })
}

func TestPacketStopClosesIt(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe()
	h.listenPacket("udp", "127.0.0.1:0", p)
	h.stop()
	assert.ErrorIs(t, p.closeReason(t), ErrStopped)
}

func TestPacketShutdownClosesIt(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe()
	h.listenPacket("udp", "127.0.0.1:0", p)
	require.NoError(t, h.r.Shutdown(t.Context()))
	assert.NoError(t, p.closeReason(t))
}

func TestPacketPanicKeepsServing(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe()
	p.onRecv = func(pc *PacketConn, data []byte, from netip.AddrPort) {
		if string(data) == "boom" {
			panic("bad datagram")
		}
		pc.WriteTo(data, from)
	}
	pc := h.listenPacket("udp", "127.0.0.1:0", p)
	c := dialUDP(t, "udp", pc)
	_, err := c.Write([]byte("boom"))
	require.NoError(t, err)
	assert.Equal(t, "ok", string(roundTrip(t, c, []byte("ok"))))
	assert.Contains(t, h.logs.String(), "bad datagram")
	h.do(func() { assert.False(t, pc.Closed()) })
}
