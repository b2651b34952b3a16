package main

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/evmachine/evmachine/jobs"
	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/protocols/redis"
)

// routes is the HTTP API. Every handler runs on the reactor goroutine and
// answers from the callback of its Redis command.
func (a *app) routes() *evhttp.ServeMux {
	mux := evhttp.NewServeMux()
	mux.HandleFunc("POST /hooks", a.addHook)
	mux.HandleFunc("GET /hooks/{account}", a.listHooks)
	mux.HandleFunc("DELETE /hooks/{account}", a.removeHook)
	mux.HandleFunc("POST /jobs", a.enqueueReport)
	return mux
}

// addHook registers a callback URL: POST /hooks {"account","url"}.
// 201 when added, 200 when it was already there.
func (a *app) addHook(w *evhttp.Response, req *http.Request) {
	h, err := parseHookRequest(evhttp.RequestBody(req))
	if err != nil {
		answerError(w, http.StatusBadRequest, err)
		return
	}
	a.rc.DoInt(func(added int64, err error) {
		if err != nil {
			answerError(w, http.StatusServiceUnavailable, err)
			return
		}
		status := http.StatusOK
		if added == 1 {
			status = http.StatusCreated
			a.log.Info("hook added", "account", h.Account, "url", h.URL)
		}
		answerJSON(w, status, h)
	}, "SADD", hooksPrefix+h.Account, h.URL)
}

// listHooks answers GET /hooks/{account} with the account's URLs.
func (a *app) listHooks(w *evhttp.Response, req *http.Request) {
	account := req.PathValue("account")
	if err := checkAccount(account); err != nil {
		answerError(w, http.StatusBadRequest, err)
		return
	}
	a.rc.DoList(func(urls []string, err error) {
		if err != nil && !errors.Is(err, redis.Nil) {
			answerError(w, http.StatusServiceUnavailable, err)
			return
		}
		answerJSON(w, http.StatusOK, map[string]any{"account": account, "urls": append([]string{}, urls...)})
	}, "SMEMBERS", hooksPrefix+account)
}

// removeHook is DELETE /hooks/{account}?url=...: 204 when removed, 404
// when the account had no such URL.
func (a *app) removeHook(w *evhttp.Response, req *http.Request) {
	account, u := req.PathValue("account"), req.URL.Query().Get("url")
	if err := checkAccount(account); err != nil {
		answerError(w, http.StatusBadRequest, err)
		return
	}
	if err := checkCallbackURL(u); err != nil {
		answerError(w, http.StatusBadRequest, err)
		return
	}
	a.rc.DoInt(func(removed int64, err error) {
		switch {
		case err != nil:
			answerError(w, http.StatusServiceUnavailable, err)
		case removed == 0:
			answerError(w, http.StatusNotFound, errors.New("no such hook"))
		default:
			a.log.Info("hook removed", "account", account, "url", u)
			w.WriteHeader(http.StatusNoContent)
			w.End()
		}
	}, "SREM", hooksPrefix+account, u)
}

// enqueueReport is POST /jobs {"account","numbers"}: it enqueues a Report
// job and answers 202 with its jid. The result comes back later, to the
// account's hooks.
func (a *app) enqueueReport(w *evhttp.Response, req *http.Request) {
	jr, err := parseJobRequest(evhttp.RequestBody(req))
	if err != nil {
		answerError(w, http.StatusBadRequest, err)
		return
	}
	if jr.Numbers == nil {
		jr.Numbers = []float64{}
	}
	j, err := jobs.NewJob(reportClass, jr.Account, jr.Numbers)
	if err != nil {
		answerError(w, http.StatusBadRequest, err)
		return
	}
	a.jc.Enqueue(j, func(jid string, err error) {
		if err != nil {
			answerError(w, http.StatusServiceUnavailable, err)
			return
		}
		answerJSON(w, http.StatusAccepted, map[string]string{"jid": jid, "account": jr.Account})
	})
}

func answerJSON(w *evhttp.Response, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	w.End()
}

func answerError(w *evhttp.Response, status int, err error) {
	answerJSON(w, status, map[string]string{"error": err.Error()})
}
