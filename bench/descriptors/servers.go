//go:build linux

package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"

	"github.com/evmachine/evmachine/reactor"
)

// runServer is the -serve side: one server, printing READY <addr> once it
// listens, until it is killed.
func runServer(mode, file string) error {
	switch mode {
	case "udp-evm":
		return reactor.Run(func(r *reactor.Reactor) error {
			pc, err := r.ListenPacket("udp4", "127.0.0.1:0", reactor.PacketFunc(func(pc *reactor.PacketConn, data []byte, from netip.AddrPort) {
				pc.WriteTo(data, from)
			}))
			if err != nil {
				return err
			}
			fmt.Println("READY", pc.LocalAddr())
			return nil
		})
	case "udp-net":
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		fmt.Println("READY", c.LocalAddr())
		buf := make([]byte, 64<<10)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return err
			}
			c.WriteToUDPAddrPort(buf[:n], from)
		}
	case "file-evm":
		return reactor.Run(func(r *reactor.Reactor) error {
			l, err := r.Listen("tcp", "127.0.0.1:0", func(c *reactor.Conn) reactor.Handler {
				return &reactor.HandlerFuncs{OnPostInit: func(c *reactor.Conn) {
					f, err := os.Open(file)
					if err != nil {
						c.Close()
						return
					}
					c.SendFile(f, 0, -1, func(int64, error) { c.CloseAfterWriting() })
					f.Close() // SendFile reads its own duplicate
				}}
			})
			if err != nil {
				return err
			}
			fmt.Println("READY", l.Addr())
			return nil
		})
	case "file-net":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		fmt.Println("READY", l.Addr())
		for {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			go func() {
				defer c.Close()
				f, err := os.Open(file)
				if err != nil {
					return
				}
				defer f.Close()
				io.Copy(c, f)
			}()
		}
	}
	return fmt.Errorf("unknown server %q", mode)
}
