# Shared by the guest scripts (busybox sh): report lines, and midflightd's console through
# a FIFO. Needs P (the payload folder) and PATH with $P/bin.
failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# start_agent CONFIG DATA [more midflightd options]: the agent, its console on /tmp/console.
start_agent() {
    config=$1 data=$2
    shift 2
    rm -f /tmp/console
    mkfifo /tmp/console
    : > /tmp/agent.out
    midflightd --board "$P/board/qemu-x86_64" --config "$config" --data-dir "$data" --no-ssh "$@" \
        < /tmp/console > /tmp/agent.out 2>&1 &
    agent=$!
    # fd 3 keeps the FIFO open between commands.
    exec 3> /tmp/console
}

stop_agent() {
    echo "exit" >&3
    exec 3>&-
    wait "$agent" || true
}

# ask COMMAND PATTERN [TENTHS]: sends a console command, waits up to TENTHS tenths of a
# second (default 100) for PATTERN in the output after it; the output is left in /tmp/answer.
# (sh has no local variables: these names are the function's own.)
ask() {
    ask_mark=$(wc -l < /tmp/agent.out)
    echo "$1" >&3
    ask_tries=0
    while [ $ask_tries -lt "${3:-100}" ]; do
        if tail -n +$((ask_mark + 1)) /tmp/agent.out | grep -q -- "$2"; then
            tail -n +$((ask_mark + 1)) /tmp/agent.out > /tmp/answer
            return 0
        fi
        ask_tries=$((ask_tries + 1))
        sleep 0.1
    done
    tail -n +$((ask_mark + 1)) /tmp/agent.out > /tmp/answer
    return 1
}

# until_answer COMMAND PATTERN SECONDS: asks again, once a second, until PATTERN appears.
# Seconds since boot: the rtc service may set the wall clock, so deadlines use this.
uptime_s() { cut -d. -f1 /proc/uptime; }
until_answer() {
    until_deadline=$(($(uptime_s) + $3))
    while ! ask "$1" "$2" 10; do
        [ "$(uptime_s)" -lt "$until_deadline" ] || return 1
        sleep 0.5
    done
}

value() { sed -n "s/^  $1 = //p" /tmp/answer | head -n 1; }

# The board's bus and chip into a config: @BUS@ and @CHIP@.
localise() { sed -e "s/@BUS@/$MIDFLIGHT_CONTRACT_I2C_BUS/g" -e "s/@CHIP@/$MIDFLIGHT_CONTRACT_CHIP/g" "$1" > "$2"; }
