package reactor

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// localBind is the local address an outbound Conn binds to before
// connecting (WithLocalAddr); the zero value binds nothing.
type localBind struct {
	addr netip.AddrPort
	err  error // a malformed WithLocalAddr, reported by Connect
}

// WithLocalAddr binds an outbound TCP connection to a local address before
// connecting, as EventMachine's bind_connect. addr is "ip:port" with an IP
// literal; port 0 lets the kernel pick the port at connect time (on Linux
// with IP_BIND_ADDRESS_NO_PORT, so that the same port can serve several
// local addresses: a load generator spreading its connections over
// 127.0.0.1, 127.0.0.2, ... is not limited to one ephemeral port range).
// A malformed addr makes Connect return an error; an address of the wrong
// family, or one in use, closes the Conn with the bind error. Listen
// ignores it.
func WithLocalAddr(addr string) ConnOption {
	return func(c *connConfig) {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			c.local = localBind{err: fmt.Errorf("reactor: local address %q: %w", addr, err)}
			return
		}
		c.local = localBind{addr: ap}
	}
}

// check reports what Connect can know at once.
func (b localBind) check(network string) error {
	if b.err != nil {
		return b.err
	}
	if b.addr.IsValid() && network == "unix" {
		return fmt.Errorf("reactor: a local address applies to tcp, not %s", network)
	}
	return nil
}

// bind binds fd to the local address, if one was given.
func (b localBind) bind(fd, family int) error {
	if !b.addr.IsValid() {
		return nil
	}
	ip, port := b.addr.Addr(), int(b.addr.Port())
	var sa unix.Sockaddr
	switch {
	case family == unix.AF_INET && ip.Unmap().Is4():
		sa = &unix.SockaddrInet4{Addr: ip.Unmap().As4(), Port: port}
	case family == unix.AF_INET6:
		sa = &unix.SockaddrInet6{Addr: ip.As16(), Port: port}
	default:
		return unix.EAFNOSUPPORT
	}
	if port == 0 {
		bindAddressNoPort(fd)
	}
	return unix.Bind(fd, sa)
}
