// Package redis is an evented Redis client on evmachine's reactor, as
// em-hiredis was for EventMachine: commands are issued from the loop and
// their replies come back as callbacks on the loop.
//
//	c, err := redis.Dial(r, "127.0.0.1:6379")
//	if err != nil {
//		return err // in Run's setup: stops the reactor, and Run returns it
//	}
//	c.Set("greeting", "hello", nil)
//	c.Get("greeting", func(v string, err error) { ... }) // err: redis.Nil for a missing key
//
// The reactor is an automatic pipeliner: every command issued during one
// loop iteration goes out in one write at the start of the next, and the
// replies are matched to the callbacks in order (a FIFO, as em-hiredis's).
// A thousand commands issued from one callback cost one write(2).
//
// The client speaks RESP3 (HELLO 3, with AUTH and SETNAME) and falls back
// to RESP2 when the server does not know HELLO. On RESP3, pub/sub messages
// arrive as push frames on the same connection as ordinary commands; on
// RESP2, subscriptions take a connection of their own. Blocking commands
// (BLPOP, BRPOP, BLMOVE, XREAD BLOCK, WAIT, ...) run on connections of a
// small per-client pool, so they never stall the pipeline.
//
// When the connection is lost, the commands waiting on it fail with
// ErrConnectionLost (they may or may not have run), and the client
// reconnects with a growing backoff through em-hiredis's states
// (connected, disconnected, reconnecting, failed), replays AUTH and SELECT
// and restores the subscriptions. Meanwhile new commands wait in a bounded
// offline queue, or, WithFailFast, fail at once. A server that stops
// answering is caught by WithTimeout.
//
// The parser (Parse, and Scanner, which walks a large reply arriving in
// many reads only once) is pure, with no reactor in it. Its Limits refuse
// a huge announced length before anything is allocated; a reply that does
// not parse closes the connection and fails every waiting command with
// the parse error.
//
// # Goroutines
//
// A Client belongs to the reactor goroutine: Dial and every method must be
// called there (from a callback, or before Run on the goroutine setting
// the reactor up), and every callback runs there. Another goroutine issues
// a command with r.NextTick(func() { c.Do(cb, args...) }). Parse and
// AppendCommand are pure functions, safe anywhere.
package redis
