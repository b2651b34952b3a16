package reactor

import "net"

// inheritsSockOpts: options are set on each accepted socket.
const inheritsSockOpts = false

// setKeepAliveTimes: OpenBSD has no per-socket keepalive timings (they
// are the sysctls net.inet.tcp.keepidle and keepintvl).
func setKeepAliveTimes(int, net.KeepAliveConfig) error { return nil }
