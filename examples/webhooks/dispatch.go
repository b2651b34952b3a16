package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/evmachine/evmachine/jobs"
	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/protocols/redis"
)

// The job classes of this program.
const (
	reportClass  = "Report"
	deliverClass = "DeliverWebhook"
)

// subscribe starts the dispatcher: every message on results:<account>
// goes to each URL registered for the account. done gets the server's
// confirmation. Loop-only.
func (a *app) subscribe(done func(error)) {
	a.rc.PSubscribe(resultsPrefix+"*", a.onResult, done)
}

// onResult fans a published result out to the account's hooks. A URL
// that does not take it now gets it later from a DeliverWebhook job.
// Loop-only.
func (a *app) onResult(m redis.Message) {
	account, ok := accountOf(m.Channel)
	if !ok {
		a.log.Warn("result on a channel with no valid account: dropped", "channel", m.Channel)
		return
	}
	payload, id := m.Payload, resultID(m.Payload)
	a.rc.DoList(func(urls []string, err error) {
		if err != nil {
			a.log.Error("reading hooks: result not delivered", "account", account, "id", id, "err", err)
			return
		}
		for _, u := range urls {
			a.post(u, id, payload, func(err error) {
				if err == nil {
					a.log.Debug("delivered", "account", account, "url", u, "id", id)
					return
				}
				a.log.Warn("delivery failed: retrying from a job", "account", account, "url", u, "id", id, "err", err)
				a.enqueueDelivery(account, u, id, payload)
			})
		}
	}, "SMEMBERS", hooksPrefix+account)
}

// post sends one result to one URL with the evented HTTP client. done
// gets nil for a 2xx answer, else the error: a connect error, a timeout,
// or the status. Loop-only.
func (a *app) post(url, id, payload string, done func(error)) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(payload)))
	if err != nil {
		a.r.NextTick(func() { done(err) })
		return
	}
	req.Header.Set("Content-Type", "application/json")
	// The Standard Webhooks headers: the id is the same on every attempt.
	ts := strconv.FormatInt(a.r.Now().Unix(), 10)
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Timestamp", ts)
	if a.cfg.secret != nil {
		req.Header.Set("Webhook-Signature", sign(a.cfg.secret, id, ts, []byte(payload)))
	}
	a.hc.Do(req, func(resp *evhttp.ClientResponse, err error) {
		switch {
		case err != nil:
			done(err)
		case resp.StatusCode < 200 || resp.StatusCode > 299:
			done(fmt.Errorf("POST %s: %s", url, resp.Status))
		default:
			done(nil)
		}
	})
}

// enqueueDelivery makes a failed delivery a DeliverWebhook job, which the
// jobs server retries with Sidekiq's rules until it succeeds or its retry
// budget is spent. Loop-only.
func (a *app) enqueueDelivery(account, url, id, payload string) {
	j, err := jobs.NewJob(deliverClass, account, url, id, payload)
	if err != nil {
		a.log.Error("making the delivery job: result not delivered", "url", url, "id", id, "err", err)
		return
	}
	j.Retry = a.cfg.retries
	a.jc.Enqueue(j, func(jid string, err error) {
		if err != nil {
			a.log.Error("enqueueing the delivery job: result not delivered", "url", url, "id", id, "err", err)
		}
	})
}
