package websocket

import (
	"net/http"
	"strconv"
	"strings"
)

// extensionOffer is one permessage-deflate offer or answer.
type extensionOffer struct {
	params map[string]string // name -> value ("" when it has none)
}

// parseDeflateOffers returns the permessage-deflate elements of the
// Sec-WebSocket-Extensions headers, in order.
func parseDeflateOffers(h http.Header) []extensionOffer {
	var out []extensionOffer
	for _, line := range h.Values("Sec-WebSocket-Extensions") {
		for ext := range strings.SplitSeq(line, ",") {
			parts := strings.Split(ext, ";")
			if strings.TrimSpace(parts[0]) != "permessage-deflate" {
				continue
			}
			o := extensionOffer{params: map[string]string{}}
			for _, p := range parts[1:] {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				o.params[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
			}
			out = append(out, o)
		}
	}
	return out
}

// acceptDeflate picks the first offer the server can honour (compress/flate
// always compresses with a 32 KiB window, so an offer limiting the
// server's window below 15 bits is declined) and returns the answer and
// the server's state, or "" and nil.
func acceptDeflate(h http.Header, noTakeover bool) (string, *deflate) {
	for _, o := range parseDeflateOffers(h) {
		ok := true
		for k, v := range o.params {
			switch k {
			case "server_no_context_takeover", "client_no_context_takeover":
				ok = ok && v == ""
			case "server_max_window_bits":
				ok = ok && v == "15"
			case "client_max_window_bits":
				n, err := strconv.Atoi(v)
				ok = ok && (v == "" || err == nil && n >= 8 && n <= 15)
			default:
				ok = false
			}
		}
		if !ok {
			continue
		}
		_, serverNo := o.params["server_no_context_takeover"]
		_, clientNo := o.params["client_no_context_takeover"]
		serverNo, clientNo = serverNo || noTakeover, clientNo || noTakeover
		answer := "permessage-deflate"
		if serverNo {
			answer += "; server_no_context_takeover"
		}
		if clientNo {
			answer += "; client_no_context_takeover"
		}
		return answer, &deflate{sendTakeover: !serverNo, recvTakeover: !clientNo}
	}
	return "", nil
}

// deflateOffer is what a client offers. It does not offer
// client_max_window_bits: compress/flate cannot compress with a window
// below 32 KiB, so the server must not be invited to ask for one.
func deflateOffer(noTakeover bool) string {
	s := "permessage-deflate"
	if noTakeover {
		s += "; server_no_context_takeover; client_no_context_takeover"
	}
	return s
}

// clientDeflate checks the server's answer to a client's offer: nil, ok
// without one; an answer the client cannot honour (a client window below
// 15 bits, unknown parameters) is an error.
func clientDeflate(h http.Header, offered, noTakeover bool) (*deflate, bool) {
	answers := parseDeflateOffers(h)
	if len(answers) == 0 {
		return nil, true
	}
	if !offered || len(answers) > 1 {
		return nil, false
	}
	d := &deflate{sendTakeover: !noTakeover, recvTakeover: !noTakeover}
	for k, v := range answers[0].params {
		switch k {
		case "server_no_context_takeover":
			d.recvTakeover = false
		case "client_no_context_takeover":
			d.sendTakeover = false
		case "server_max_window_bits":
		case "client_max_window_bits":
			if v != "" && v != "15" {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return d, true
}
