// Command webhooks is the "come back to me" design on evmachine: jobs run
// somewhere, and their results must reach whoever asked for them.
//
//	go run ./examples/webhooks                        # http 127.0.0.1:8090, redis 127.0.0.1:6379
//	go run ./examples/webhooks -http :9000 -redis 10.0.0.5:6379 -retry-delay 2s
//
// One reactor runs four parts, all talking to one Redis:
//
//   - a webhook registry keyed by account id: POST /hooks {account, url}
//     adds a callback URL to the set hooks:<account>; GET /hooks/{account}
//     lists them; DELETE /hooks/{account}?url=... removes one;
//   - POST /jobs {account, numbers} enqueues a Report job (Sidekiq's wire
//     format, so a Ruby client could enqueue it too) and answers 202 with
//     its jid;
//   - a jobs server that runs Report (it summarises the numbers and
//     publishes the result: PUBLISH results:<account> <json>) and
//     DeliverWebhook (below);
//   - the dispatcher, subscribed with PSUBSCRIBE results:*, which POSTs
//     each result to every URL of its account with the evented HTTP
//     client (https is verified). A delivery that fails (a non-2xx answer,
//     a connect error, a timeout) becomes a DeliverWebhook job, retried as
//     Sidekiq retries until the receiver takes it or -retries is spent.
//
// Every delivery of one result carries the same Webhook-Id header (the
// job's jid), so a receiver can drop a repeat: delivery is at least once.
// With -secret, each is signed as Standard Webhooks signs
// (Webhook-Signature: v1,<HMAC-SHA256 of id.timestamp.body>).
// A Report that finds nobody subscribed to its channel fails and is
// retried, so a result is not lost while the dispatcher is down; a
// process that dies between the PUBLISH and the POSTs loses that result
// (pub/sub keeps nothing: README.md says what to do where that matters).
//
// SIGINT or SIGTERM stop it gracefully: the HTTP server answers what it
// has, the jobs server finishes its running jobs (within -grace) and pushes
// back what it could not.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is what the flags set.
type config struct {
	httpAddr    string
	redisAddr   string
	concurrency int           // jobs running at once
	timeout     time.Duration // bounds one delivery attempt
	retries     int           // DeliverWebhook's retry budget
	retryDelay  time.Duration // before each retry; 0: Sidekiq's backoff
	grace       time.Duration // graceful stop
	secret      []byte        // signs deliveries (Webhook-Signature); nil: unsigned
}

func main() {
	var cfg config
	flag.StringVar(&cfg.httpAddr, "http", "127.0.0.1:8090", "address of the HTTP API")
	flag.StringVar(&cfg.redisAddr, "redis", "127.0.0.1:6379", "Redis address")
	flag.IntVar(&cfg.concurrency, "concurrency", 10, "jobs run at once")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "bound on one delivery attempt")
	flag.IntVar(&cfg.retries, "retries", 10, "retries of a failed delivery")
	flag.DurationVar(&cfg.retryDelay, "retry-delay", 0, "fixed delay before each retry of a failed job (0: Sidekiq's backoff, 15 s and growing)")
	flag.DurationVar(&cfg.grace, "grace", 25*time.Second, "how long a graceful stop may take")
	debug := flag.Bool("debug", false, "log every delivery")
	secret := flag.String("secret", os.Getenv("WEBHOOKS_SECRET"),
		"sign deliveries with this key (Standard Webhooks: whsec_<base64>, or any string); default $WEBHOOKS_SECRET")
	flag.Parse()
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	key, err := parseSecret(*secret)
	if err != nil {
		log.Error("webhooks", "err", err)
		os.Exit(2)
	}
	if len(key) > 0 {
		cfg.secret = key
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, nil); err != nil {
		log.Error("webhooks", "err", err)
		os.Exit(1)
	}
}
