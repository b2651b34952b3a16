package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHookRequest(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"http", `{"account":"acme","url":"http://127.0.0.1:9000/hook"}`, true},
		{"https with query", `{"account":"a.b-c_1","url":"https://example.com/h?x=1"}`, true},
		{"no account", `{"url":"http://127.0.0.1/"}`, false},
		{"glob in account", `{"account":"a*","url":"http://127.0.0.1/"}`, false},
		{"colon in account", `{"account":"a:b","url":"http://127.0.0.1/"}`, false},
		{"long account", `{"account":"` + strings.Repeat("a", 65) + `","url":"http://127.0.0.1/"}`, false},
		{"ftp", `{"account":"acme","url":"ftp://127.0.0.1/"}`, false},
		{"relative", `{"account":"acme","url":"/hook"}`, false},
		{"user info", `{"account":"acme","url":"http://u:p@127.0.0.1/"}`, false},
		{"fragment", `{"account":"acme","url":"http://127.0.0.1/#x"}`, false},
		{"unknown field", `{"account":"acme","url":"http://127.0.0.1/","x":1}`, false},
		{"trailing data", `{"account":"acme","url":"http://127.0.0.1/"} {}`, false},
		{"not json", `account=acme`, false},
		{"empty", ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHookRequest([]byte(tc.body))
			if !tc.ok {
				require.ErrorIs(t, err, errBadRequest)
				return
			}
			require.NoError(t, err)
			assert.NotEmpty(t, h.Account)
			assert.NotEmpty(t, h.URL)
		})
	}
}

func TestParseJobRequest(t *testing.T) {
	j, err := parseJobRequest([]byte(`{"account":"acme","numbers":[1,2.5,-3]}`))
	require.NoError(t, err)
	assert.Equal(t, jobRequest{Account: "acme", Numbers: []float64{1, 2.5, -3}}, j)

	_, err = parseJobRequest([]byte(`{"account":"acme","numbers":["x"]}`))
	require.ErrorIs(t, err, errBadRequest)
	_, err = parseJobRequest([]byte(`{"numbers":[1]}`))
	require.ErrorIs(t, err, errBadRequest)
	many, _ := json.Marshal(jobRequest{Account: "a", Numbers: make([]float64, maxNumbers+1)})
	_, err = parseJobRequest(many)
	require.ErrorIs(t, err, errBadRequest)
}

func TestSummarize(t *testing.T) {
	assert.Equal(t, Summary{}, summarize(nil))
	assert.Equal(t, Summary{Count: 4, Sum: 10, Mean: 2.5, Min: 1, Max: 4}, summarize([]float64{3, 1, 4, 2}))
}

func TestResultRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b, err := newResult("0123456789abcdef01234567", "acme", []float64{2, 4}, at)
	require.NoError(t, err)
	var r Result
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, Result{ID: "0123456789abcdef01234567", Account: "acme", Job: reportClass,
		Summary: Summary{Count: 2, Sum: 6, Mean: 3, Min: 2, Max: 4}, FinishedAt: "2026-01-02T03:04:05Z"}, r)
	assert.Equal(t, r.ID, resultID(string(b)))
	assert.Equal(t, "", resultID("not json"))
}

func TestAccountOf(t *testing.T) {
	for ch, want := range map[string]string{"results:acme": "acme", "results:": "", "results:a*b": "", "other:acme": ""} {
		a, ok := accountOf(ch)
		assert.Equal(t, want != "", ok, ch)
		assert.Equal(t, want, a, ch)
	}
}

func FuzzParseRequests(f *testing.F) {
	f.Add([]byte(`{"account":"acme","url":"http://127.0.0.1:9000/hook"}`))
	f.Add([]byte(`{"account":"acme","numbers":[1,2,3]}`))
	f.Add([]byte(`{"account":"","url":"http://[::1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if h, err := parseHookRequest(body); err == nil {
			require.NoError(t, checkAccount(h.Account))
			require.NoError(t, checkCallbackURL(h.URL))
		}
		if j, err := parseJobRequest(body); err == nil {
			require.LessOrEqual(t, len(j.Numbers), maxNumbers)
			_ = summarize(j.Numbers)
		}
		_ = resultID(string(body))
	})
}
