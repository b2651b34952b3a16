// Package jobs runs background jobs in Sidekiq 6.4's wire format on Redis,
// over the evented Redis client of protocols/redis, so that a Rails app
// can hand jobs to Go workers and a Go service can hand jobs to Ruby
// Sidekiq workers, on the same Redis, without a flag day.
//
// A Client enqueues from the reactor goroutine (callbacks on the loop):
// SADD queues <q> and LPUSH queue:<q> <json> in one pipelined write, or
// ZADD schedule <at> <json> for a job that runs later. A BlockingClient
// does the same for ordinary Go code, on a reactor of its own.
//
// A Server fetches jobs as Sidekiq's BasicFetch does: an atomic pop from
// the first non-empty queue, in strict or Sidekiq's weighted random
// order. Each free slot (WithConcurrency, default 10) has a fetch in
// flight: first a non-blocking pop of every queue in one Lua script on
// the pipelined connection (so a busy queue costs one round trip per job,
// shared by all slots), and when the queues are empty BRPOP queue:a
// queue:b ... 2 on a connection of the Redis client's blocking pool.
// Jobs are decoded and run on worker goroutines (one per slot), never on
// the loop; their results are recorded back on the loop. Failures follow
// Sidekiq's retry rules (the retry sorted set with a delay of
// count^4 + 15 + rand(10)*(count+1) seconds, or WithRetryIn's; then the
// dead set, capped at 10,000 jobs and 6 months), and a poller moves due
// jobs from schedule and retry to their queues one at a time with
// Sidekiq's own atomic ZPOPBYSCORE script, so Go and Ruby pollers can
// run side by side. The Server writes Sidekiq's heartbeat keys
// (processes, the process hash, <identity>:workers, stat:processed,
// stat:failed and their daily keys) every 5 s, so Sidekiq's Web UI,
// Sidekiq::ProcessSet and Sidekiq::Workers list it and its jobs; it obeys
// the Web UI's quiet (TSTP) and stop (TERM) buttons.
//
// Rails' ActiveJob jobs (class ActiveJobWrapper, the job's class in
// "wrapped") run on the handler of their ActiveJob class, and Bind binds
// their ActiveJob arguments; NewActiveJob makes one for Rails to run.
//
// Timestamps are written as Sidekiq 6's float seconds (created_at
// 1700000000.0, always with a fraction), which Sidekiq 8 also reads as
// seconds. Sidekiq 8's integer milliseconds are read: an integer
// timestamp is milliseconds, as Sidekiq 8 tells the two apart. Reliable fetch needs Redis 6.2 (LMOVE, BLMOVE); the rest
// works with what Sidekiq 6.4 needs.
//
// # Reliable fetch
//
// BRPOP loses a job that is running when its process dies, as OSS
// Sidekiq does. WithReliableFetch moves each job instead into a working
// list private to the process (queue:<q>:working:<identity>) and removes
// it from there when the job is done. BLMOVE takes one source list, so
// with several queues a fetch first runs a Lua script that tries a
// non-blocking LMOVE on each queue in the fetch order and, when all are
// empty, waits with BLMOVE (for the fetch timeout, 2 s) on one queue; the
// fetches in flight (one per free slot) block on the queues in turn, so
// a job pushed onto an empty queue is taken at once when the concurrency
// is at least the number of queues, and within the fetch timeout
// otherwise. The order of the queues holds at the LMOVE step. Every working
// list is registered in the hash evmachine:working; any live Server
// checks it periodically and pushes back the lists of processes whose
// heartbeat key (<identity>, 60 s TTL) has expired, so a kill -9 loses no
// job; a job may then run twice (at least once).
//
// # Goroutines
//
// Client, NewServer, Handle, Use, Server.Start and ShutdownAsync belong
// to the reactor goroutine (NewServer and Start may also run before Run,
// on the goroutine setting the reactor up). Handlers run on worker
// goroutines and get a context that is cancelled when Shutdown gives up
// waiting. BlockingClient's methods and Server.Shutdown are for other
// goroutines (Shutdown waits for the loop).
package jobs
