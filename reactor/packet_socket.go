package reactor

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// packetSocket creates, configures and binds the datagram socket.
func packetSocket(network, addr string, cc *connConfig) (int, int, error) {
	var sa unix.Sockaddr
	family := unix.AF_UNIX
	switch network {
	case "unixgram":
		if err := clearStaleSocket(addr); err != nil {
			return -1, 0, err
		}
		sa = &unix.SockaddrUnix{Name: addr}
	case "udp", "udp4", "udp6":
		ua, err := net.ResolveUDPAddr(network, addr)
		if err != nil {
			return -1, 0, err
		}
		ip, _ := netip.AddrFromSlice(ua.IP)
		if !ip.IsValid() { // no host: every address, dual-stack unless udp4
			ip = netip.IPv6Unspecified()
			if network == "udp4" {
				ip = netip.IPv4Unspecified()
			}
		}
		tcpNet := "tcp"
		if network == "udp6" {
			tcpNet = "tcp6"
		}
		sa, family = tcpSockaddr(ip.WithZone(ua.Zone), ua.Port, tcpNet)
	default:
		return -1, 0, fmt.Errorf("%w %q: want udp, udp4, udp6 or unixgram", ErrUnsupportedNetwork, network)
	}
	fd, err := socketFd(family, unix.SOCK_DGRAM)
	if err != nil {
		return -1, 0, syscallErr("socket", err)
	}
	if err := setPacketOpts(fd, family, network, cc); err != nil {
		closeFd(fd)
		return -1, 0, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		closeFd(fd)
		return -1, 0, syscallErr("bind", err)
	}
	return fd, family, nil
}

func setPacketOpts(fd, family int, network string, cc *connConfig) error {
	if family != unix.AF_UNIX {
		if cc.listen.reusePort {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
				return syscallErr("setsockopt SO_REUSEPORT", err)
			}
		}
		if cc.broadcast {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
				return syscallErr("setsockopt SO_BROADCAST", err)
			}
		}
	}
	if family == unix.AF_INET6 {
		v6only := 0
		if network == "udp6" {
			v6only = 1
		}
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
	}
	so := cc.sock
	so.keepAlive.Enable = false // not a stream
	so.linger = -1
	if family == unix.AF_UNIX {
		so.tos = -1
	}
	if err := so.setInherited(fd, family); err != nil {
		return err
	}
	return so.runControl(fd)
}

// packetNetAddr is the net.Addr of a datagram socket's address.
func packetNetAddr(sa unix.Sockaddr, network string) net.Addr {
	switch a := toNetAddr(sa).(type) {
	case *net.TCPAddr:
		return &net.UDPAddr{IP: a.IP, Port: a.Port, Zone: a.Zone}
	case *net.UnixAddr:
		return &net.UnixAddr{Name: a.Name, Net: network}
	}
	return nil
}

// Destination errors of WriteTo and WriteToUnix.
var (
	errAddrFamily = &net.AddrError{Err: "address does not suit the socket's family"}
	errUnixPath   = &net.AddrError{Err: "unix socket path empty or too long"}
)

// zoneName returns the interface name of an IPv6 scope id, cached.
func (pc *PacketConn) zoneName(id uint32) string {
	if z, ok := pc.zones[id]; ok {
		return z
	}
	z := strconv.FormatUint(uint64(id), 10)
	if ifc, err := net.InterfaceByIndex(int(id)); err == nil {
		z = ifc.Name
	}
	if pc.zones == nil {
		pc.zones = make(map[uint32]string)
	}
	pc.zones[id] = z
	return z
}

// zoneIndex returns the scope id of an IPv6 zone (an interface name or a
// number).
func zoneIndex(zone string) uint32 {
	if ifc, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifc.Index)
	}
	n, _ := strconv.ParseUint(zone, 10, 32)
	return uint32(n)
}
