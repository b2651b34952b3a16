// Package line turns a byte stream into lines, as EventMachine's LineText2:
// a configurable delimiter (default "\n", with a "\r" before it stripped
// too, so "\r\n" lines work), a maximum line length (nothing beyond it is
// buffered), and a binary mode for the next N bytes, or until switched
// back, for protocols that mix lines and payloads (memcache values, SMTP
// DATA, HTTP bodies).
//
// The package has two layers. Parser is the pure framing: bytes in through
// Feed, lines and binary data out through a Sink, no reactor involved, so
// it can frame any stream. Handler plugs a Parser into a reactor
// connection: it is a reactor.Handler whose ReceiveData feeds the parser
// and whose Sink calls the program's Receiver with the Conn:
//
//	r.Listen("tcp", addr, func(c *reactor.Conn) reactor.Handler {
//		return line.NewHandler(line.ReceiverFunc(func(c *reactor.Conn, l []byte) {
//			c.Write(append(l, '\n'))
//		}))
//	})
//
// Lines and binary data are handed over as slices that are valid only
// during the call, usually straight out of the reactor's read buffer: a
// line that arrived whole is never copied, and a line split across reads is
// copied once. Many lines in one read and a line split anywhere across reads
// cost time linear in the bytes.
//
// A line longer than the maximum is an error given to the Receiver's
// LineError if it has one (the line is then skipped up to the next
// delimiter and framing goes on); otherwise the Handler closes the
// connection and the Receiver's Unbind gets an error wrapping
// ErrLineTooLong.
//
// Differences from LineText2: binary data is streamed in pieces as it
// arrives (ReceiveBinaryData, then ReceiveEndOfBinaryData once the N bytes
// are through) rather than collected into one call, so a large payload is
// never buffered; delimiters are byte strings, not regular expressions; and
// a multi-byte delimiter split across reads is found.
//
// Parser and Handler are not safe for concurrent use. A Handler and the
// Receiver's callbacks belong to the reactor goroutine: its methods must be
// called there, as every Conn method.
package line
