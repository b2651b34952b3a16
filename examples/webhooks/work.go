package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evmachine/evmachine/jobs"
	"github.com/evmachine/evmachine/reactor"
)

// errNoDispatcher fails a Report whose result nobody was subscribed to
// receive: the job is retried, so a result is not lost while the
// dispatcher is down.
var errNoDispatcher = errors.New("no dispatcher subscribed to the results channel")

// report is the Report job: it summarises the numbers and publishes the
// result on results:<account>. It runs off the loop, on a worker of the
// jobs server, and reaches Redis through the loop.
func (a *app) report(ctx context.Context, j *jobs.Job) error {
	var account string
	var xs []float64
	if err := j.Bind(&account, &xs); err != nil {
		return err
	}
	if err := checkAccount(account); err != nil {
		return err
	}
	payload, err := newResult(j.JID, account, xs, time.Now())
	if err != nil {
		return err
	}
	n, err := await(ctx, a.r, func(done func(int64, error)) {
		a.rc.Publish(resultsPrefix+account, string(payload), done)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return errNoDispatcher
	}
	return nil
}

// deliver is the DeliverWebhook job: one more attempt at a delivery that
// failed. An error (non-2xx, connect error, timeout) fails the job, which
// the jobs server retries. A URL removed from the registry meanwhile is
// not called any more.
func (a *app) deliver(ctx context.Context, j *jobs.Job) error {
	var account, url, id, payload string
	if err := j.Bind(&account, &url, &id, &payload); err != nil {
		return err
	}
	still, err := await(ctx, a.r, func(done func(int64, error)) {
		a.rc.DoInt(done, "SISMEMBER", hooksPrefix+account, url)
	})
	if err != nil {
		return err
	}
	if still == 0 {
		a.log.Info("hook removed since: delivery dropped", "account", account, "url", url, "id", id)
		return nil
	}
	_, err = await(ctx, a.r, func(done func(struct{}, error)) {
		a.post(url, id, payload, func(err error) { done(struct{}{}, err) })
	})
	if err != nil {
		return fmt.Errorf("delivering %s to %s: %w", id, url, err)
	}
	a.log.Info("delivered on retry", "account", account, "url", url, "id", id)
	return nil
}

// await runs start on the reactor goroutine and waits, off the loop, for
// the value it hands to done, or for ctx to end.
func await[T any](ctx context.Context, r *reactor.Reactor, start func(done func(T, error))) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1) // done never blocks the loop
	r.NextTick(func() {
		start(func(v T, err error) {
			select {
			case ch <- result{v, err}:
			default: // a second call: the first one counts
			}
		})
	})
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
