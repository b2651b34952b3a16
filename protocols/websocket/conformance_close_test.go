package websocket

import (
	"bytes"
	"fmt"
	"slices"
	"time"
)

// closeCases are section 7.
func closeCases() []acase {
	var cs []acase
	add := func(id string, run func(p *peer) string) { cs = append(cs, acase{id, run}) }
	closeFrame := func(p *peer, payload []byte) []byte { return p.frame(true, OpClose, 0, payload) }
	normal := AppendClose(nil, CloseNormal, "")
	// after sends frames and expects a clean close 1000 after want.
	after := func(want []Event, frames func(p *peer) [][]byte) func(p *peer) string {
		return func(p *peer) string {
			p.sentClose = true
			sendFrames(p, frames(p), -1)
			return judge(p.collect(3*time.Second), want, []uint16{CloseNormal}, true)
		}
	}
	add("7.1.1", after([]Event{text("Hello World!")}, func(p *peer) [][]byte {
		return [][]byte{p.frame(true, OpText, 0, []byte("Hello World!")), closeFrame(p, normal)}
	}))
	add("7.1.2", after(nil, func(p *peer) [][]byte { return [][]byte{closeFrame(p, normal), closeFrame(p, normal)} }))
	add("7.1.3", after(nil, func(p *peer) [][]byte { return [][]byte{closeFrame(p, normal), p.frame(true, OpPing, 0, nil)} }))
	add("7.1.4", after(nil, func(p *peer) [][]byte {
		return [][]byte{closeFrame(p, normal), p.frame(true, OpText, 0, []byte("Hello World!"))}
	}))
	add("7.1.5", after(nil, func(p *peer) [][]byte {
		return [][]byte{p.frame(false, OpText, 0, []byte("fragment1")), closeFrame(p, normal), p.frame(true, OpContinuation, 0, []byte("fragment2"))}
	}))
	add("7.1.6", func(p *peer) string { // informational in Autobahn: echoes before the close are allowed
		big := repeatTo(256<<10, "BAsd7&jh23")
		p.sentClose = true
		sendFrames(p, [][]byte{p.frame(true, OpText, 0, big), p.frame(true, OpText, 0, []byte("Hello World!")),
			closeFrame(p, normal), p.frame(true, OpPing, 0, nil)}, 0)
		o := p.collect(5 * time.Second)
		all := []Event{text(string(big)), text("Hello World!")}
		if len(o.events) <= 2 && eventsEqual(o.events, all[:len(o.events)]) {
			o.events = nil
		}
		return judge(o, nil, []uint16{CloseNormal}, true)
	})
	closeWith := func(payload []byte, codes ...uint16) func(p *peer) string {
		return func(p *peer) string {
			p.sentClose = true
			p.send(closeFrame(p, payload), 0)
			clean := slices.Contains(codes, CloseNormal)
			return judge(p.collect(3*time.Second), nil, codes, clean)
		}
	}
	add("7.3.1", closeWith(nil, CloseNormal, CloseNoStatus))
	add("7.3.2", closeWith([]byte{0x03}, CloseProtocolError))
	add("7.3.3", closeWith(normal, CloseNormal))
	add("7.3.4", closeWith(AppendClose(nil, CloseNormal, "Hello World!"), CloseNormal))
	add("7.3.5", closeWith(append([]byte{0x03, 0xe8}, bytes.Repeat([]byte("*"), 123)...), CloseNormal))
	add("7.3.6", closeWith(append([]byte{0x03, 0xe8}, bytes.Repeat([]byte("*"), 124)...), CloseProtocolError))
	add("7.5.1", closeWith(append([]byte{0x03, 0xe8}, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"...), CloseProtocolError, CloseInvalidPayload))
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		add(fmt.Sprintf("7.7.%d", i+1), closeWith(AppendClose(nil, code, ""), CloseNormal, code))
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		add(fmt.Sprintf("7.9.%d", i+1), closeWith([]byte{byte(code >> 8), byte(code)}, CloseProtocolError))
	}
	for i, code := range []uint16{5000, 65535} { // undefined by the spec: 1000, the code, or 1002
		add(fmt.Sprintf("7.13.%d", i+1), closeWith([]byte{byte(code >> 8), byte(code)}, CloseNormal, code, CloseProtocolError))
	}
	return cs
}

// perfCases are section 9 (limits and performance) and section 10.
// short leaves out the 8 MiB and 16 MiB messages and runs 100 instead of
// 1000 messages in 9.7 and 9.8 (go test -short, and under the race
// detector, which makes them ten times slower).
func perfCases(short bool) []acase {
	var cs []acase
	add := func(id string, run func(p *peer) string) { cs = append(cs, acase{id, run}) }
	const mb = 1 << 20
	sizes := []int{64 << 10, 256 << 10, mb, 4 * mb, 8 * mb, 16 * mb}
	echo := func(op Opcode, m []byte, frag, chop int) func(p *peer) string {
		return func(p *peer) string {
			if frag <= 0 {
				p.send(p.frame(true, op, 0, m), chop)
			} else {
				var frames [][]byte
				for i := 0; i < len(m); i += frag {
					o := OpContinuation
					if i == 0 {
						o = op
					}
					frames = append(frames, p.frame(i+frag >= len(m), o, 0, m[i:min(i+frag, len(m))]))
				}
				sendFrames(p, frames, chop)
			}
			return p.expectEcho(Event{Op: op, Payload: m})
		}
	}
	for i, n := range sizes {
		if short && n > 4*mb {
			continue
		}
		add(fmt.Sprintf("9.1.%d", i+1), echo(OpText, repeatTo(n, "BAsd7&jh23"), 0, 0))
		add(fmt.Sprintf("9.2.%d", i+1), echo(OpBinary, repeatTo(n, "\xfe\xed\xfa\xce"), 0, 0))
	}
	for i, frag := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, mb, 4 * mb} {
		add(fmt.Sprintf("9.3.%d", i+1), echo(OpText, repeatTo(4*mb, "*"), frag, 0))
		add(fmt.Sprintf("9.4.%d", i+1), echo(OpBinary, repeatTo(4*mb, "\xfe"), frag, 0))
	}
	for i, chop := range []int{64, 128, 256, 512, 1024, 2048} {
		add(fmt.Sprintf("9.5.%d", i+1), echo(OpText, repeatTo(mb, "*"), 0, chop))
		add(fmt.Sprintf("9.6.%d", i+1), echo(OpBinary, repeatTo(mb, "\xfe"), 0, chop))
	}
	count := 1000
	if short {
		count = 100
	}
	roundTrips := func(op Opcode, n int) func(p *peer) string {
		return func(p *peer) string {
			m := repeatTo(max(n, 1), "*")[:n]
			for range count {
				p.send(p.frame(true, op, 0, m), 0)
				o := p.awaitEvents(1)
				if !eventsEqual(o.events, []Event{{Op: op, Payload: m}}) {
					return judge(o, []Event{{Op: op, Payload: m}}, nil, true)
				}
			}
			return p.expectEcho()
		}
	}
	for i, n := range []int{0, 16, 64, 256, 1 << 10, 4 << 10} {
		add(fmt.Sprintf("9.7.%d", i+1), roundTrips(OpText, n))
		add(fmt.Sprintf("9.8.%d", i+1), roundTrips(OpBinary, n))
	}
	add("10.1.1", echo(OpText, repeatTo(65536, "*"), 1300, 0))
	return cs
}
