package main

// server is one HTTP server under test: a main package under
// bench/http/servers, built once.
type server struct {
	Name  string `json:"name"`  // flag name
	Label string `json:"label"` // as the report prints it
	Pkg   string `json:"pkg"`   // package path relative to the repository root
	Note  string `json:"note"`  // how it answers, for the report
}

// Reference names: the ratio columns are against these.
const (
	subject  = "evmachine"
	refFast  = "fasthttp"
	refStd   = "nethttp"
	refNbhtp = "nbhttp"
)

// allServers returns the servers the comparison knows, in report order.
func allServers() []server {
	return []server{
		{Name: subject, Label: "evmachine protocols/http", Pkg: "./bench/http/servers/evmhttp",
			Note: "one reactor; evhttp.Server with a HandlerFunc: Header().Set, Write, End"},
		{Name: refFast, Label: "fasthttp", Pkg: "./bench/http/servers/fasthttp",
			Note: "fasthttp.Server, default options (a pooled worker goroutine per connection); SetContentType, Write"},
		{Name: refStd, Label: "net/http", Pkg: "./bench/http/servers/nethttp",
			Note: "http.Server, a goroutine per connection; Header().Set, Write"},
		{Name: refNbhtp, Label: "nbio nbhttp", Pkg: "./bench/http/servers/nbhttp",
			Note: "nbhttp.Engine, defaults (non-blocking pollers, handlers on its goroutine pool) but MaxLoad 20,000; an http.HandlerFunc"},
	}
}
