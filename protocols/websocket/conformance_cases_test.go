package websocket

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// acase is one Autobahn case: its number, and a function that plays it
// through the peer and returns the verdict.
type acase struct {
	id  string
	run func(p *peer) string
}

func repeatTo(n int, s string) []byte {
	return bytes.Repeat([]byte(s), n/len(s)+1)[:n]
}

// coreCases are sections 1-7 and 10 (section 9 is in perfCases).
func coreCases() []acase {
	var cs []acase
	add := func(id string, run func(p *peer) string) { cs = append(cs, acase{id, run}) }

	// 1 Framing: text (1.1) and binary (1.2) of lengths at the boundaries.
	for i, n := range []int{0, 125, 126, 127, 128, 65535, 65536, 65536} {
		chop := 0
		if i == 7 {
			chop = 997
		}
		add(fmt.Sprintf("1.1.%d", i+1), func(p *peer) string {
			m := repeatTo(n, "*")
			p.send(p.frame(true, OpText, 0, m), chop)
			return p.expectEcho(Event{Op: OpText, Payload: m})
		})
		add(fmt.Sprintf("1.2.%d", i+1), func(p *peer) string {
			m := repeatTo(n, "\xfe")
			p.send(p.frame(true, OpBinary, 0, m), chop)
			return p.expectEcho(bin(m))
		})
	}

	// 2 Pings and pongs.
	pingCase := func(payload []byte, chop int) func(p *peer) string {
		return func(p *peer) string {
			p.send(p.frame(true, OpPing, 0, payload), chop)
			return p.expectEcho(Event{Op: OpPong, Payload: payload})
		}
	}
	add("2.1", pingCase([]byte{}, 0))
	add("2.2", pingCase([]byte("Hello, world!"), 0))
	add("2.3", pingCase([]byte{0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff}, 0))
	add("2.4", pingCase(repeatTo(125, "\xfe"), 0))
	add("2.5", func(p *peer) string {
		p.sendFrame(true, OpPing, repeatTo(126, "\xfe"))
		return p.expectFail(nil, CloseProtocolError)
	})
	add("2.6", pingCase(repeatTo(125, "\xfe"), 1))
	add("2.7", func(p *peer) string { p.sendFrame(true, OpPong, nil); return p.expectEcho() })
	add("2.8", func(p *peer) string {
		p.sendFrame(true, OpPong, []byte("unsolicited pong payload"))
		return p.expectEcho()
	})
	add("2.9", func(p *peer) string {
		p.sendFrame(true, OpPong, []byte("unsolicited pong payload"))
		p.sendFrame(true, OpPing, []byte("ping payload"))
		return p.expectEcho(pong("ping payload"))
	})
	tenPings := func(chop int) func(p *peer) string {
		return func(p *peer) string {
			var want []Event
			for i := range 10 {
				s := fmt.Sprintf("payload-%d", i)
				p.send(p.frame(true, OpPing, 0, []byte(s)), chop)
				want = append(want, pong(s))
			}
			return p.expectEcho(want...)
		}
	}
	add("2.10", tenPings(0))
	add("2.11", tenPings(1))

	// 3 Reserved bits: RSV 1..7 on various frames.
	add("3.1", func(p *peer) string {
		p.send(p.frame(true, OpText, 1, []byte("Hello, world!")), 0)
		return p.expectFail(nil, CloseProtocolError)
	})
	for rsv, chop := range map[byte]int{2: 0, 3: 0, 4: 1} {
		add(fmt.Sprintf("3.%d", rsv), func(p *peer) string {
			var b []byte
			b = append(b, p.frame(true, OpText, 0, []byte("Hello, world!"))...)
			b = append(b, p.frame(true, OpText, rsv, []byte("Hello, world!"))...)
			b = append(b, p.frame(true, OpPing, 0, nil)...)
			p.send(b, chop)
			return p.expectFail([]Event{text("Hello, world!")}, CloseProtocolError)
		})
	}
	add("3.5", func(p *peer) string {
		p.send(p.frame(true, OpBinary, 5, []byte{0, 0xff, 0xfe}), 0)
		return p.expectFail(nil, CloseProtocolError)
	})
	add("3.6", func(p *peer) string {
		p.send(p.frame(true, OpPing, 6, []byte("Hello, world!")), 0)
		return p.expectFail(nil, CloseProtocolError)
	})
	add("3.7", func(p *peer) string {
		p.send(p.frame(true, OpClose, 7, nil), 0)
		return p.expectFail(nil, CloseProtocolError)
	})

	// 4 Opcodes: reserved non-control (4.1) and control (4.2) opcodes.
	for sec, ops := range map[int][]Opcode{1: {3, 4, 5, 6, 7}, 2: {11, 12, 13, 14, 15}} {
		for i, op := range ops {
			add(fmt.Sprintf("4.%d.%d", sec, i+1), func(p *peer) string {
				payload := []byte("reserved opcode payload")
				if i == 0 || i == 2 {
					payload = nil
				}
				if i < 2 {
					p.sendFrame(true, op, payload)
					return p.expectFail(nil, CloseProtocolError)
				}
				p.sendFrame(true, OpText, []byte("Hello, world!"))
				p.sendFrame(true, op, payload)
				p.sendFrame(true, OpPing, nil)
				return p.expectFail([]Event{text("Hello, world!")}, CloseProtocolError)
			})
		}
	}
	return append(cs, fragmentationCases()...)
}

