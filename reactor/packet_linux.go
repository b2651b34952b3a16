//go:build linux

package reactor

import (
	"bytes"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the datagram calls are raw, like readFd and writeFd (the socket
// is non-blocking), datagrams are read in batches with recvmmsg(2), and
// the addresses go in and out of the kernel's sockaddr structures
// directly: no unix.Sockaddr is allocated per datagram.

// recvBatch is how many datagrams one recvmmsg(2) reads at most.
const recvBatch = 16

// packetBatch is the reactor's receive memory, shared by its
// PacketConns: recvBatch slots of 64 KiB + 1, each with its header and
// its sender's address, set up once.
type packetBatch struct {
	hdrs  [recvBatch]unix.Mmsghdr
	iovs  [recvBatch]unix.Iovec
	names [recvBatch]unix.RawSockaddrAny
	buf   []byte
}

func newPacketBatch() *packetBatch {
	b := &packetBatch{buf: make([]byte, recvBatch*(maxDatagram+1))}
	for i := range recvBatch {
		b.iovs[i].Base = &b.buf[i*(maxDatagram+1)]
		b.iovs[i].SetLen(maxDatagram + 1)
		b.hdrs[i].Hdr.Iov = &b.iovs[i]
		b.hdrs[i].Hdr.SetIovlen(1)
		b.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	}
	return b
}

// recvSome reads up to max datagrams (at most recvBatch) with one
// recvmmsg(2) and returns how many it got.
func (pc *PacketConn) recvSome(max int) (int, error) {
	b := pc.r.pkts
	n := min(max, recvBatch)
	for i := range n {
		b.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrAny
		b.hdrs[i].Hdr.Flags = 0
	}
	m, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(pc.fd), uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(n),
		unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(m), nil
}

// datagram returns the i-th datagram recvSome read and its sender
// (decoded in place), or false if it was truncated.
func (pc *PacketConn) datagram(i int) ([]byte, netip.AddrPort, bool) {
	b := pc.r.pkts
	h := &b.hdrs[i]
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 || h.Len > maxDatagram {
		return nil, netip.AddrPort{}, false
	}
	off := i * (maxDatagram + 1)
	data := b.buf[off : off+int(h.Len)]
	pc.sender = packetSender{raw: &b.names[i], len: h.Hdr.Namelen}
	switch b.names[i].Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&b.names[i]))
		return data, netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), netPort(&sa.Port)), true
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&b.names[i]))
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.Scope_id != 0 && ip.Is6() {
			ip = ip.WithZone(pc.zoneName(sa.Scope_id))
		}
		return data, netip.AddrPortFrom(ip, netPort(&sa.Port)), true
	}
	return data, netip.AddrPort{}, true
}

// packetSender is the sender of the datagram being delivered, as the
// kernel wrote it.
type packetSender struct {
	raw *unix.RawSockaddrAny
	len uint32
}

// path decodes a unix sender's path.
func (s *packetSender) path() string {
	n := int(s.len) - 2 // the family
	if s.raw == nil || s.raw.Addr.Family != unix.AF_UNIX || n <= 0 {
		return ""
	}
	sa := (*unix.RawSockaddrUnix)(unsafe.Pointer(s.raw))
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
