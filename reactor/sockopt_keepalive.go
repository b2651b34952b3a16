//go:build linux || freebsd || netbsd

package reactor

import (
	"net"

	"golang.org/x/sys/unix"
)

// inheritsSockOpts: accepted sockets inherit the listener's options.
const inheritsSockOpts = true

func setKeepAliveTimes(fd int, ka net.KeepAliveConfig) error {
	for _, o := range [...]struct{ name, v int }{
		{unix.TCP_KEEPIDLE, int(ka.Idle.Seconds())},
		{unix.TCP_KEEPINTVL, int(ka.Interval.Seconds())},
		{unix.TCP_KEEPCNT, ka.Count},
	} {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, o.name, max(o.v, 1)); err != nil {
			return syscallErr("setsockopt keepalive", err)
		}
	}
	return nil
}
