package websocket

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/reactor"
)

// allCases are sections 1-7, 9 and 10 in Autobahn's order.
func allCases(short bool) []acase {
	cs := coreCases()
	cs = append(cs, utf8Cases()...)
	cs = append(cs, closeCases()...)
	return append(cs, perfCases(short)...)
}

// runCases plays each case on a fresh connection from connect and checks
// that no verdict is FAILED; it logs the verdicts by section.
func runCases(t *testing.T, cases []acase, connect func(t *testing.T, id string) *peer) {
	counts := map[string]map[string]int{}
	for _, c := range cases {
		var verdict string
		t.Run(c.id, func(t *testing.T) {
			p := connect(t, c.id)
			verdict = c.run(p)
			assert.False(t, strings.HasPrefix(verdict, verdictFailed), "case %s: %s", c.id, verdict)
			if verdict != verdictOK && !strings.HasPrefix(verdict, verdictUnimplemented) {
				t.Logf("case %s: %s", c.id, verdict)
			}
		})
		sec := strings.SplitN(c.id, ".", 2)[0]
		if counts[sec] == nil {
			counts[sec] = map[string]int{}
		}
		counts[sec][strings.SplitN(verdict, ":", 2)[0]]++
	}
	var secs []string
	for s := range counts {
		secs = append(secs, s)
	}
	sort.Slice(secs, func(i, j int) bool {
		return len(secs[i]) < len(secs[j]) || len(secs[i]) == len(secs[j]) && secs[i] < secs[j]
	})
	for _, s := range secs {
		t.Logf("section %s: %v", s, fmt.Sprint(counts[s]))
	}
}

// TestConformanceServer plays sections 1-7, 9 and 10 against
// evmachine's server with the echo agent.
func TestConformanceServer(t *testing.T) {
	_, addr := listenEcho(t, agentConfig(false))
	runCases(t, allCases(testing.Short() || raceEnabled), func(t *testing.T, _ string) *peer { return serverPeer(t, addr, "") })
}

// TestConformanceClient plays them against evmachine's client: the peer
// is the server, the echo agent a client that connected to it.
func TestConformanceClient(t *testing.T) {
	r := startReactor(t, func(*reactor.Reactor) {})
	runCases(t, allCases(testing.Short() || raceEnabled), func(t *testing.T, _ string) *peer { return clientPeer(t, r, agentConfig(false), nil) })
}
