// Package deferpool is the worker pool behind the reactor's Defer, as
// EventMachine's EM.defer: a fixed number of worker goroutines take blocking
// operations from a bounded queue, and each result goes back to the owner
// through a post function (the reactor passes its NextTick), so that every
// done callback runs on the owner's goroutine. A panic in an operation
// becomes a *PanicError for its done and the worker goes on; a full queue is
// reported to done as ErrQueueFull instead of blocking the caller.
//
// Goroutine rules:
//
//   - Submit, Stats, Detach and Close are safe for concurrent use from any
//     goroutine; Submit never blocks.
//   - Operations run on the pool's worker goroutines, several at a time.
//   - done never runs on a worker or inside Submit: finished operations
//     are collected and handed to post in batches, one posted function
//     running every done that is waiting. post must queue that function
//     for the owner's goroutine and return without running it (the
//     reactor's NextTick does exactly that), so every done runs there.
//   - Workers start lazily: all of them together at the first Submit, as
//     EventMachine spawns its whole thread pool at the first EM.defer. A pool
//     that is never used starts no goroutines.
//   - When Close returns nil every worker has finished its last operation
//     and is returning; no goroutine of the pool stays behind.
package deferpool
