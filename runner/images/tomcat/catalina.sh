#!/bin/sh
# The Docker Network Lab's stand-in for Tomcat's catalina.sh: `docker ps` shows "catalina.sh run" as
# with the real image, and port 8080 answers, but the server is busybox httpd (no Java needed).
#
# This script is PID 1 of the container. PID 1 gets no default signal handling, so without the trap
# `docker stop` would wait 10 s for SIGTERM to be ignored and then kill it.
trap 'exit 0' TERM INT
echo "Docker Network Lab: stand-in for Tomcat, serving $CATALINA_HOME/webapps/ROOT on port 8080"
httpd -f -p 8080 -h "$CATALINA_HOME/webapps/ROOT" &
wait
