//go:build linux

package reactor

import "golang.org/x/sys/unix"

// bindAddressNoPort defers the choice of the local port from bind to
// connect, where the kernel knows the whole 4-tuple and can share ports.
func bindAddressNoPort(fd int) {
	unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
}
