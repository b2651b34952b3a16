package reactor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// Pre-built errors for the hot path, so EAGAIN costs no allocation.
var (
	errAgain error = unix.EAGAIN
	errIntr  error = unix.EINTR
)

func errnoErr(e unix.Errno) error {
	switch e {
	case unix.EAGAIN:
		return errAgain
	case unix.EINTR:
		return errIntr
	}
	return e
}

// syscallErr wraps an errno with the call's name; errors.Is(err,
// syscall.ECONNRESET) and friends hold.
func syscallErr(call string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return os.NewSyscallError(call, errno)
	}
	return err
}

// closeFd closes fd. close(2) is not retried on EINTR: on Linux the fd
// is released whatever close returns, so a retry could close an fd another
// goroutine has just been given.
func closeFd(fd int) { unix.Close(fd) }

// sockError returns the error pending on fd (SO_ERROR) wrapped, or def
// when none is pending or fd is not a socket (an attached pipe).
func sockError(fd int, def error) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == unix.ENOTSOCK {
		return def
	}
	if err != nil {
		return syscallErr("getsockopt", err)
	}
	if v != 0 {
		return os.NewSyscallError("socket", unix.Errno(v))
	}
	return def
}

// sockname returns the local (peer=false) or remote address of fd.
func sockname(fd int, peer bool) net.Addr {
	var sa unix.Sockaddr
	var err error
	if peer {
		sa, err = unix.Getpeername(fd)
	} else {
		sa, err = unix.Getsockname(fd)
	}
	if err != nil {
		return nil
	}
	return toNetAddr(sa)
}

func toNetAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		zone := ""
		if a.ZoneId != 0 {
			if ifc, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				zone = ifc.Name
			}
		}
		return &net.TCPAddr{IP: ip.AsSlice(), Port: a.Port, Zone: zone}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

// tcpSockaddr turns an IP and port into a socket address and its family.
// An IPv4-mapped IPv6 address stays IPv6 only for tcp6.
func tcpSockaddr(ip netip.Addr, port int, network string) (unix.Sockaddr, int) {
	if ip.Is4In6() && network != "tcp6" {
		ip = ip.Unmap()
	}
	if ip.Is4() {
		return &unix.SockaddrInet4{Addr: ip.As4(), Port: port}, unix.AF_INET
	}
	sa := &unix.SockaddrInet6{Addr: ip.As16(), Port: port}
	if z := ip.Zone(); z != "" {
		if ifc, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifc.Index)
		}
	}
	return sa, unix.AF_INET6
}

func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return nil
	}
	return fmt.Errorf("%w %q: want tcp, tcp4, tcp6 or unix", ErrUnsupportedNetwork, network)
}
