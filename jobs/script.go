package jobs

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"

	"github.com/evmachine/evmachine/protocols/redis"
)

// script is a Lua script run with EVALSHA, and with EVAL when the server
// does not have it cached (NOSCRIPT), as Sidekiq runs its own.
type script struct {
	src string
	sha string
}

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

// run calls cb with the script's reply. Loop-only.
func (s *script) run(rc *redis.Client, keys []string, args []any, cb func(redis.Value, error)) {
	cmd := func(name, body string) []any {
		a := make([]any, 0, 3+len(keys)+len(args))
		a = append(a, name, body, len(keys))
		for _, k := range keys {
			a = append(a, k)
		}
		return append(a, args...)
	}
	rc.Do(func(v redis.Value, err error) {
		var re redis.Error
		if errors.As(err, &re) && re.Prefix() == "NOSCRIPT" {
			rc.Do(cb, cmd("EVAL", s.src)...)
			return
		}
		cb(v, err)
	}, cmd("EVALSHA", s.sha)...)
}

// zpopByScore is Sidekiq's LUA_ZPOPBYSCORE (scheduled.rb): the first
// member of a sorted set whose score is at most now, removed. Atomic, so
// Go and Ruby pollers never push the same job twice.
var zpopByScore = newScript(`local key, now = KEYS[1], ARGV[1]
local jobs = redis.call("zrangebyscore", key, "-inf", now, "limit", 0, 1)
if jobs[1] then
  redis.call("zrem", key, jobs[1])
  return jobs[1]
end`)

// basicPop pops (RPOP) the first job of the first non-empty queue list
// in KEYS, in order, and returns {queue key, job}, or nil.
var basicPop = newScript(`for _, q in ipairs(KEYS) do
  local j = redis.call("rpop", q)
  if j then return {q, j} end
end
return nil`)

// reliablePop tries a non-blocking LMOVE from each queue list in KEYS,
// in order, into that queue's working list (its name plus ARGV[1]); it
// returns {queue key, job} for the first job found, or nil.
var reliablePop = newScript(`for _, q in ipairs(KEYS) do
  local j = redis.call("lmove", q, q .. ARGV[1], "right", "left")
  if j then return {q, j} end
end
return nil`)

// requeueWorking moves every job of a working list (KEYS[2]) back to the
// fetching end of its queue (KEYS[3]), oldest fetched first, and forgets
// the list in the registry hash (KEYS[4], field ARGV[1]) — unless
// ARGV[2] is "1" and the owner's heartbeat key (KEYS[1]) still exists,
// in which case it returns -1. Atomic, so two live processes recovering
// the same dead one move each job once.
var requeueWorking = newScript(`if ARGV[2] == "1" and redis.call("exists", KEYS[1]) == 1 then
  return -1
end
local n = 0
while redis.call("lmove", KEYS[2], KEYS[3], "left", "right") do
  n = n + 1
end
redis.call("hdel", KEYS[4], ARGV[1])
return n`)

// scripts are every script of the package, loaded at Start so that the
// first calls need no NOSCRIPT round trip.
var scripts = []*script{zpopByScore, basicPop, reliablePop, requeueWorking}

// loadScripts sends SCRIPT LOAD for every script. Loop-only.
func loadScripts(rc *redis.Client) {
	for _, sc := range scripts {
		rc.Do(nil, "SCRIPT", "LOAD", sc.src)
	}
}
