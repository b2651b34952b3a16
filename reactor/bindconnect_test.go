package reactor

import (
	"net"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnectWithLocalAddr: the Conn comes from the local address asked
// for, with a kernel-chosen port, and carries data as usual.
func TestConnectWithLocalAddr(t *testing.T) {
	local := "127.0.0.1"
	if runtime.GOOS == "linux" {
		local = "127.0.0.2" // all of 127/8 is loopback on Linux
	}
	h := newHarness(t)
	l, accepted := h.serve(echoSetup)
	p := h.newProbe()
	p.OnCompleted = func(c *Conn) { c.Write([]byte("hi")) }
	h.connect("tcp", l.Addr().String(), p, WithLocalAddr(local+":0"))
	server := h.accepted(accepted)
	assert.Equal(t, "hi", string(p.waitGot(t, 2)))
	h.do(func() {
		la, ok := p.Conn().LocalAddr().(*net.TCPAddr)
		require.True(t, ok)
		assert.Equal(t, local, la.IP.String())
		assert.NotZero(t, la.Port, "the kernel picked a port at connect time")
		ra := server.Conn().RemoteAddr().(*net.TCPAddr)
		assert.Equal(t, local, ra.IP.String(), "the server sees the bound address")
		p.Conn().Close()
	})
	assert.NoError(t, p.waitUnbind(t))
	server.waitUnbind(t)
}

func TestConnectWithBadLocalAddr(t *testing.T) {
	h := newHarness(t)
	l, _ := h.serve(nil)
	h.do(func() {
		_, err := h.r.Connect("tcp", l.Addr().String(), BaseHandler{}, WithLocalAddr("not an address"))
		assert.ErrorContains(t, err, `local address "not an address"`, "malformed: an error at once, no Conn")
		_, err = h.r.Connect("unix", "/tmp/x.sock", BaseHandler{}, WithLocalAddr("127.0.0.1:0"))
		assert.Error(t, err, "a local address is for tcp")
	})
	// An IPv6 local address for an IPv4 destination: Unbind with the error.
	p := h.newProbe()
	h.connect("tcp", l.Addr().String(), p, WithLocalAddr("[::1]:0"))
	err := p.waitUnbind(t)
	assert.ErrorIs(t, err, syscall.EAFNOSUPPORT)
	assert.NotContains(t, p.Events(), "completed")
}
