#!/bin/sh
# Stands in for one component of the Containers topology in the local-images mechanism checks: it
# runs as the user given, with the environment and files the AppHost gives that component, and says
# on its console who it runs as, which files it can read, and whether each address it is told
# answers from inside the containers' network. It listens where the component would (busybox httpd),
# so that the others reach it.
#   PROBE_FILES   paths to read
#   PROBE_LISTEN  ports to listen on
#   PROBE_DIAL    host:port, or $NAME for the host:port of the URL in variable NAME (a port of
#                 Aspire's container tunnel is known only at run time)
#   PROBE_OTLP_BODY, PROBE_OTLP_PATH  an OTLP/gRPC request to post to $OTEL_EXPORTER_OTLP_ENDPOINT
echo "USER $(id -u):$(id -g)"
for file in $PROBE_FILES; do
  if cat "$file" > /dev/null 2>&1; then echo "READ $file"; else echo "UNREADABLE $file"; fi
done

mkdir -p /tmp/www
for port in $PROBE_LISTEN; do
  httpd -p "$port" -h /tmp/www || echo "LISTEN-FAILED $port"
done

# The other probes start at about the same time: an address that does not answer yet is tried again
# until the deadline. curl's exit codes 6, 7 and 28 (no such host, refused, timed out) mean nothing
# answered; any other means a connection was made (an HTTP/2 server refusing HTTP/1.1 included).
deadline=$(( $(date +%s) + 120 ))
for entry in $PROBE_DIAL; do
  case "$entry" in
    '$'*) eval "target=\${${entry#\$}:-}"; target=$(echo "$target" | sed -E 's#^[a-z]+://##; s#/.*$##') ;;
    *) target=$entry ;;
  esac
  while :; do
    curl -s -o /dev/null -m 3 "http://$target/"; rc=$?
    case $rc in
      6|7|28) if [ "$(date +%s)" -ge "$deadline" ]; then echo "UNREACHED $entry $target curl=$rc"; break; fi; sleep 1 ;;
      *) echo "REACHED $entry $target"; break ;;
    esac
  done
done

if [ -n "${PROBE_OTLP_BODY:-}" ]; then
  status=$(curl -s --http2-prior-knowledge -m 10 -o /dev/null -w '%{http_code}' \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "x-otlp-api-key: ${ASPIRE_DASHBOARD_OTLP_API_KEY:-}" \
    --data-binary "@$PROBE_OTLP_BODY" "${OTEL_EXPORTER_OTLP_ENDPOINT%/}$PROBE_OTLP_PATH")
  echo "OTLP $status"
fi

echo DONE
trap 'exit 0' TERM INT
while :; do sleep 1; done
