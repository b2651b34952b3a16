package reactor

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Linux abstract unix addresses ("@name") work both ways: the sender's
// name comes back from SenderPath and WriteToUnix answers it.
func TestPacketUnixgramAbstract(t *testing.T) {
	h := newHarness(t)
	srv := fmt.Sprintf("@evm-test-srv-%d", os.Getpid())
	cli := fmt.Sprintf("@evm-test-cli-%d", os.Getpid())
	p := newPacketProbe().echo()
	h.listenPacket("unixgram", srv, p)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: cli, Net: "unixgram"})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	_, err = c.WriteTo([]byte("abstract"), &net.UnixAddr{Name: srv, Net: "unixgram"})
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, from, err := c.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "abstract", string(buf[:n]))
	assert.Equal(t, srv, from.String())
}

// Two sockets on one port with WithReusePort (one per reactor of a Group,
// say): Linux spreads the senders over both.
func TestPacketReusePortSpreads(t *testing.T) {
	h := newHarness(t)
	a, b := newPacketProbe(), newPacketProbe()
	pa := h.listenPacket("udp4", "127.0.0.1:0", a, WithReusePort())
	h.listenPacket("udp4", pa.LocalAddr().String(), b, WithReusePort())
	const senders = 32
	for range senders {
		c := dialUDP(t, "udp4", pa)
		_, err := c.Write([]byte("x"))
		require.NoError(t, err)
	}
	deadline := time.Now().Add(waitTimeout)
	for len(a.datagrams())+len(b.datagrams()) < senders && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, senders, len(a.datagrams())+len(b.datagrams()))
	assert.NotEmpty(t, a.datagrams(), "the first socket got some senders")
	assert.NotEmpty(t, b.datagrams(), "the second socket got some senders")
}
