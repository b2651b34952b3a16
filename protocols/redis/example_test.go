package redis_test

import (
	"fmt"
	"log"

	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// A counter, a pipelined burst and a subscription, all on the loop.
func Example() {
	err := reactor.Run(func(r *reactor.Reactor) {
		c, err := redis.Dial(r, "127.0.0.1:6379", redis.WithClientName("example"))
		if err != nil {
			log.Fatal(err)
		}
		c.Subscribe("news", func(m redis.Message) {
			fmt.Println("news:", m.Payload)
			c.Close()
			r.Stop()
		}, nil)
		// These go out in one write; the replies come back in order.
		for range 100 {
			c.DoInt(func(n int64, err error) {
				if err != nil {
					log.Print(err)
				}
			}, "INCR", "hits")
		}
		c.Get("greeting", func(v string, err error) {
			if err == redis.Nil {
				v = "(none)"
			}
			fmt.Println("greeting:", v)
			c.Publish("news", "hello", nil)
		})
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Another goroutine reaches the client through the reactor.
func ExampleClient_Do_fromAnotherGoroutine() {
	var r *reactor.Reactor // running elsewhere
	var c *redis.Client    // dialled on r's goroutine
	done := make(chan redis.Value)
	r.NextTick(func() {
		c.Do(func(v redis.Value, err error) { done <- v }, "PING")
	})
	fmt.Println((<-done).Str)
}
