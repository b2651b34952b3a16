package memcache_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/evmachine/evmachine/protocols/memcache"
	"github.com/evmachine/evmachine/reactor"
)

// A program on the loop: commands issued together go out in one write,
// and each callback runs on the loop when its reply arrives.
func Example() {
	err := reactor.Run(func(r *reactor.Reactor) {
		c, err := memcache.Dial(r, "127.0.0.1:11211")
		if err != nil {
			log.Fatal(err)
		}
		c.Set(&memcache.Item{Key: "greeting", Value: []byte("hello"), Expiration: 60}, func(err error) {
			if err != nil {
				log.Print(err)
			}
		})
		c.GetMulti([]string{"greeting", "absent"}, func(items map[string]*memcache.Item, err error) {
			if err == nil {
				fmt.Println(string(items["greeting"].Value), len(items))
			}
			c.Close()
			r.Stop()
		})
	})
	if err != nil {
		log.Fatal(err)
	}
}

// A missing key is ErrCacheMiss, as in bradfitz/gomemcache.
func ExampleClient_Get() {
	var c *memcache.Client // from Dial, on the reactor goroutine
	c.Get("user:42", func(it *memcache.Item, err error) {
		switch {
		case errors.Is(err, memcache.ErrCacheMiss):
			// load it and Set it
		case err != nil:
			log.Print(err)
		default:
			fmt.Println(string(it.Value))
		}
	})
}

// Optimistic update: Gets, then CompareAndSwap, retried on a conflict.
func ExampleClient_CompareAndSwap() {
	var c *memcache.Client // from Dial, on the reactor goroutine
	var update func()
	update = func() {
		c.Gets("counter", func(it *memcache.Item, err error) {
			if err != nil {
				return
			}
			it.Value = append(it.Value, '+')
			c.CompareAndSwap(it, func(err error) {
				if errors.Is(err, memcache.ErrCASConflict) {
					update()
				}
			})
		})
	}
	update()
}
