# Enqueues N no-op jobs with Sidekiq's own client and prints one JSON line
# with the elapsed and CPU time of the enqueueing alone (boot excluded).
#   ruby enqueue.rb push|push_bulk N QUEUE BATCH
# REDIS_URL says where Redis is.
require "json"
require_relative "noop_job"

mode, n, queue, batch = ARGV[0], Integer(ARGV[1]), ARGV[2], Integer(ARGV[3] || "1000")
Sidekiq::Client.push("class" => NoopJob, "args" => [], "queue" => "warmup") # connect first
Sidekiq.redis { |c| c.del("queue:warmup") }

wall0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
cpu0 = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
case mode
when "push"
  n.times { Sidekiq::Client.push("class" => NoopJob, "args" => [], "queue" => queue) }
when "push_bulk"
  (n / batch).times do
    Sidekiq::Client.push_bulk("class" => NoopJob, "args" => Array.new(batch) { [] }, "queue" => queue)
  end
else
  abort "mode #{mode}: want push or push_bulk"
end
wall = Process.clock_gettime(Process::CLOCK_MONOTONIC) - wall0
cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu0
puts JSON.generate("jobs" => (mode == "push" ? n : (n / batch) * batch), "seconds" => wall, "cpu_seconds" => cpu)
