#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the project's own fixtures, so each target starts from
# real payloads. Safe to run again: existing corpus entries are kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
fixtures="$root/crates/sentinel-ingest/tests/fixtures"
corpus="$here/corpus"
mkdir -p "$corpus"/{envelope,store_payload,native_event,otlp_protobuf,otlp_json,github_webhook,stack_trace,config}

cp "$fixtures"/glitchtip/envelopes/*.json "$corpus/envelope/"
cp "$fixtures"/glitchtip/incoming_events/*.json "$corpus/store_payload/"
cp "$fixtures"/glitchtip/incoming_events/*.json "$corpus/native_event/"
cp "$fixtures"/glitchtip/transactions/*.json "$corpus/store_payload/" 2>/dev/null || true

# GitHub deliveries: the first byte selects the event (see fuzz_targets/github_webhook.rs).
selector() {
  case "$1" in
    push.*) printf '\000' ;;
    pull_request.*) printf '\001' ;;
    pull_request_review.*) printf '\002' ;;
    deployment_status.*) printf '\003' ;;
    installation.*) printf '\004' ;;
    ping*) printf '\006' ;;
    *) printf '\007' ;;
  esac
}
for file in "$fixtures"/github/*.json; do
  name="$(basename "$file")"
  { selector "$name"; cat "$file"; } > "$corpus/github_webhook/$name"
done

# OTLP JSON: one trace export with an exception event and one error log (selector byte first).
printf '\000%s' '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /pay","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000","attributes":[{"key":"http.response.status_code","value":{"intValue":"500"}}],"events":[{"name":"exception","timeUnixNano":"1700000000050000000","attributes":[{"key":"exception.type","value":{"stringValue":"KeyError"}},{"key":"exception.message","value":{"stringValue":"user"}},{"key":"exception.stacktrace","value":{"stringValue":"Traceback (most recent call last):\n  File \"app/views.py\", line 12, in pay\n    user = session[\"user\"]\nKeyError: user"}}]}],"status":{"code":2}}]}]}]}' > "$corpus/otlp_json/trace_exception.json"
printf '\001%s' '{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":17,"severityText":"ERROR","body":{"stringValue":"payment failed"},"traceId":"5b8efff798038103d269b633813fc60c"}]}]}]}' > "$corpus/otlp_json/log_error.json"

# Stack traces in the formats the parser knows.
printf '%s' $'Traceback (most recent call last):\n  File "app/views.py", line 12, in pay\n    user = session["user"]\nKeyError: \'user\'' > "$corpus/stack_trace/python.txt"
printf '%s' $'java.lang.NullPointerException: boom\n\tat com.acme.Pay.run(Pay.java:42)\n\tat com.acme.Main.main(Main.java:7)\nCaused by: java.io.IOException: x\n\t... 2 more' > "$corpus/stack_trace/jvm.txt"
printf '%s' $'TypeError: Cannot read properties of undefined (reading \'id\')\n    at pay (/srv/app/pay.js:10:15)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)' > "$corpus/stack_trace/javascript.txt"
printf '%s' $'panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.pay(...)\n\t/srv/app/pay.go:10 +0x1d\nmain.main()\n\t/srv/app/main.go:5 +0x25' > "$corpus/stack_trace/go.txt"

# Configuration.
printf '%s\n' '[server]' 'listen = "127.0.0.1:8080"' 'role = "all"' '[database]' 'max_connections = 8' '[retention]' 'event_days = 30' > "$corpus/config/basic.toml"
echo "seeded $(find "$corpus" -type f | wc -l) inputs under $corpus"
