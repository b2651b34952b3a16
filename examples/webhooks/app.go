package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evmachine/evmachine/jobs"
	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// app is the program's state. Its fields are set up on the reactor
// goroutine and used there, except where a job handler (off the loop)
// goes through await.
type app struct {
	r   *reactor.Reactor
	cfg config
	log *slog.Logger
	rc  *redis.Client
	jc  *jobs.Client
	js  *jobs.Server
	hc  *evhttp.Client
	srv *evhttp.Server
}

// run serves until ctx ends, then stops gracefully within cfg.grace.
// ready, if not nil, gets the HTTP API's address once the dispatcher is
// subscribed and the jobs server started.
func run(ctx context.Context, cfg config, log *slog.Logger, ready chan<- string) error {
	a := &app{cfg: cfg, log: log}
	return reactor.Run(func(r *reactor.Reactor) error {
		a.r = r
		addr, err := a.start()
		if err != nil {
			return err
		}
		a.subscribe(func(err error) {
			if err != nil {
				log.Error("PSUBSCRIBE results:* failed: stopping", "err", err)
				r.Stop()
				return
			}
			log.Info("webhooks listening", "api", "http://"+addr, "redis", cfg.redisAddr)
			if ready != nil {
				ready <- addr
			}
		})
		go a.stopOn(ctx)
		return nil
	}, reactor.WithLogger(log))
}

// start makes the clients, the jobs server and the HTTP server, and
// returns the API's address. Loop-only.
func (a *app) start() (string, error) {
	var err error
	a.rc, err = redis.Dial(a.r, a.cfg.redisAddr, redis.WithLogger(a.log), redis.WithClientName("webhooks"),
		redis.WithReconnect(-1, 100*time.Millisecond, 5*time.Second))
	if err != nil {
		return "", err
	}
	a.jc = jobs.NewClient(a.rc)
	a.hc = evhttp.NewClient(a.r, evhttp.WithClientTimeout(a.cfg.timeout))
	opts := []jobs.ServerOption{jobs.WithConcurrency(a.cfg.concurrency), jobs.WithLogger(a.log)}
	opts = append(opts, a.retryOptions()...)
	a.js, err = jobs.NewServer(a.r, a.cfg.redisAddr, opts...)
	if err != nil {
		return "", err
	}
	a.js.Handle(reportClass, a.report)
	a.js.Handle(deliverClass, a.deliver)
	if err := a.js.Start(); err != nil {
		return "", fmt.Errorf("jobs server: %w", err)
	}
	a.srv = &evhttp.Server{Handler: a.routes(), Logger: a.log, MaxBodyBytes: maxBody}
	l, err := a.srv.Listen(a.r, "tcp", a.cfg.httpAddr)
	if err != nil {
		return "", err
	}
	return l.Addr().String(), nil
}

// stopOn waits for ctx, then stops: the HTTP server answers what it has,
// the jobs server finishes (or pushes back) its jobs, then the reactor
// stops. Runs on a goroutine of its own.
func (a *app) stopOn(ctx context.Context) {
	<-ctx.Done()
	a.log.Info("stopping gracefully", "grace", a.cfg.grace)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.grace)
	defer cancel()
	err := errors.Join(a.srv.Shutdown(sctx), a.js.Shutdown(sctx))
	if err != nil {
		a.log.Warn("graceful stop cut short", "err", err)
	}
	a.r.NextTick(func() {
		a.hc.Close()
		a.rc.Close()
		a.r.Stop()
	})
}
