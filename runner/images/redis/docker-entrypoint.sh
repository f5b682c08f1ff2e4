#!/bin/sh
# Entrypoint of the Docker Network Lab's redis image, modelled on the official image's.
#
# The official image compiles Redis with protected mode off; Debian's build has it on, and then a
# server without a password refuses every client that is not on its loopback, so the tutorial's
# `redis-cli --cluster create 172.38.0.11:6379 ...` would be DENIED. Here the official default is
# applied on the command line, unless the command line or the config file sets protected-mode itself.
set -e

# `docker run redis --port 7000` or `docker run redis /path/redis.conf`: options for redis-server.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = redis-server ]; then
	case "${2:-}" in
		-v|--version|-h|--help|--test-memory|--check-system) exec "$@" ;; # not a server start
	esac
	case " $* " in
		*" --protected-mode "*) ;;
		*)
			if [ -f "${2:-}" ] && grep -qiE '^[[:space:]]*protected-mode[[:space:]]' "$2"; then
				: # the config file decides
			else
				set -- "$@" --protected-mode no
			fi
			;;
	esac
fi

exec "$@"
