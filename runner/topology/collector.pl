# The topology collector: run inside a sandbox (as its root, in its namespaces), it prints ONE JSON
# document on stdout and exits 0:
#   {"host": <ip -j -d addr>, "networks": <GET /networks>,
#    "containers": [{"inspect": <GET /containers/ID/json>, "addr": <ip -j -d addr in its netns> | null}, ...]}
# Each part is the tool's or the engine's own JSON, passed through untouched: the runner parses and
# validates it (runner/topology/model.ts). Perl because it is in every Debian system (perl-base is
# Essential) and talks to the engine's socket itself: no docker CLI start-up per request, and
# every request and every `ip` runs at once. Only core modules of perl-base: no JSON module here.
# On failure it prints one plain sentence on stderr and exits 2.
# The runner sends this file as the program of `perl -e` (runner/topology/collect.ts), so the sandbox
# image does not carry it and its recipe (and every recording's) stays as it was.
use strict;
use warnings;
use IO::Socket::UNIX;

my $socket_path = $ENV{LAB_DOCKER_SOCKET} || '/var/run/docker.sock';

sub fail { print STDERR "$_[0]\n"; exit 2; }

# Sends a GET to the engine and returns the socket to read the answer from (HTTP/1.0: no chunking,
# the engine closes when done), so that many requests run at once.
sub request {
  my ($path) = @_;
  my $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $socket_path)
    or fail("the sandbox's Docker engine does not answer at $socket_path: $!");
  print $sock "GET $path HTTP/1.0\r\nHost: docker\r\n\r\n";
  return $sock;
}

# Reads an answer: (status, body).
sub answer {
  my ($sock) = @_;
  local $/;
  my $raw = <$sock>;
  close $sock;
  $raw = '' unless defined $raw;
  my ($head, $body) = split /\r\n\r\n/, $raw, 2;
  my ($status) = ($head // '') =~ m{^HTTP/\d\.\d (\d{3})};
  fail("the sandbox's Docker engine gave no answer to a request") unless defined $status;
  return ($status, $body // '');
}

# Starts `ip -j -d addr` (in the network namespace of PID when given) and returns its output handle.
sub start_ip {
  my ($pid) = @_;
  my @argv = defined $pid ? ('nsenter', '-t', $pid, '-n', 'ip', '-j', '-d', 'addr') : ('ip', '-j', '-d', 'addr');
  open(my $fh, '-|', @argv) or fail("could not run @argv: $!");
  return $fh;
}

sub finish_ip {
  my ($fh) = @_;
  local $/;
  my $out = <$fh>;
  my $ok = close $fh;
  return undef unless $ok && defined $out && $out =~ /^\s*\[/;
  $out =~ s/\s+\z//;
  return $out;
}

my $host_ip = start_ip(undef);
my $networks_req = request('/networks');
my ($status, $list) = answer(request('/containers/json?all=1'));
fail("the sandbox's Docker engine answered $status to the container list") unless $status eq '200';
my @ids = $list =~ /"Id":"([0-9a-f]{64})"/g;

my @inspect_reqs = map { request("/containers/$_/json") } @ids;
my @containers;
for my $req (@inspect_reqs) {
  my ($st, $body) = answer($req);
  next if $st eq '404'; # removed since the list: left out
  fail("the sandbox's Docker engine answered $st to a container inspect") unless $st eq '200';
  my ($running) = $body =~ /"Running":(true|false)/;
  my ($pid) = $body =~ /"Pid":(\d+)/;
  my $ip = ($running // '') eq 'true' && $pid ? start_ip($pid) : undef;
  push @containers, [$body, $ip];
}

my ($nst, $networks) = answer($networks_req);
fail("the sandbox's Docker engine answered $nst to the network list") unless $nst eq '200';
my $host = finish_ip($host_ip);
fail("ip -j -d addr failed in the sandbox") unless defined $host;

$networks =~ s/\s+\z//;
my @parts;
for my $c (@containers) {
  my ($body, $ip) = @$c;
  $body =~ s/\s+\z//;
  # A running container whose namespace is gone by now (it stopped or was removed): "addr": null.
  my $addr = defined $ip ? finish_ip($ip) : undef;
  push @parts, '{"inspect":' . $body . ',"addr":' . (defined $addr ? $addr : 'null') . '}';
}
print '{"host":', $host, ',"networks":', $networks, ',"containers":[', join(',', @parts), "]}\n";
exit 0;
