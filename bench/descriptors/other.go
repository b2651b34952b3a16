//go:build !linux

// Command descriptors measures evmachine's datagram sockets and SendFile
// (Linux only: it pins processes and reads /proc).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench/descriptors runs on Linux only")
	os.Exit(1)
}
