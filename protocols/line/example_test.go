package line_test

import (
	"fmt"
	"log"

	"github.com/evmachine/evmachine/protocols/line"
	"github.com/evmachine/evmachine/reactor"
)

// printer is a Sink that prints what the Parser finds; a line "SIZE n"
// announces n bytes of binary data.
type printer struct{ p *line.Parser }

func (s *printer) Line(l []byte) {
	fmt.Printf("line %q\n", l)
	var n int64
	if _, err := fmt.Sscanf(string(l), "SIZE %d", &n); err == nil {
		s.p.SetBinaryMode(n)
	}
}
func (s *printer) BinaryData(d []byte) { fmt.Printf("data %q\n", d) }
func (s *printer) EndOfBinaryData()    { fmt.Println("end of data") }
func (s *printer) LineError(err error) { fmt.Println("error:", err) }

func ExampleParser() {
	s := &printer{}
	s.p = line.NewParser(s, line.WithMaxLineLength(16))
	s.p.Feed([]byte("HELLO\r\nSIZE 4\nab\ncd"))
	s.p.Feed([]byte("\nTHIS LINE IS FAR TOO LONG\nBYE\n"))
	// Output:
	// line "HELLO"
	// line "SIZE 4"
	// data "ab\nc"
	// end of data
	// line "d"
	// error: line: line too long: more than 16 bytes before the delimiter "\n"
	// line "BYE"
}

// A line server on 127.0.0.1:8086 that answers every line.
func ExampleNewHandler() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := r.Listen("tcp", "127.0.0.1:8086", func(*reactor.Conn) reactor.Handler {
			return line.NewHandler(line.ReceiverFunc(func(c *reactor.Conn, l []byte) {
				fmt.Fprintf(c, "you said: %s\r\n", l)
			}), line.WithMaxLineLength(1024))
		})
		return err // a port in use stops the reactor, and Run returns it
	})
	if err != nil {
		log.Fatal(err)
	}
}
