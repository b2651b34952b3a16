package reactor

// The datagram socket under load: the read budget, broadcast, SO_REUSEPORT,
// the send queue under EAGAIN, errors and allocations.

import (
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacketReadBudget(t *testing.T) {
	h := newHarness(t)
	p := newPacketProbe()
	const n = 3 * packetBudget
	h.do(func() {
		pc, err := h.r.ListenPacket("udp", "127.0.0.1:0", p, WithSocketBuffers(0, 1<<20))
		require.NoError(t, err)
		c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
		require.NoError(t, err)
		defer c.Close()
		for range n { // all wait in the kernel before the loop reads
			c.Write([]byte("x"))
		}
	})
	p.wait(t, n)
	per := map[uint64]int{}
	p.mu.Lock()
	for _, it := range p.iters {
		per[it]++
	}
	p.mu.Unlock()
	for it, k := range per {
		assert.LessOrEqual(t, k, packetBudget, "datagrams delivered in iteration %d", it)
	}
	assert.GreaterOrEqual(t, len(per), 3)
}

func TestPacketBroadcastOption(t *testing.T) {
	h := newHarness(t)
	bcast := netip.MustParseAddrPort("127.255.255.255:9") // the loopback's broadcast: stays on lo
	plain := h.listenPacket("udp4", "127.0.0.1:0", newPacketProbe())
	withB := h.listenPacket("udp4", "127.0.0.1:0", newPacketProbe(), WithBroadcast())
	h.do(func() {
		_, err := plain.WriteTo([]byte("x"), bcast)
		assert.ErrorIs(t, err, syscall.EACCES, "broadcast without the option")
		_, err = withB.WriteTo([]byte("x"), bcast)
		assert.NoError(t, err, "broadcast with WithBroadcast")
	})
}

func TestPacketReusePort(t *testing.T) {
	h := newHarness(t)
	a := h.listenPacket("udp", "127.0.0.1:0", newPacketProbe(), WithReusePort())
	addr := a.LocalAddr().String()
	h.listenPacket("udp", addr, newPacketProbe(), WithReusePort())
	h.do(func() {
		_, err := h.r.ListenPacket("udp", addr, newPacketProbe())
		assert.ErrorIs(t, err, syscall.EADDRINUSE, "without SO_REUSEPORT")
		_, err = h.r.ListenPacket("tcp", addr, newPacketProbe())
		assert.ErrorIs(t, err, ErrUnsupportedNetwork)
	})
}

// TestPacketQueueUnderEAGAIN fills a unix datagram receiver that does not
// read (its queue is net.unix.max_dgram_qlen datagrams): WriteTo queues
// what meets EAGAIN, drops and counts what passes the bound, and once the
// receiver reads, sends the queue in order. (Loopback UDP never pushes
// back: the loopback device frees each datagram from the sender's buffer
// as it sends it, however small SO_SNDBUF is.)
func TestPacketQueueUnderEAGAIN(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	rpath := filepath.Join(dir, "recv.sock")
	rc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: rpath, Net: "unixgram"})
	require.NoError(t, err)
	defer rc.Close()
	pc := h.listenPacket("unixgram", filepath.Join(dir, "send.sock"), newPacketProbe(), WithPacketQueue(64*(100+packetCost)))

	const total = 2000
	var refused int
	h.do(func() {
		for i := range total {
			msg := make([]byte, 100)
			msg[0], msg[1] = byte(i>>8), byte(i)
			n, err := pc.WriteToUnix(msg, rpath)
			if err != nil {
				require.ErrorIs(t, err, ErrPacketDropped)
				refused++
				continue
			}
			assert.Equal(t, 100, n)
		}
		s := pc.Stats()
		assert.Equal(t, 64, s.Queued, "the queue holds what its bound allows")
		assert.Equal(t, uint64(refused), s.Dropped)
		assert.Equal(t, uint64(total), s.Sent+s.Dropped+uint64(s.Queued))
	})
	require.Positive(t, refused, "the receiver's queue pushed back")

	// The receiver reads: the queue flushes, in order, without loss.
	var seq []int
	buf := make([]byte, 200)
	require.NoError(t, rc.SetReadDeadline(time.Now().Add(waitTimeout)))
	var s PacketStats
	for {
		h.do(func() { s = pc.Stats() })
		if s.Queued == 0 && uint64(len(seq)) == s.Sent {
			break
		}
		n, err := rc.Read(buf)
		require.NoError(t, err)
		require.Equal(t, 100, n)
		seq = append(seq, int(buf[0])<<8|int(buf[1]))
	}
	for i := 1; i < len(seq); i++ {
		assert.Less(t, seq[i-1], seq[i], "datagrams in order")
	}
	assert.Equal(t, uint64(total)-s.Dropped, uint64(len(seq)))
}

