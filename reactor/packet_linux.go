//go:build linux

package reactor

import (
	"bytes"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the datagram calls are raw, like readFd and writeFd (the socket
// is non-blocking), and the addresses go in and out of the kernel's
// sockaddr structures directly: no unix.Sockaddr is allocated per datagram.

// packetSender is the sender of the datagram being delivered, as the
// kernel wrote it.
type packetSender struct {
	raw unix.RawSockaddrAny
	len uint32
}

// recv reads one datagram into p and decodes its sender.
func (pc *PacketConn) recv(p []byte) (int, netip.AddrPort, error) {
	s := &pc.sender
	s.len = unix.SizeofSockaddrAny
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(pc.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0,
		uintptr(unsafe.Pointer(&s.raw)), uintptr(unsafe.Pointer(&s.len)))
	if e != 0 {
		return 0, netip.AddrPort{}, errnoErr(e)
	}
	switch s.raw.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.raw))
		return int(n), netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), netPort(&sa.Port)), nil
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&s.raw))
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.Scope_id != 0 && ip.Is6() {
			ip = ip.WithZone(pc.zoneName(sa.Scope_id))
		}
		return int(n), netip.AddrPortFrom(ip, netPort(&sa.Port)), nil
	}
	return int(n), netip.AddrPort{}, nil
}

// path decodes a unix sender's path.
func (s *packetSender) path() string {
	n := int(s.len) - 2 // the family
	if s.raw.Addr.Family != unix.AF_UNIX || n <= 0 {
		return ""
	}
	sa := (*unix.RawSockaddrUnix)(unsafe.Pointer(&s.raw))
	b := unsafe.Slice((*byte)(unsafe.Pointer(&sa.Path[0])), min(n, len(sa.Path)))
	if b[0] == 0 {
		return "@" + string(b[1:]) // abstract: the length says where it ends
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// sendTo sends p as one datagram to to (or path, on a unix socket).
func sendTo(fd, family int, p []byte, to netip.AddrPort, path string) error {
	var raw unix.RawSockaddrAny
	salen, err := encodeSockaddr(&raw, family, to, path)
	if err != nil {
		return err
	}
	var base unsafe.Pointer
	if len(p) > 0 {
		base = unsafe.Pointer(&p[0])
	}
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(base), uintptr(len(p)), 0,
		uintptr(unsafe.Pointer(&raw)), uintptr(salen))
	if e != 0 {
		return errnoErr(e)
	}
	return nil
}

// encodeSockaddr writes the kernel's form of the destination into raw and
// returns its length.
func encodeSockaddr(raw *unix.RawSockaddrAny, family int, to netip.AddrPort, path string) (uint32, error) {
	switch family {
	case unix.AF_INET:
		ip := to.Addr().Unmap()
		if !ip.Is4() {
			return 0, errAddrFamily
		}
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		sa.Family = unix.AF_INET
		putPort(&sa.Port, to.Port())
		sa.Addr = ip.As4()
		return unix.SizeofSockaddrInet4, nil
	case unix.AF_INET6:
		ip := to.Addr()
		if !ip.IsValid() {
			return 0, errAddrFamily
		}
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		sa.Family = unix.AF_INET6
		putPort(&sa.Port, to.Port())
		sa.Addr = ip.As16() // an IPv4 address: IPv4-mapped
		if z := ip.Zone(); z != "" {
			sa.Scope_id = zoneIndex(z)
		}
		return unix.SizeofSockaddrInet6, nil
	}
	sa := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
	if len(path) == 0 || len(path) >= len(sa.Path) {
		return 0, errUnixPath
	}
	sa.Family = unix.AF_UNIX
	for i := range len(path) {
		sa.Path[i] = int8(path[i])
	}
	n := 2 + len(path) + 1
	if path[0] == '@' { // abstract: no trailing NUL
		sa.Path[0] = 0
		n--
	}
	return uint32(n), nil
}

// netPort and putPort read and write a port in network byte order.
func netPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

func datagramFd(domain int) (int, error) {
	return unix.Socket(domain, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}
