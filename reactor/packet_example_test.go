package reactor_test

import (
	"fmt"
	"net/netip"

	"github.com/evmachine/evmachine/reactor"
)

// A UDP echo server and a client on the same reactor, as EventMachine's
// open_datagram_socket and send_datagram: the server answers each
// datagram to its sender from inside ReceivePacket.
func ExampleReactor_ListenPacket() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		srv, err := r.ListenPacket("udp", "127.0.0.1:0", reactor.PacketFunc(
			func(pc *reactor.PacketConn, data []byte, from netip.AddrPort) {
				pc.WriteTo(data, from) // data is only valid during the call
			}))
		if err != nil {
			return err
		}
		cli, err := r.ListenPacket("udp", "127.0.0.1:0", reactor.PacketFunc(
			func(pc *reactor.PacketConn, data []byte, from netip.AddrPort) {
				fmt.Printf("client got %q\n", data)
				r.Stop()
			}))
		if err != nil {
			return err
		}
		to := netip.MustParseAddrPort(srv.LocalAddr().String())
		_, err = cli.WriteTo([]byte("hello, datagram"), to)
		return err
	})
	fmt.Println("Run returned", err)
	// Output:
	// client got "hello, datagram"
	// Run returned <nil>
}