// TestPacketQueueFlushesOnWritable drives a UDP socket's queue by hand
// (loopback UDP never returns EAGAIN): queued datagrams go out when the
// socket reports writable, in order, after which write interest is off.
func TestPacketQueueFlushesOnWritable(t *testing.T) {
	h := newHarness(t)
	rc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer rc.Close()
	to := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	pc := h.listenPacket("udp", "127.0.0.1:0", newPacketProbe())
	h.do(func() {
		require.True(t, pc.out.push([]byte("one"), to, "", pc.maxOut))
		pc.waitWritable()
		_, err := pc.WriteTo([]byte("two"), to) // behind the queue
		require.NoError(t, err)
		assert.Equal(t, 2, pc.Stats().Queued)
	})
	require.NoError(t, rc.SetReadDeadline(time.Now().Add(waitTimeout)))
	buf := make([]byte, 16)
	for _, want := range []string{"one", "two"} {
		n, err := rc.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, want, string(buf[:n]))
	}
	h.do(func() {
		assert.Zero(t, pc.Stats().Queued)
		assert.False(t, pc.wantW, "write interest dropped once the queue is empty")
	})
	h.assertNoSpin("an idle PacketConn")
}

func TestPacketListenErrors(t *testing.T) {
	h := newHarness(t)
	h.do(func() {
		_, err := h.r.ListenPacket("udp", "127.0.0.1:0", nil)
		assert.Error(t, err)
		_, err = h.r.ListenPacket("udp", "127.0.0.1:notaport", newPacketProbe())
		assert.Error(t, err)
		_, err = h.r.ListenPacket("ip", "127.0.0.1", newPacketProbe())
		assert.True(t, errors.Is(err, ErrUnsupportedNetwork), "%v", err)
	})
}

// TestPacketNoAllocPerDatagram: receiving a datagram, decoding its sender
// and answering it allocate nothing.
func TestPacketNoAllocPerDatagram(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}, {"udp", "127.0.0.1:0"}} {
		t.Run(tc.network, func(t *testing.T) {
			r, err := New()
			require.NoError(t, err)
			defer r.closeTicks()
			echo := PacketFunc(func(pc *PacketConn, data []byte, from netip.AddrPort) { pc.WriteTo(data, from) })
			pc, err := r.ListenPacket(tc.network, tc.addr, echo)
			require.NoError(t, err)
			defer pc.Close()
			c := dialUDP(t, tc.network, pc)
			raw, err := c.SyscallConn()
			require.NoError(t, err)
			var cfd int
			raw.Control(func(fd uintptr) { cfd = int(fd) })
			msg, buf := []byte("ping"), make([]byte, 16)
			allocs := testing.AllocsPerRun(200, func() {
				syscall.Write(cfd, msg)
				for pc.Stats().Received == 0 || pc.stats.Sent < pc.stats.Received {
					pc.readPackets()
				}
				pc.stats.Received, pc.stats.Sent = 0, 0
				for {
					if n, _ := syscall.Read(cfd, buf); n > 0 {
						break
					}
				}
			})
			assert.Zero(t, allocs, "allocations per datagram")
		})
	}
}
