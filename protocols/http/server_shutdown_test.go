package http

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerShutdownFinishesAnswersUnderWay(t *testing.T) {
	release := make(chan struct{})
	srv := &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		if req.URL.Path == "/quick" {
			w.End()
			return
		}
		r := w.Reactor()
		go func() {
			<-release
			r.NextTick(func() {
				w.Write([]byte("finished"))
				w.End()
			})
		}()
	})}
	_, addr := serverStart(t, srv)
	idle, idleBr := serverDial(t, addr)
	serverSend(t, idle, serverRequest("GET", "/quick", ""))
	serverRead(t, idleBr, "GET")
	busy, busyBr := serverDial(t, addr)
	serverSend(t, busy, serverRequest("GET", "/slow", ""))
	time.Sleep(50 * time.Millisecond) // the slow request is being handled

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	serverAssertClosed(t, idleBr) // the idle connection goes at once
	assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, testWatchdog, 10*time.Millisecond, "the listener closes")
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v before the answer under way", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	resp, body := serverRead(t, busyBr, "GET")
	assert.Equal(t, "finished", body)
	assert.True(t, resp.Close, "the last answer says Connection: close")
	serverAssertClosed(t, busyBr)
	require.NoError(t, waitFor(t, done, "Shutdown"))
}

func TestServerShutdownDeadline(t *testing.T) {
	srv := &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {})} // never answers
	_, addr := serverStart(t, srv)
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	serverAssertClosed(t, br)
}
