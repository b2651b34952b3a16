// Package reactor is evmachine's event loop: EventMachine's reactor for Go.
// A Reactor runs one single-threaded epoll/kqueue loop and calls a
// program's callbacks on it when a connection opens, data arrives, a
// connection closes, a timer fires or a next-tick function is due, so
// handler code needs no locks.
//
// A first program, an echo server (EventMachine's EM.run and
// EM.start_server):
//
//	type echo struct{ reactor.BaseHandler }
//
//	func (echo) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }
//
//	func main() {
//		err := reactor.Run(func(r *reactor.Reactor) error {
//			_, err := r.Listen("tcp", "127.0.0.1:8081", func(*reactor.Conn) reactor.Handler { return echo{} })
//			return err // a port in use stops the reactor, and Run returns it
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//	}
//
// # The goroutine rule
//
// Every callback of a Reactor runs on the goroutine that called Run, one at
// a time. Methods of Reactor, Conn and Listener must be called on that
// goroutine (or, before Run, on the goroutine setting the reactor up),
// except Reactor.NextTick, Reactor.Stop, Reactor.Shutdown,
// Reactor.Running, Reactor.DeferStats, Conn.AsyncWrite and Conn.AsyncClose,
// which are safe for concurrent use. Another goroutine that wants to write
// calls c.AsyncWrite(b), or r.NextTick(func() { c.Write(b) }) for more than
// a write. WithLoopCheck (on by default under the race detector) makes a
// loop-only call from another goroutine panic with the method's name
// instead of racing.
//
// # Blocking work and the asynchronous building blocks
//
// Blocking work goes to Defer (or the generic Defer): it runs on a pool of
// worker goroutines (WithDeferPoolSize, default 20, as EventMachine's thread
// pool) and its done runs on the loop, exactly once; System runs a command
// that way. Deferrable, Queue, Channel and Iterator are EventMachine's
// EM::Deferrable, EM::Queue, EM::Channel and EM::Iterator, with their
// callbacks on the loop; Queue.Push, Queue.Pop and Channel.Push may also be
// called from other goroutines.
//
// # TLS
//
// WithTLS makes the Conns of a Listen TLS servers and the Conn of a
// Connect a TLS client; StartTLS upgrades a plaintext Conn mid-session.
// It is standard crypto/tls, verified by default: ReceiveData gets
// plaintext, Write takes plaintext, and the handshake runs on a goroutine
// of its own (at most WithTLSHandshakeLimit at once) while the records
// after it are handled on the loop.
//
// # Child processes, files and processes
//
// Popen makes a child's stdin and stdout a Conn (EM.popen); its Unbind
// comes once the child has exited and its output is read, with the exit
// status, and the loop never blocks on reaping (a pidfd on Linux).
// WatchFile (inotify, EVFILT_VNODE) and WatchProcess (pidfd, EVFILT_PROC)
// are EM.watch_file and EM.watch_process; their handlers end with an
// Unbind of their own, and Stop ends them with ErrStopped.
//
// # Datagrams and files
//
// ListenPacket opens a UDP or unixgram socket (open_datagram_socket):
// ReceivePacket runs once per datagram with its sender, and
// PacketConn.WriteTo (send_datagram) never blocks, queueing what the
// socket does not take, within a bound. Conn.SendFile (stream_file_data)
// sends a file after what was written before it, with sendfile(2) where it
// can, paced by the socket.
//
// # One iteration
//
//  1. Run the timers that are due, in deadline order (ties in the order
//     they were added).
//  2. Run the next-tick queue as it stood when this step began; ticks
//     queued meanwhile wait for the next iteration.
//  3. Wait for I/O: not at all if ticks are queued, else until the
//     earliest timer, else until woken (NextTick/Stop from another
//     goroutine write to an eventfd, or a pipe on the BSDs).
//  4. Dispatch I/O: accepts, reads (at most a few buffers per connection,
//     so one busy peer cannot starve the others), writes.
//  5. Sweep the connections closed in this iteration: close the fd, call
//     Unbind. Events already fetched for a closed fd are dropped.
//  6. If a Shutdown is under way and no connection (and no socket closed
//     after writing, still lingering) is left, stop.
//
// # EventMachine names
//
// post_init, connection_completed, receive_data and unbind are the Handler
// methods; send_data is Conn.Write, close_connection Conn.Close,
// close_connection_after_writing Conn.CloseAfterWriting, proxy_incoming_to
// Conn.ProxyTo. The README has the whole map.
package reactor
