#!/bin/sh
# timed.sh NAME COMMAND...: runs COMMAND and says how long part NAME took,
# so that a CI log shows where its minutes go.
name=$1
shift
start=$(date +%s)
"$@"
status=$?
echo "time: $name took $(($(date +%s) - start)) s (exit $status)"
exit $status
