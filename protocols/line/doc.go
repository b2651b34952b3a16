// Package line turns a byte stream into lines and binary blocks, as
// EventMachine's LineText2, for line protocols that carry payloads
// (memcache values, SMTP DATA, STOMP frames, HTTP bodies): a configurable
// delimiter, a byte string (default "\n", with a "\r" before it stripped
// too, so "\r\n" lines work) or a regular expression (/\r?\n/), changeable
// from line to line; a maximum line length (nothing beyond it is buffered);
// and a binary mode for the next N bytes, or until switched back.
//
// The package has two layers. Parser is the pure framing: bytes in through
// Feed, lines and binary data out through a Sink, no reactor involved, so
// it can frame any stream. Handler plugs a Parser into a reactor
// connection: it is a reactor.Handler whose ReceiveData feeds the parser
// and whose Sink calls the program's Receiver with the Conn:
//
//	_, err := r.Listen("tcp", addr, func(c *reactor.Conn) reactor.Handler {
//		return line.NewHandler(line.ReceiverFunc(func(c *reactor.Conn, l []byte) {
//			c.Write(append(l, '\n'))
//		}))
//	})
//	if err != nil {
//		return err // in Run's setup: stops the reactor, and Run returns it
//	}
//
// Binary mode, as LineText2: after SetBinaryMode(n) the next n bytes
// arrive in one ReceiveBinaryData call however they were read, then
// ReceiveEndOfBinaryData runs, in line mode already so that it (or
// ReceiveBinaryData) may chain another block. Such a block is collected up
// to a maximum (DefaultMaxBinaryLength, 32 MiB, LineText2's
// MaxBinaryLength; see SetMaxBinaryLength); a longer one is an error
// wrapping ErrBinaryTooLong. For large bodies SetStreamingBinary (or
// WithStreamingBinary) hands sized blocks over in pieces as they are read
// instead, with no maximum. SetBinaryMode(Unbounded), LineText2's
// set_binary_mode with no size, hands everything over as it arrives until
// SetLineMode. SetLineMode(data) hands bytes back to be parsed as lines
// before the rest of the stream, LineText2's set_line_mode(data): the part
// of a binary piece that belongs to the lines after it, say.
//
// Lines and binary data are handed over as slices that are valid only
// during the call, usually straight out of the reactor's read buffer: a
// line or block that arrived whole is never copied, and one split across
// reads is copied once. Many lines in one read and a line split anywhere
// across reads cost time linear in the bytes.
//
// A line longer than the maximum, or a sized block longer than the binary
// maximum, is an error given to the Receiver's LineError if it has one (the
// line is then skipped up to the next delimiter, the block skipped, and
// framing goes on); otherwise the Handler closes the connection and the
// Receiver's Unbind gets an error wrapping ErrLineTooLong or
// ErrBinaryTooLong.
//
// Differences from LineText2, on purpose: a multi-byte delimiter or a
// regular-expression match split across reads is found (LineText2 misses
// both); bytes handed back from a callback are parsed once it returns, not
// inside the call (so after ReceiveEndOfBinaryData when handed back from
// the ReceiveBinaryData of a sized block, where LineText2 parses them
// before); a partial line buffered when binary mode starts from outside a
// callback belongs to the block rather than being lost.
//
// Parser and Handler are not safe for concurrent use. A Handler and the
// Receiver's callbacks belong to the reactor goroutine: its methods must be
// called there, as every Conn method.
package line
