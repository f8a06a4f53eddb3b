#!/bin/sh
# The state of PBS job $1 as Snakemake's cluster-generic executor wants it: running, success or failed.
# `qstat -fx` also shows finished jobs with their exit status (PBS Pro, OpenPBS; Torque needs
# keep_completed and says exit_status). A failing qstat is asked again before the run is stopped.
for attempt in 1 2 3; do
    if info=$(qstat -fx "$1"); then
        state=$(printf '%s\n' "$info" | awk -F' = ' '$1 ~ /^ *job_state$/ {print $2}')
        status=$(printf '%s\n' "$info" | awk -F' = ' 'tolower($1) ~ /^ *exit_status$/ {print $2}')
        case "$state" in
            F | C) if [ "$status" = 0 ]; then echo success; else echo failed; fi ;;
            *) echo running ;;
        esac
        exit 0
    fi
    sleep 5
done
echo "qstat -fx $1 failed 3 times" >&2
exit 1
