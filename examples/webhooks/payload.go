package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The Redis keys and channels of the registry and the results.
const (
	hooksPrefix   = "hooks:"   // a set of callback URLs per account
	resultsPrefix = "results:" // a pub/sub channel per account
)

// Limits of what the API takes.
const (
	maxURLLen  = 2048
	maxNumbers = 10000
	maxBody    = 1 << 20
)

// accountRE is what an account id may be: it names a Redis key and a
// channel, so no glob characters and no separators beyond these.
var accountRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

var errBadRequest = errors.New("bad request")

// hookRequest is the body of POST /hooks.
type hookRequest struct {
	Account string `json:"account"`
	URL     string `json:"url"`
}

// jobRequest is the body of POST /jobs: the numbers a Report job
// summarises for an account.
type jobRequest struct {
	Account string    `json:"account"`
	Numbers []float64 `json:"numbers"`
}

// Result is what a finished job publishes on results:<account> and what
// each receiver gets as its POST body. ID (the job's jid) is also the
// webhook-id header, the same on every attempt, so that a receiver can
// drop a repeated delivery.
type Result struct {
	ID         string  `json:"id"`
	Account    string  `json:"account"`
	Job        string  `json:"job"`
	Summary    Summary `json:"summary"`
	FinishedAt string  `json:"finished_at"`
}

// Summary is what the Report job computes.
type Summary struct {
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	Mean  float64 `json:"mean"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// parseHookRequest checks a POST /hooks body: a valid account and an
// absolute http or https URL with a host.
func parseHookRequest(body []byte) (hookRequest, error) {
	var h hookRequest
	if err := decodeStrict(body, &h); err != nil {
		return h, err
	}
	if err := checkAccount(h.Account); err != nil {
		return h, err
	}
	if err := checkCallbackURL(h.URL); err != nil {
		return h, err
	}
	return h, nil
}

// parseJobRequest checks a POST /jobs body.
func parseJobRequest(body []byte) (jobRequest, error) {
	var j jobRequest
	if err := decodeStrict(body, &j); err != nil {
		return j, err
	}
	if err := checkAccount(j.Account); err != nil {
		return j, err
	}
	if len(j.Numbers) > maxNumbers {
		return j, fmt.Errorf("%w: more than %d numbers", errBadRequest, maxNumbers)
	}
	return j, nil
}

// decodeStrict decodes one JSON object with no unknown fields and nothing
// after it.
func decodeStrict(body []byte, v any) error {
	if len(body) > maxBody {
		return fmt.Errorf("%w: body over %d bytes", errBadRequest, maxBody)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", errBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the JSON object", errBadRequest)
	}
	return nil
}

func checkAccount(a string) error {
	if !accountRE.MatchString(a) {
		return fmt.Errorf("%w: account must be 1-64 of A-Z a-z 0-9 _ . -", errBadRequest)
	}
	return nil
}

// checkCallbackURL accepts an absolute http:// or https:// URL with a host
// and no user info (credentials do not belong in a stored URL).
func checkCallbackURL(s string) error {
	if len(s) > maxURLLen {
		return fmt.Errorf("%w: url longer than %d bytes", errBadRequest, maxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: url: %w", errBadRequest, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: url scheme must be http or https", errBadRequest)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%w: url must have a host and no user info or fragment", errBadRequest)
	}
	return nil
}

// summarize computes a Report's summary.
func summarize(xs []float64) Summary {
	s := Summary{Count: len(xs)}
	if len(xs) == 0 {
		return s
	}
	s.Min, s.Max = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		s.Sum += x
		s.Min = min(s.Min, x)
		s.Max = max(s.Max, x)
	}
	s.Mean = s.Sum / float64(len(xs))
	return s
}

// newResult builds the message a Report job publishes.
func newResult(jid, account string, xs []float64, now time.Time) ([]byte, error) {
	return json.Marshal(Result{
		ID: jid, Account: account, Job: reportClass,
		Summary:    summarize(xs),
		FinishedAt: now.UTC().Format(time.RFC3339Nano),
	})
}

// resultID returns the id of a published result, for the webhook-id
// header: its "id" field, or "" if it has none.
func resultID(payload string) string {
	var r struct {
		ID string `json:"id"`
	}
	if json.Unmarshal([]byte(payload), &r) != nil {
		return ""
	}
	return r.ID
}

// accountOf returns the account of a results:<account> channel.
func accountOf(channel string) (string, bool) {
	a, ok := strings.CutPrefix(channel, resultsPrefix)
	if !ok || !accountRE.MatchString(a) {
		return "", false
	}
	return a, true
}
