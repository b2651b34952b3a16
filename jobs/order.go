package jobs

import (
	"math/rand/v2"
	"slices"
)

// queueOrder gives the order in which one fetch tries the queues.
type queueOrder struct {
	keys     []string // "queue:<q>", strict order, each once
	weighted []string // each key repeated by its weight; nil when strict
	scratch  []string
}

func newQueueOrder(queues []string, weights map[string]int) *queueOrder {
	o := &queueOrder{}
	for _, q := range queues {
		k := "queue:" + q
		if slices.Contains(o.keys, k) {
			continue
		}
		o.keys = append(o.keys, k)
		if weights != nil {
			for range max(weights[q], 1) {
				o.weighted = append(o.weighted, k)
			}
		}
	}
	return o
}

// next returns the queue keys for one fetch: the strict order, or, as
// Sidekiq's BasicFetch#queues_cmd, a shuffle of the weighted list with
// every key kept at its first place. The slice is reused by the next
// call. Loop-only.
func (o *queueOrder) next(rnd *rand.Rand) []string {
	if o.weighted == nil {
		return o.keys
	}
	o.scratch = append(o.scratch[:0], o.weighted...)
	rnd.Shuffle(len(o.scratch), func(i, j int) { o.scratch[i], o.scratch[j] = o.scratch[j], o.scratch[i] })
	out := o.scratch[:0]
	for _, k := range o.scratch {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	o.scratch = out
	return out
}
