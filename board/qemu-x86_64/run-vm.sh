#!/usr/bin/env bash
# Boot the prepared Debian kernel in QEMU (TCG) with PAYLOAD_DIR as /payload and run
# /payload/run inside; exit 0 only if the guest printed the PASS marker.
#
# usage: run-vm.sh CACHE_DIR PAYLOAD_DIR RESULTS_FILE [--timeout SECONDS]
#                  [--append "kernel args"] [--disk IMAGE] [--mem MB]
#
#   CACHE_DIR     made by prepare-kernel.sh (vmlinux or vmlinuz, base.cpio)
#   PAYLOAD_DIR   becomes /payload; must contain an executable "run"; shared
#                 libraries go in PAYLOAD_DIR/lib (LD_LIBRARY_PATH=/payload/lib)
#   RESULTS_FILE  payload stdout+stderr and the verdict (ttyS1);
#                 the kernel console goes to RESULTS_FILE.console (ttyS0)
#   --timeout     per-test timeout for /payload/run (default 60); the guest watchdog
#                 is this + 60 s, the host kill for QEMU this + 90 s
#   --disk        raw image attached as a virtio disk (/dev/vda in the guest)
#
# Exit status: 0 pass, 1 fail (payload failed, timed out, or the guest died), 2 usage,
# 3 the guest rebooted after printing "MIDFLIGHT-VM: REBOOT" (a hand-over to the next boot).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 3 ]] || usage
CACHE_DIR=$1 PAYLOAD_DIR=$2 RESULTS=$3
shift 3
timeout_s=60 append="" disk="" mem=1024
while [[ $# -gt 0 ]]; do
    case $1 in
        --timeout) timeout_s=${2:?}; shift 2 ;;
        --append) append=${2?}; shift 2 ;;
        --disk) disk=${2:?}; shift 2 ;;
        --mem) mem=${2:?}; shift 2 ;;
        *) echo "run-vm.sh: unknown option $1" >&2; usage ;;
    esac
done
[[ $timeout_s =~ ^[0-9]+$ && $timeout_s -gt 0 ]] || { echo "run-vm.sh: bad --timeout" >&2; exit 2; }
for f in "$CACHE_DIR/vmlinuz" "$CACHE_DIR/base.cpio"; do
    [[ -f $f ]] || { echo "run-vm.sh: $f missing (run prepare-kernel.sh)" >&2; exit 2; }
done
[[ -x $PAYLOAD_DIR/run ]] || { echo "run-vm.sh: $PAYLOAD_DIR/run is not executable" >&2; exit 2; }
[[ -z $disk || -f $disk ]] || { echo "run-vm.sh: no disk image $disk" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run-vm.sh: qemu-system-x86_64 missing" >&2; exit 2; }

# The uncompressed PVH kernel skips ~7 s of xz decompression under TCG.
kernel="$CACHE_DIR/vmlinuz"
[[ -f $CACHE_DIR/vmlinux ]] && kernel="$CACHE_DIR/vmlinux"

guest_timeout=$((timeout_s + 60))
host_timeout=$((timeout_s + 90))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/midflight-vm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The payload cpio must hold the files under payload/, so stage a copy (hard links when
# possible: payloads with a Swift binary can be tens of MB).
mkdir -p "$tmp/stage/payload"
cp -al "$PAYLOAD_DIR/." "$tmp/stage/payload/" 2>/dev/null \
    || cp -a "$PAYLOAD_DIR/." "$tmp/stage/payload/"
(cd "$tmp/stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    > "$tmp/payload.cpio"
cat "$CACHE_DIR/base.cpio" "$tmp/payload.cpio" > "$tmp/initrd.cpio"

cmdline="console=ttyS0 panic=-1 midflight.test_timeout=$timeout_s"
cmdline+=" midflight.guest_timeout=$guest_timeout"
[[ -n $disk ]] && cmdline+=" midflight.disk=1"
[[ -n $append ]] && cmdline+=" $append"

qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 1 -no-reboot -nographic
      -nodefaults -no-user-config -monitor none
      -kernel "$kernel" -initrd "$tmp/initrd.cpio" -append "$cmdline"
      -serial "file:$RESULTS.console" -serial "file:$RESULTS")
[[ -n $disk ]] && qemu+=(-drive "file=$disk,format=raw,if=virtio,cache=unsafe")

rm -f "$RESULTS" "$RESULTS.console"
start=$SECONDS
qemu_rc=0
timeout --kill-after=10 "$host_timeout" "${qemu[@]}" </dev/null || qemu_rc=$?
elapsed=$((SECONDS - start))

# The marker must be the last line: anything after it means something outlived the test.
last=$(tr -d '\r' < "$RESULTS" 2>/dev/null | grep -v '^$' | tail -n1 || true)
if [[ $last == "MIDFLIGHT-VM: PASS" ]]; then
    echo "run-vm.sh: PASS (${elapsed}s)" >&2
    exit 0
fi
# A payload that hands over to a reboot (the A/B cycle) says so first; -no-reboot turns
# the guest's reboot into QEMU exiting 0.
if [[ $last == "MIDFLIGHT-VM: REBOOT" && $qemu_rc -eq 0 ]]; then
    echo "run-vm.sh: the guest rebooted as announced (${elapsed}s)" >&2
    exit 3
fi

{
    echo "run-vm.sh: FAIL after ${elapsed}s (qemu exit $qemu_rc$([[ $qemu_rc -eq 124 ]] && echo ", host timeout ${host_timeout}s"))"
    echo "---- last 40 lines of $RESULTS.console ----"
    tail -n 40 "$RESULTS.console" 2>/dev/null || echo "(no console log)"
    echo "---- last 40 lines of $RESULTS ----"
    tail -n 40 "$RESULTS" 2>/dev/null || echo "(no results)"
} >&2
exit 1
