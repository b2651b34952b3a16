package reactor

import (
	"net"
	"strconv"
)

// ListenPacket opens one datagram socket per reactor on network and addr,
// each served on its own reactor by the PacketHandler newHandler returns
// for it. On Linux, for udp networks, SO_REUSEPORT is set and the kernel
// spreads the senders over the sockets (port 0 picks one free port for
// all of them); a unixgram socket, and a udp one where the kernel does not
// balance, is opened on the first reactor only. It returns the sockets
// opened, or an error (and closes those opened). Safe from any goroutine
// other than the reactors' own; before Run, from the goroutine that made
// the Group.
func (g *Group) ListenPacket(network, addr string, newHandler func(r *Reactor) PacketHandler, opts ...ConnOption) ([]*PacketConn, error) {
	rs := g.rs
	if network == "unixgram" || !reusePortBalances {
		rs = rs[:1]
	} else {
		opts = append(opts[:len(opts):len(opts)], WithReusePort())
	}
	var opened []*PacketConn
	for i, r := range rs {
		pc, err := onReactor(r, func() (*PacketConn, error) { return r.ListenPacket(network, addr, newHandler(r), opts...) })
		if err != nil {
			for j, pc := range opened {
				onReactor(rs[j], func() (*PacketConn, error) { return nil, pc.Close() })
			}
			return nil, err
		}
		if i == 0 {
			if ua, ok := pc.LocalAddr().(*net.UDPAddr); ok { // port 0: the others take the same port
				host, _, _ := net.SplitHostPort(addr)
				addr = net.JoinHostPort(host, strconv.Itoa(ua.Port))
			}
		}
		opened = append(opened, pc)
	}
	return opened, nil
}