// fragmentationCases are section 5.
func fragmentationCases() []acase {
	var cs []acase
	add := func(id string, run func(p *peer) string) { cs = append(cs, acase{id, run}) }
	add("5.1", func(p *peer) string {
		p.sendFrame(false, OpPing, []byte("fragment1"))
		p.sendFrame(true, OpContinuation, []byte("fragment2"))
		return p.expectFail(nil, CloseProtocolError)
	})
	add("5.2", func(p *peer) string {
		p.sendFrame(false, OpPong, []byte("fragment1"))
		p.sendFrame(true, OpContinuation, []byte("fragment2"))
		return p.expectFail(nil, CloseProtocolError)
	})
	// chop: 0 at once, -1 frame-wise, 1 octet-wise.
	twoFrags := func(withPing bool, chop int) func(p *peer) string {
		return func(p *peer) string {
			frames := [][]byte{p.frame(false, OpText, 0, []byte("fragment1"))}
			var want []Event
			if withPing {
				frames = append(frames, p.frame(true, OpPing, 0, []byte("ping payload")))
				want = append(want, pong("ping payload"))
			}
			frames = append(frames, p.frame(true, OpContinuation, 0, []byte("fragment2")))
			sendFrames(p, frames, chop)
			return p.expectEcho(append(want, text("fragment1fragment2"))...)
		}
	}
	for i, chop := range []int{0, -1, 1} {
		add(fmt.Sprintf("5.%d", 3+i), twoFrags(false, chop))
		add(fmt.Sprintf("5.%d", 6+i), twoFrags(true, chop))
	}
	// 5.9-5.14: a continuation with nothing to continue, then a message.
	for i, fin := range []bool{true, false} {
		for j, chop := range []int{0, -1, 1} {
			add(fmt.Sprintf("5.%d", 9+3*i+j), func(p *peer) string {
				sendFrames(p, [][]byte{
					p.frame(fin, OpContinuation, 0, []byte("non-continuation payload")),
					p.frame(true, OpText, 0, []byte("Hello, world!")),
				}, chop)
				return p.expectFail(nil, CloseProtocolError)
			})
		}
	}
	add("5.15", func(p *peer) string {
		sendFrames(p, [][]byte{
			p.frame(false, OpText, 0, []byte("fragment1")), p.frame(true, OpContinuation, 0, []byte("fragment2")),
			p.frame(false, OpContinuation, 0, []byte("fragment3")), p.frame(true, OpText, 0, []byte("fragment4")),
		}, 0)
		return p.expectFail([]Event{text("fragment1fragment2")}, CloseProtocolError)
	})
	for i, fin := range []bool{false, true} {
		add(fmt.Sprintf("5.%d", 16+i), func(p *peer) string {
			var frames [][]byte
			for range 2 {
				frames = append(frames, p.frame(fin, OpContinuation, 0, []byte("fragment1")),
					p.frame(false, OpText, 0, []byte("fragment2")), p.frame(true, OpContinuation, 0, []byte("fragment3")))
			}
			sendFrames(p, frames, 0)
			return p.expectFail(nil, CloseProtocolError)
		})
	}
	add("5.18", func(p *peer) string {
		sendFrames(p, [][]byte{p.frame(false, OpText, 0, []byte("fragment1")), p.frame(true, OpText, 0, []byte("fragment2"))}, 0)
		return p.expectFail(nil, CloseProtocolError)
	})
	for i := range 2 {
		add(fmt.Sprintf("5.%d", 19+i), func(p *peer) string {
			chop := 0
			if i == 1 {
				chop = -1
			}
			sendFrames(p, [][]byte{p.frame(false, OpText, 0, []byte("fragment1")), p.frame(false, OpContinuation, 0, []byte("fragment2")),
				p.frame(true, OpPing, 0, []byte("pongme 1!"))}, chop)
			time.Sleep(time.Second)
			sendFrames(p, [][]byte{p.frame(false, OpContinuation, 0, []byte("fragment3")), p.frame(false, OpContinuation, 0, []byte("fragment4")),
				p.frame(true, OpPing, 0, []byte("pongme 2!")), p.frame(true, OpContinuation, 0, []byte("fragment5"))}, chop)
			return p.expectEcho(pong("pongme 1!"), pong("pongme 2!"), text("fragment1fragment2fragment3fragment4fragment5"))
		})
	}
	return cs
}

