# The no-op job of the benchmark, for Sidekiq 6.4: sidekiq -r ./noop_job.rb
require "sidekiq"

# redis-rb 4.8 warns on every SADD of Sidekiq 6.4's client and on every
# BRPOP of its fetcher (deprecated call forms): printing the warning would
# cost more than the job. Silence them as a production setup would.
Redis.silence_deprecations = true

class NoopJob
  include Sidekiq::Worker

  def perform(*_args); end
end
