package http

import "net/http"

// ServeMux routes requests to evented Handlers with net/http's own
// pattern matching: Go 1.22 patterns such as "GET /items/{id}" (the
// handler reads req.PathValue("id"), and req.Pattern names the route),
// host patterns, "/static/" subtrees, precedence by specificity, 404 for
// no match, 405 with Allow for a wrong method, and the redirect to a
// subtree's trailing slash; see http.ServeMux. Unlike Inline(mux) or
// Adapt(mux), a routed Handler may answer later (a timer, a Defer, another
// connection). A route registered with a BodyStreamer (StreamBody(h)) gets
// its request bodies streamed.
//
// Register routes before serving, on any goroutine; Serve runs on the
// reactor goroutine.
type ServeMux struct {
	mux http.ServeMux
}

// NewServeMux returns an empty ServeMux.
func NewServeMux() *ServeMux { return new(ServeMux) }

// Handle registers h for pattern (net/http's syntax). It panics, as
// http.ServeMux.Handle does, on an invalid pattern or one that conflicts
// with an earlier registration.
func (m *ServeMux) Handle(pattern string, h Handler) {
	if h == nil {
		panic("http: nil handler for " + pattern)
	}
	m.mux.Handle(pattern, muxRoute{h})
}

// HandleFunc registers f for pattern, as Handle.
func (m *ServeMux) HandleFunc(pattern string, f func(w *Response, req *http.Request)) {
	m.Handle(pattern, HandlerFunc(f))
}

// Serve routes req to the Handler registered for it; a request no route
// takes is answered by net/http's ServeMux itself (404, 405, a redirect),
// at once.
func (m *ServeMux) Serve(w *Response, req *http.Request) {
	w.routed = false
	m.mux.ServeHTTP(w, req)
	if !w.routed {
		w.End()
	}
}

// StreamsBody reports whether the route req goes to streams its bodies.
func (m *ServeMux) StreamsBody(req *http.Request) bool {
	h, _ := m.mux.Handler(req)
	r, ok := h.(muxRoute)
	if !ok {
		return false
	}
	bs, ok := r.h.(BodyStreamer)
	return ok && bs.StreamsBody(req)
}

// muxRoute is an evented Handler inside net/http's ServeMux: the mux hands
// it the *Response it was given, with the request's pattern and path
// values set.
type muxRoute struct{ h Handler }

func (r muxRoute) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	w := rw.(*Response)
	w.routed = true
	r.h.Serve(w, req)
}

// Sync returns a Handler that ends the answer when h returns, unless h
// ended it: for handlers that answer at once, so that returning completes
// the response as in net/http.
func Sync(h Handler) Handler {
	return HandlerFunc(func(w *Response, req *http.Request) {
		h.Serve(w, req)
		w.End()
	})
}
