package websocket

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/evmachine/evmachine/reactor"
)

// Sections 12 and 13: permessage-deflate. Autobahn sends 1000 messages
// per case, cut from five files it ships (JSON, a bitmap, Goethe's Faust,
// HTML, a PDF); these mirrors generate data of the same five kinds and
// send compressionCount messages per case (10; 3 with -short or under the
// race detector).

const verdictUnimplemented = "UNIMPLEMENTED"

// deflateSizes are Autobahn's (message size, auto-fragment size) pairs,
// cases x.y.1 to x.y.18.
var deflateSizes = [][2]int{
	{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {8192, 0}, {16384, 0}, {32768, 0}, {65536, 0}, {131072, 0},
	{8192, 256}, {16384, 256}, {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
}

// deflateData are the five kinds of test data of section 12 (text ones
// are valid UTF-8), generated deterministically.
func deflateData() []struct {
	data   []byte
	binary bool
} {
	rng := rand.New(rand.NewPCG(1, 2))
	var js, faust, html strings.Builder
	words := []string{"Habe", "nun", "ach", "Philosophie", "Juristerei", "und", "Medizin", "leider", "auch", "Theologie",
		"durchaus", "studiert", "mit", "heißem", "Bemühn", "Da", "steh", "ich", "armer", "Tor", "bin", "so", "klug", "als", "wie", "zuvor", "Größe", "Übel"}
	for i := 0; js.Len() < 200<<10; i++ {
		fmt.Fprintf(&js, `{"id":%d,"name":"user-%d","score":%.3f,"tags":["a%d","b%d"],"active":%t},`, i, rng.IntN(10000), rng.Float64()*100, i%7, i%13, i%2 == 0)
	}
	for faust.Len() < 200<<10 {
		faust.WriteString(words[rng.IntN(len(words))])
		faust.WriteString([]string{" ", " ", ", ", ".\n"}[rng.IntN(4)])
	}
	for i := 0; html.Len() < 200<<10; i++ {
		fmt.Fprintf(&html, "<div class=\"row r%d\"><a href=\"/item/%d\">Item %d</a><span>%s</span></div>\n", i%5, i, i, words[i%len(words)])
	}
	bitmap := make([]byte, 256<<10)
	for i := range bitmap {
		x, y := i%512, i/512
		bitmap[i] = byte((x*y)>>6) ^ byte(rng.IntN(4))
	}
	pdf := make([]byte, 256<<10)
	for i := range pdf {
		if (i/4096)%2 == 0 {
			pdf[i] = byte(rng.Uint32())
		} else {
			const words = "stream endobj 0 R /Length "
			pdf[i] = words[i%len(words)]
		}
	}
	return []struct {
		data   []byte
		binary bool
	}{{[]byte(js.String()), false}, {bitmap, true}, {[]byte(faust.String()), false}, {[]byte(html.String()), false}, {pdf, true}}
}

// cutMessage returns the next message of n runes (text) or bytes
// (binary), cycling through data from *pos as Autobahn does.
func cutMessage(data []byte, binary bool, n int, pos *int) []byte {
	if !binary {
		runes := []rune(string(data))
		out := make([]rune, 0, n)
		for range n {
			out = append(out, runes[*pos%len(runes)])
			*pos++
		}
		return []byte(string(out))
	}
	out := make([]byte, 0, n)
	for range n {
		out = append(out, data[*pos%len(data)])
		*pos++
	}
	return out
}

// sendCompressed sends one compressed message, split into frames of frag
// bytes of compressed payload (0: one frame).
func (p *peer) sendCompressed(op Opcode, msg []byte, frag int) {
	z := append([]byte{}, p.pmd.deflate(msg)...)
	if frag <= 0 || frag >= len(z) {
		p.send(p.frame(true, op, 4, z), 0)
		return
	}
	var frames [][]byte
	for i := 0; i < len(z); i += frag {
		o, rsv := OpContinuation, byte(0)
		if i == 0 {
			o, rsv = op, 4
		}
		frames = append(frames, p.frame(i+frag >= len(z), o, rsv, z[i:min(i+frag, len(z))]))
	}
	sendFrames(p, frames, 0)
}

// deflateCase sends count messages of one size, each echo awaited and
// checked, then closes.
func deflateCase(data []byte, binary bool, size, frag, count int) func(p *peer) string {
	return func(p *peer) string {
		if p.pmd == nil {
			p.sendClose(CloseNormal, "")
			return verdictUnimplemented + ": permessage-deflate not negotiated"
		}
		op := OpText
		if binary {
			op = OpBinary
		}
		pos := 0
		for range count {
			m := cutMessage(data, binary, size, &pos)
			p.sendCompressed(op, m, frag)
			o := p.awaitEvents(1)
			if !eventsEqual(o.events, []Event{{Op: op, Payload: m}}) {
				return judge(o, []Event{{Op: op, Payload: m}}, nil, true)
			}
		}
		return p.expectEcho()
	}
}

func compressionCount(short bool) int {
	if short {
		return 3
	}
	return 10
}

// section12 mirrors 12.1-12.5: the default offer, five kinds of data.
func section12(count int) []acase {
	var cs []acase
	for j, d := range deflateData() {
		for i, s := range deflateSizes {
			cs = append(cs, acase{fmt.Sprintf("12.%d.%d", j+1, i+1), deflateCase(d.data, d.binary, s[0], s[1], count)})
		}
	}
	return cs
}

// deflateParams are section 13's seven negotiations: the client's offers
// and the server's acceptance (no context takeover requested, max window
// bits requested; 0 for none).
var deflateParams = []struct {
	offers     []string
	noTakeover bool
	bits       int
}{
	{[]string{"permessage-deflate"}, false, 0},
	{[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, true, 0},
	{[]string{"permessage-deflate; server_max_window_bits=9; client_max_window_bits"}, false, 9},
	{[]string{"permessage-deflate; server_max_window_bits=15; client_max_window_bits"}, false, 15},
	{[]string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits"}, true, 9},
	{[]string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits"}, true, 15},
	{[]string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits",
		"permessage-deflate; server_no_context_takeover", "permessage-deflate"}, true, 9},
}

// section13 mirrors 13.1-13.7 on the JSON data: against the server, the
// peer (client) makes the offers; against the client, the peer (server)
// answers with the acceptance.
func section13(count int) []acase {
	json := deflateData()[0].data
	var cs []acase
	for j := range deflateParams {
		for i, s := range deflateSizes {
			cs = append(cs, acase{fmt.Sprintf("13.%d.%d", j+1, i+1), deflateCase(json, false, s[0], s[1], count)})
		}
	}
	return cs
}

// paramsOf returns the section 13 negotiation of case id.
func paramsOf(id string) (prm struct {
	offers     []string
	noTakeover bool
	bits       int
}) {
	var j, i int
	fmt.Sscanf(id, "13.%d.%d", &j, &i)
	return deflateParams[j-1]
}

func TestConformanceDeflateServer(t *testing.T) {
	_, addr := listenEcho(t, agentConfig(true))
	count := compressionCount(testing.Short() || raceEnabled)
	runCases(t, append(section12(count), section13(count)...), func(t *testing.T, id string) *peer {
		if strings.HasPrefix(id, "12.") {
			return serverPeer(t, addr, "permessage-deflate")
		}
		return serverPeer(t, addr, strings.Join(paramsOf(id).offers, ", "))
	})
}

func TestConformanceDeflateClient(t *testing.T) {
	r := startReactor(t, func(*reactor.Reactor) {})
	count := compressionCount(testing.Short() || raceEnabled)
	runCases(t, append(section12(count), section13(count)...), func(t *testing.T, id string) *peer {
		if strings.HasPrefix(id, "12.") {
			return clientPeer(t, r, agentConfig(true), func(h http.Header) (string, *deflate) { return acceptDeflate(h, false) })
		}
		prm := paramsOf(id)
		cfg := agentConfig(true)
		cfg.CompressionNoContextTakeover = prm.noTakeover
		return clientPeer(t, r, cfg, func(h http.Header) (string, *deflate) {
			if prm.bits != 0 && !strings.Contains(h.Get("Sec-WebSocket-Extensions"), "client_max_window_bits") {
				if len(prm.offers) == 1 {
					return "", nil // Autobahn's acceptance needs the client to allow a window size
				}
				return acceptDeflate(h, true) // 13.7 falls back to no context takeover
			}
			answer, d := acceptDeflate(h, prm.noTakeover)
			if d != nil && prm.bits != 0 {
				answer += fmt.Sprintf("; client_max_window_bits=%d", prm.bits)
			}
			return answer, d
		})
	})
}
