# EventMachine echo server for the evmachine benchmark: EventMachine 1.3
# (Debian's ruby-eventmachine) with epoll, the reactor evmachine ports.
#
#   ruby bench/servers/em_echo.rb 127.0.0.1 9000
#
# SIGTERM or SIGINT stop it.
require 'eventmachine'

host = ARGV[0] || '127.0.0.1'
port = Integer(ARGV[1] || 9000)

module Echo
  def post_init
    set_sock_opt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
  rescue StandardError
    nil
  end

  def receive_data(data)
    send_data(data)
  end
end

EM.epoll
EM.set_descriptor_table_size(20_000)
EM.run do
  EM.start_server(host, port, Echo)
  %w[TERM INT].each { |s| Signal.trap(s) { EM.stop } }
  $stderr.puts "eventmachine #{EM::VERSION} echo server listening on #{host}:#{port} pid=#{Process.pid} epoll=#{EM.epoll?}"
end
