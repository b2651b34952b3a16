//go:build darwin || freebsd || netbsd || openbsd

package reactor

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// On the BSDs the datagram calls go through x/sys's wrappers, which
// allocate a unix.Sockaddr per datagram (Linux decodes the kernel's
// structures in place: packet_linux.go).

// recvBatch: one datagram per call here.
const recvBatch = 1

// packetBatch is the reactor's receive memory, shared by its
// PacketConns: one datagram and its sender.
type packetBatch struct {
	buf  []byte
	n    int
	from netip.AddrPort
}

func newPacketBatch() *packetBatch { return &packetBatch{buf: make([]byte, maxDatagram+1)} }

// recvSome reads one datagram.
func (pc *PacketConn) recvSome(int) (int, error) {
	b := pc.r.pkts
	n, from, err := pc.recv(b.buf)
	if err != nil {
		return 0, err
	}
	b.n, b.from = n, from
	return 1, nil
}

// datagram returns the datagram recvSome read, or false if it was
// truncated (a longer one fills the buffer).
func (pc *PacketConn) datagram(int) ([]byte, netip.AddrPort, bool) {
	b := pc.r.pkts
	if b.n > maxDatagram {
		return nil, netip.AddrPort{}, false
	}
	return b.buf[:b.n], b.from, true
}

// packetSender is the unix path of the sender of the datagram being
// delivered.
type packetSender struct{ unixPath string }

func (s *packetSender) path() string { return s.unixPath }

// recv reads one datagram into p and decodes its sender.
func (pc *PacketConn) recv(p []byte) (int, netip.AddrPort, error) {
	n, sa, err := unix.Recvfrom(pc.fd, p, 0)
	if err != nil {
		if e, ok := err.(unix.Errno); ok {
			return 0, netip.AddrPort{}, errnoErr(e)
		}
		return 0, netip.AddrPort{}, err
	}
	pc.sender.unixPath = ""
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return n, netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)), nil
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr).Unmap()
		if a.ZoneId != 0 && ip.Is6() {
			ip = ip.WithZone(pc.zoneName(a.ZoneId))
		}
		return n, netip.AddrPortFrom(ip, uint16(a.Port)), nil
	case *unix.SockaddrUnix:
		pc.sender.unixPath = a.Name
	}
	return n, netip.AddrPort{}, nil
}

// sendTo sends p as one datagram to to (or path, on a unix socket).
func sendTo(fd, family int, p []byte, to netip.AddrPort, path string) error {
	var sa unix.Sockaddr
	switch family {
	case unix.AF_INET:
		ip := to.Addr().Unmap()
		if !ip.Is4() {
			return errAddrFamily
		}
		sa = &unix.SockaddrInet4{Addr: ip.As4(), Port: int(to.Port())}
	case unix.AF_INET6:
		ip := to.Addr()
		if !ip.IsValid() {
			return errAddrFamily
		}
		sa6 := &unix.SockaddrInet6{Addr: ip.As16(), Port: int(to.Port())}
		if z := ip.Zone(); z != "" {
			sa6.ZoneId = zoneIndex(z)
		}
		sa = sa6
	default:
		if path == "" {
			return errUnixPath
		}
		sa = &unix.SockaddrUnix{Name: path}
	}
	err := unix.Sendto(fd, p, 0, sa)
	if e, ok := err.(unix.Errno); ok {
		return errnoErr(e)
	}
	return err
}
