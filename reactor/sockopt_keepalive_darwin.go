package reactor

import (
	"net"

	"golang.org/x/sys/unix"
)

// inheritsSockOpts: options are set on each accepted socket.
const inheritsSockOpts = false

func setKeepAliveTimes(fd int, ka net.KeepAliveConfig) error {
	for _, o := range [...]struct{ name, v int }{
		{unix.TCP_KEEPALIVE, int(ka.Idle.Seconds())}, // darwin's name for the idle time
		{unix.TCP_KEEPINTVL, int(ka.Interval.Seconds())},
		{unix.TCP_KEEPCNT, ka.Count},
	} {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, o.name, max(o.v, 1)); err != nil {
			return syscallErr("setsockopt keepalive", err)
		}
	}
	return nil
}