// sendFrames sends frames at once (chop 0), one write per frame (-1), or
// in chops of chop bytes.
func sendFrames(p *peer, frames [][]byte, chop int) {
	if chop < 0 {
		for _, f := range frames {
			p.send(f, 0)
		}
		return
	}
	p.send(bytes.Join(frames, nil), chop)
}

// utf8Cases are section 6.
func utf8Cases() []acase {
	var cs []acase
	add := func(id string, run func(p *peer) string) { cs = append(cs, acase{id, run}) }
	add("6.1.1", func(p *peer) string { p.sendFrame(true, OpText, nil); return p.expectEcho(text("")) })
	add("6.1.2", func(p *peer) string {
		sendFrames(p, [][]byte{p.frame(false, OpText, 0, nil), p.frame(false, OpContinuation, 0, nil), p.frame(true, OpContinuation, 0, nil)}, 0)
		return p.expectEcho(text(""))
	})
	add("6.1.3", func(p *peer) string {
		sendFrames(p, [][]byte{p.frame(false, OpText, 0, nil), p.frame(false, OpContinuation, 0, []byte("middle frame payload")), p.frame(true, OpContinuation, 0, nil)}, 0)
		return p.expectEcho(text("middle frame payload"))
	})
	hello := "Hello-µ@ßöäüàá-UTF-8!!"
	add("6.2.1", func(p *peer) string { p.sendFrame(true, OpText, []byte(hello)); return p.expectEcho(text(hello)) })
	add("6.2.2", func(p *peer) string {
		sendFrames(p, [][]byte{p.frame(false, OpText, 0, []byte(hello[:12])), p.frame(true, OpContinuation, 0, []byte(hello[12:]))}, 0)
		return p.expectEcho(text(hello))
	})
	perOctet := func(s string) func(p *peer) string {
		return func(p *peer) string {
			var frames [][]byte
			for i := range len(s) {
				op := OpContinuation
				if i == 0 {
					op = OpText
				}
				frames = append(frames, p.frame(i == len(s)-1, op, 0, []byte{s[i]}))
			}
			sendFrames(p, frames, 0)
			if utf8.ValidString(s) {
				return p.expectEcho(text(s))
			}
			return p.expectFail(nil, CloseInvalidPayload)
		}
	}
	add("6.2.3", perOctet(hello))
	add("6.2.4", perOctet("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"))
	bad := "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"
	add("6.3.1", func(p *peer) string {
		p.sendFrame(true, OpText, []byte(bad))
		return p.expectFail(nil, CloseInvalidPayload)
	})
	add("6.3.2", perOctet(bad))
	// 6.4: fail fast. The invalid octet goes out, then a pause: a close
	// before the rest is sent is OK, a close only after it NON-STRICT.
	ff := []string{"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "\xf4\x90\x80\x80", "\x65\x64\x69\x74\x65\x64"}
	failFast := func(id string, parts []string, inFrames bool) {
		add(id, func(p *peer) string {
			var chunks [][]byte
			if inFrames {
				chunks = [][]byte{p.frame(false, OpText, 0, []byte(parts[0])), p.frame(false, OpContinuation, 0, []byte(parts[1])), p.frame(true, OpContinuation, 0, []byte(parts[2]))}
			} else {
				whole := p.frame(true, OpText, 0, []byte(strings.Join(parts, "")))
				h := len(whole) - len(strings.Join(parts, ""))
				a, b := h+len(parts[0]), h+len(parts[0])+len(parts[1])
				chunks = [][]byte{whole[:a], whole[a:b], whole[b:]}
			}
			p.send(chunks[0], 0)
			time.Sleep(100 * time.Millisecond)
			p.send(chunks[1], 0)
			early := p.collect(time.Second)
			if early.gotClose || early.tcpClosed {
				return judge(early, nil, []uint16{CloseInvalidPayload}, false)
			}
			p.send(chunks[2], 0)
			if v := p.expectFail(nil, CloseInvalidPayload); v != verdictOK {
				return v
			}
			return verdictNonStrict + ": failed only at the end of the message"
		})
	}
	failFast("6.4.1", ff, true)
	failFast("6.4.2", []string{ff[0], "\xf4\x90", "\x80\x80" + ff[2]}, true)
	failFast("6.4.3", ff, false)
	failFast("6.4.4", []string{ff[0], "\xf4\x90", "\x80\x80" + ff[2]}, false)
	// 6.5-6.23: Markus Kuhn's UTF-8 decoder stress test, group by group.
	for gi, g := range utf8Groups() {
		for vi, v := range g {
			add(fmt.Sprintf("6.%d.%d", 5+gi, vi+1), func(p *peer) string {
				p.sendFrame(true, OpText, []byte(v))
				if utf8.ValidString(v) {
					return p.expectEcho(text(v))
				}
				return p.expectFail(nil, CloseInvalidPayload)
			})
		}
	}
	return cs
}
