package http

import (
	"fmt"
	"net/http"
	"strings"
)

// isRedirect reports whether resp is a redirect the client follows when
// redirects are on: 301, 302, 303, 307 or 308 with a Location.
func (c *Client) isRedirect(resp *ClientResponse) bool {
	if c.cfg.redirects == 0 {
		return false
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return resp.Header.Get("Location") != ""
	}
	return false
}

// finalErr is the error that goes with a final response: a redirect
// reaching the callback while redirects are on means the limit was hit.
func (r *ClientRequest) finalErr() error {
	if r.c.isRedirect(r.resp) {
		return fmt.Errorf("%w: stopped after %d", ErrClientTooManyRedirects, r.redirects)
	}
	return nil
}

// redirect follows resp, a redirect whose body was read, as net/http does:
// 301, 302 and 303 become GET without a body (HEAD stays HEAD); 307 and
// 308 keep the method and body. A redirect may switch between http and
// https (its connection then comes from the other scheme's pool).
// Credentials and cookies are not sent to another host, nor from https
// down to http.
func (r *ClientRequest) redirect(resp *ClientResponse) {
	prev := r.out
	loc := resp.Header.Get("Location")
	u, err := prev.URL.Parse(loc)
	if err != nil {
		r.finish(resp, fmt.Errorf("%w: bad Location %q: %w", ErrClientMalformedResponse, loc, err))
		return
	}
	next := prev.Clone(prev.Context())
	next.URL, next.Host = u, ""
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		if next.Method != http.MethodGet && next.Method != http.MethodHead {
			next.Method = http.MethodGet
		}
		r.body = nil
		next.Header.Del("Content-Type")
		next.Header.Del("Content-Length")
	}
	downgrade := strings.EqualFold(prev.URL.Scheme, "https") && !strings.EqualFold(u.Scheme, "https")
	if downgrade || !strings.EqualFold(u.Host, prev.URL.Host) {
		for _, k := range []string{"Authorization", "Www-Authenticate", "Cookie", "Cookie2"} {
			next.Header.Del(k)
		}
	}
	if err := clientCheckRequest(next); err != nil {
		r.finish(resp, err)
		return
	}
	if err := r.prepare(next); err != nil {
		r.finish(resp, err)
		return
	}
	r.redirects++
	r.c.start(r, false, false)
}

// fail finishes the request with err, now or (when the program's own call
// is on the stack) in a later tick.
func (r *ClientRequest) fail(err error, later bool) {
	if later {
		r.finishLater(err)
	} else {
		r.finish(nil, err)
	}
}
