// Package memcache is a memcached client on the reactor: the text protocol
// (get, gets, set, add, replace, append, prepend, cas, delete, incr, decr,
// touch, flush_all, version) with EventMachine's Memcache semantics, as an
// EventMachine program that includes EM::Protocols::Memcache expects.
//
//	c, err := memcache.Dial(r, "127.0.0.1:11211")
//	c.Set(&memcache.Item{Key: "k", Value: []byte("v")}, func(err error) { ... })
//	c.Get("k", func(it *memcache.Item, err error) { ... })
//
// What it keeps from EventMachine's client: commands may be issued before
// the connection is up and wait for it; replies are matched to commands
// through a FIFO of callbacks; a storage or delete command without a
// callback is sent with "noreply"; a lost connection is reconnected. What
// it adds: every command of the text protocol, CAS, keys validated before
// sending (1 to 250 bytes, no spaces or control characters), values bounded
// by the server's item size (WithMaxItemSize, 1 MiB by default), a timeout
// for a server that stops answering (WithTimeout), reconnects with backoff
// (WithReconnect), a bounded queue while disconnected (WithMaxQueued), and
// errors instead of silence: a missing key is ErrCacheMiss (as
// bradfitz/gomemcache names it; EventMachine yields nil), the server's
// ERROR, CLIENT_ERROR and SERVER_ERROR are a *ServerError, a lost
// connection fails the commands waiting on it with ErrConnectionLost. Where
// EventMachine's get silently turned whitespace in a key into "_", a
// malformed key here fails the command with ErrMalformedKey; where its
// delete block got found == false, the callback here gets ErrCacheMiss; its
// fixed 1 s reconnect delay is a backoff here.
//
// Pipelining: the commands issued in one loop iteration are appended to one
// buffer and written in one write at the next tick, and their replies are
// parsed as they come. Two bounds shape the batches: at most
// WithMaxPipelineBytes (32 KiB) of commands wait for replies at the server,
// so that its socket's receive queue is never overrun; and while the server
// has more than twice as many commands to answer as wait in the Client,
// new ones are held until replies arrive, so that a deep pipeline goes out
// in a few large writes rather than many small ones. A thousand outstanding
// commands cost one connection and a few writes and reads per iteration.
//
// The package has two layers, as every protocol here. ParseReply is the
// pure parser: bytes in, one reply and the bytes it took out, or
// ErrIncomplete, or an error wrapping ErrProtocol; it never allocates, and
// it refuses a VALUE announcing more than the item size before waiting for
// its data. Client is the thin adapter on reactor.Connect. A reply that does
// not parse, or that does not fit the command waiting for it, closes the
// connection and fails every command sent on it.
//
// Threading: a Client belongs to its reactor. Dial and every method must be
// called on the reactor goroutine (from another goroutine, go through
// Reactor.NextTick), and every callback runs there.
package memcache
