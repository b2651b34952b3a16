package reactor

import (
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGroupListenPacket: a Group of 2 opens one UDP socket per loop on one
// port; 200 senders (each its own source port) get their echo, from the
// loop the kernel chose for them, and both loops serve some.
func TestGroupListenPacket(t *testing.T) {
	const n, senders = 2, 200
	g, err := NewGroup(n)
	require.NoError(t, err)
	perLoop := make([]atomic.Int64, n)
	index := map[*Reactor]int{}
	for i, r := range g.Reactors() {
		index[r] = i
	}
	pcs, err := g.ListenPacket("udp", "127.0.0.1:0", func(r *Reactor) PacketHandler {
		i := index[r]
		return PacketFunc(func(pc *PacketConn, data []byte, from netip.AddrPort) {
			perLoop[i].Add(1)
			pc.WriteTo(data, from)
		})
	})
	require.NoError(t, err)
	require.Len(t, pcs, n)
	addr := pcs[0].LocalAddr().String()
	for _, pc := range pcs {
		assert.Equal(t, addr, pc.LocalAddr().String(), "one port for every loop")
	}
	ran := make(chan struct{})
	go func() { g.Run(); close(ran) }()
	dog := time.AfterFunc(watchdogTimeout, func() { panic("watchdog: " + t.Name() + " still running") })
	defer func() {
		dog.Stop()
		g.Stop()
		<-ran
	}()
	for i := range senders {
		c, err := net.Dial("udp", addr)
		require.NoError(t, err)
		msg := fmt.Sprintf("datagram %d", i)
		buf := make([]byte, 64)
		got := ""
		for try := 0; try < 5 && got == ""; try++ { // UDP: a lost datagram is sent again
			c.Write([]byte(msg))
			c.SetReadDeadline(time.Now().Add(time.Second))
			if n, err := c.Read(buf); err == nil {
				got = string(buf[:n])
			}
		}
		c.Close()
		require.Equal(t, msg, got)
	}
	for i := range perLoop {
		assert.Positive(t, perLoop[i].Load(), "loop %d served some senders", i)
	}
}
