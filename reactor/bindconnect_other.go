//go:build !linux

package reactor

// bindAddressNoPort is Linux's; elsewhere bind picks the port.
func bindAddressNoPort(int) {}
