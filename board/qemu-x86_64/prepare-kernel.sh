#!/usr/bin/env bash
# Prepare a Debian 12 (6.1) kernel, test modules and a base initramfs for run-vm.sh.
#
# usage: prepare-kernel.sh CACHE_DIR
#
# Leaves in CACHE_DIR:
#   vmlinuz              Debian's linux-image-6.1.0-NN-amd64 kernel (bzImage)
#   vmlinux              the same kernel uncompressed (ELF, PVH entry): boots ~7 s faster
#   modules/*.ko         i2c-dev, i2c-stub, configfs, virtio and ext4 (for --disk), gpio-sim
#   modules/load-order   "file.ko [params]" per line, dependencies first
#   base.cpio            newc initramfs: busybox-static, glibc loader, modules, /init
#   kernel-release       e.g. 6.1.0-57-amd64
#
# Idempotent: a second run with the same kernel version, module list and /init does
# nothing. Environment:
#   KERNEL_ABI=6.1.0-NN   use this ABI instead of asking apt (linux-headers-amd64)
#   EXTRA_MODULES="ext4 vfat"  more Debian modules (dependencies are added)
#   KEEP_WORK=1           keep CACHE_DIR/work (downloaded .debs, headers, build tree)
#
# Host packages: gcc-12 make libc6-dev libelf1 libssl3 (kbuild tools), kmod (depmod,
# modprobe, modinfo), xz-utils, cpio, busybox-static, apt. Never installs a kernel.
set -euo pipefail

BASE_MODULES="i2c-dev i2c-stub configfs virtio_pci virtio_blk ext4"

log() { printf '[prepare-kernel %5ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'prepare-kernel: error: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
mkdir -p "$1"
CACHE_DIR=$(cd "$1" && pwd)
WORK="$CACHE_DIR/work"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

for tool in apt-get apt-cache dpkg-deb depmod modprobe modinfo cpio make gcc-12 xz readelf strip; do
    command -v "$tool" >/dev/null || die "missing host tool: $tool"
done
BUSYBOX=$(command -v busybox || true)
# A dynamic busybox would need its libraries in the initramfs.
if [[ -z $BUSYBOX ]] || readelf -l "$BUSYBOX" | grep -q 'program interpreter'; then
    die "need a static busybox (apt-get install busybox-static)"
fi
LOADER=$(readlink -f /lib64/ld-linux-x86-64.so.2)
[[ -f $LOADER ]] || die "no glibc loader at /lib64/ld-linux-x86-64.so.2"

# --- which kernel -----------------------------------------------------------------

abi=${KERNEL_ABI:-}
if [[ -z $abi ]]; then
    abi=$(apt-cache depends linux-headers-amd64 2>/dev/null \
        | awk '/^ *Depends: linux-headers-6\.1\.0-[0-9]+-amd64$/ && !abi {
                 abi = $2; sub(/^linux-headers-/, "", abi); sub(/-amd64$/, "", abi); print abi }' || true)
fi
if [[ -z $abi && -f $CACHE_DIR/kernel-release ]]; then
    # Offline with a warm cache: keep what we have rather than fail.
    abi=$(sed 's/-amd64$//' "$CACHE_DIR/kernel-release")
    log "apt-cache gave no 6.1 ABI; reusing cached $abi"
fi
[[ -n $abi ]] || die "cannot find the 6.1 ABI from apt-cache (run 'apt-get update' first)"
kver="$abi-amd64"

version=$(apt-cache show --no-all-versions "linux-image-$kver" 2>/dev/null \
    | awk '/^Version: / && !v { v = $2; print v }' || true)
if [[ -z $version && -f $CACHE_DIR/kernel.stamp ]]; then
    version=$(sed -n 's/^version=//p' "$CACHE_DIR/kernel.stamp")
fi
[[ -n $version ]] || die "apt-cache knows no linux-image-$kver"

modules_wanted="$BASE_MODULES ${EXTRA_MODULES:-}"
kernel_stamp="kver=$kver
version=$version
modules=$(echo "$modules_wanted" | xargs)
recipe=$(sed -n '/^# --- kernel,/,/^# --- base initramfs/p' "$SELF" | sha256sum | cut -c1-16)"

# --- kernel, modules, gpio-sim ------------------------------------------------------

download() { # package names; all pinned to $version so image, headers and source agree
    local pkg missing=()
    mkdir -p "$WORK/debs"
    for pkg in "$@"; do
        compgen -G "$WORK/debs/${pkg}_${version}_*.deb" >/dev/null || missing+=("$pkg=$version")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    log "downloading ${missing[*]}"
    rm -rf "$WORK/debs/partial" && mkdir -p "$WORK/debs/partial"
    local apt_opts=(-q)
    # As root, apt drops to _apt for downloads and warns it cannot write here.
    [[ $EUID -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)
    (cd "$WORK/debs/partial" && apt-get download "${apt_opts[@]}" "${missing[@]}" >&2)
    mv "$WORK/debs/partial"/*.deb "$WORK/debs/"
    rmdir "$WORK/debs/partial"
}

deb() { local f=("$WORK/debs/${1}_${version}_"*.deb); echo "${f[0]}"; }

extract_image() {
    [[ -f $WORK/image/.done ]] && return 0
    log "unpacking linux-image-$kver"
    rm -rf "$WORK/image"
    dpkg-deb -x "$(deb "linux-image-$kver")" "$WORK/image"
    # The .deb ships no modules.dep (postinst makes it); we need it to resolve deps.
    depmod -b "$WORK/image" "$kver"
    touch "$WORK/image/.done"
}

extract_headers() {
    [[ -f $WORK/headers/.done ]] && return 0
    log "unpacking headers and kbuild"
    rm -rf "$WORK/headers"
    local p
    for p in "linux-headers-$kver" "linux-headers-$abi-common" linux-kbuild-6.1; do
        dpkg-deb -x "$(deb "$p")" "$WORK/headers"
    done
    # The arch Makefile includes the common one by absolute /usr/src path.
    sed -i "s|^include /usr/src/|include $WORK/headers/usr/src/|" \
        "$WORK/headers/usr/src/linux-headers-$kver/Makefile"
    touch "$WORK/headers/.done"
}

extract_sources() {
    [[ -f $WORK/src/.done ]] && return 0
    log "extracting gpio-sim.c, gpiolib.h, irq_sim.c from linux-source-6.1"
    rm -rf "$WORK/src" && mkdir -p "$WORK/src"
    dpkg-deb --fsys-tarfile "$(deb linux-source-6.1)" \
        | tar -xO ./usr/src/linux-source-6.1.tar.xz \
        | tar -xJ -C "$WORK/src" --strip-components=1 \
            linux-source-6.1/drivers/gpio/gpio-sim.c \
            linux-source-6.1/drivers/gpio/gpiolib.h \
            linux-source-6.1/kernel/irq/irq_sim.c
    touch "$WORK/src/.done"
}

build_gpio_sim() {
    [[ -f $WORK/build/gpio-sim.ko ]] && return 0
    log "building gpio-sim.ko"
    rm -rf "$WORK/build" && mkdir -p "$WORK/build"
    cp "$WORK/src/drivers/gpio/gpiolib.h" "$WORK/build/"
    # irq_sim (IRQ_SIM is not set in Debian's config) is linked into the same module.
    cp "$WORK/src/drivers/gpio/gpio-sim.c" "$WORK/build/gpio-sim-core.c"
    cp "$WORK/src/kernel/irq/irq_sim.c" "$WORK/build/irq_sim.c"
    # irq_to_desc() is not exported to modules; generic_handle_irq() is equivalent here.
    sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' \
        "$WORK/build/irq_sim.c"
    grep -q 'generic_handle_irq(irqnum);' "$WORK/build/irq_sim.c" \
        || die "irq_sim.c patch did not apply (source changed?)"
    printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-core.o irq_sim.o\n' > "$WORK/build/Kbuild"
    make -s -C "$WORK/headers/usr/src/linux-headers-$kver" M="$WORK/build" modules >&2
    [[ -f $WORK/build/gpio-sim.ko ]] || die "gpio-sim.ko was not built"
}

collect_modules() { # -> $WORK/modules (staged, then swapped in)
    local out="$WORK/modules" name path line
    rm -rf "$out" && mkdir -p "$out"
    : > "$out/load-order"
    for name in $modules_wanted; do
        # -C /dev/null: ignore the host's modprobe.d options and softdeps.
        modprobe -C /dev/null -d "$WORK/image" -S "$kver" --show-depends "$name" \
            > "$WORK/deps.txt" || die "module $name not in linux-image-$kver"
        while read -r line; do
            case $line in
                insmod\ *) path=$(awk '{print $2}' <<<"$line") ;;
                builtin\ *) continue ;;
                *) die "unexpected modprobe output: $line" ;;
            esac
            [[ -f $out/$(basename "$path") ]] && continue
            cp "$path" "$out/"
            basename "$path" >> "$out/load-order"
        done < "$WORK/deps.txt"
    done
    # Unsigned anyway, so stripping costs nothing and saves ~0.5 MB of debug info.
    strip --strip-debug -o "$out/gpio-sim.ko" "$WORK/build/gpio-sim.ko"
    echo gpio-sim.ko >> "$out/load-order"
    sed -i 's/^i2c-stub\.ko$/i2c-stub.ko chip_addr=0x68/' "$out/load-order"

    # Every dependency of gpio-sim must be loaded before it.
    local dep
    for dep in $(modinfo -F depends "$out/gpio-sim.ko" | tr ',' ' '); do
        grep -q "^${dep//_/[-_]}\.ko" "$out/load-order" \
            || die "gpio-sim.ko depends on $dep, which is not in the module list"
    done
    [[ $(modinfo -F vermagic "$out/gpio-sim.ko") == "$(modinfo -F vermagic "$out/i2c-stub.ko")" ]] \
        || die "gpio-sim.ko vermagic differs from the kernel's modules"
}

extract_vmlinux() { # bzImage -> uncompressed ELF vmlinux
    # Debian's bzImage is xz-compressed and decompressing it under TCG takes ~7 s of
    # every boot; the kernel has CONFIG_PVH, so QEMU can boot the ELF directly.
    local bz="$WORK/image/boot/vmlinuz-$kver" off
    # Take every match, then the first: an early-closing reader would SIGPIPE grep.
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | cut -d: -f1 || true)
    off=${off%%$'\n'*}
    [[ -n $off ]] || die "no xz payload in $bz"
    # --single-stream: the bzImage appends the decompressed size after the stream.
    # xz stops reading at the end of the stream, so feed it without a pipeline.
    xz -dc --single-stream < <(tail -c +$((off + 1)) "$bz") > "$WORK/vmlinux"
    # Xen note type 0x12 is XEN_ELFNOTE_PHYS32_ENTRY, the PVH entry point QEMU needs.
    readelf -n "$WORK/vmlinux" | grep -Eq 'Xen .*(0x00000012|PHYS32)' \
        || die "extracted vmlinux has no PVH entry note"
}

if [[ -f $CACHE_DIR/kernel.stamp && $(cat "$CACHE_DIR/kernel.stamp") == "$kernel_stamp" \
      && -f $CACHE_DIR/vmlinuz && -f $CACHE_DIR/vmlinux && -f $CACHE_DIR/modules/load-order ]]; then
    log "kernel $kver ($version) and modules already prepared"
else
    # A different kernel version invalidates everything under work/.
    if [[ -f $WORK/version && $(cat "$WORK/version") != "$version" ]]; then
        rm -rf "$WORK"
    fi
    mkdir -p "$WORK" && echo "$version" > "$WORK/version"
    download "linux-image-$kver" "linux-headers-$kver" "linux-headers-$abi-common" \
        linux-kbuild-6.1 linux-source-6.1
    extract_image
    extract_headers
    extract_sources
    build_gpio_sim
    collect_modules
    extract_vmlinux
    rm -f "$CACHE_DIR/kernel.stamp" "$CACHE_DIR/base.stamp"
    rm -rf "$CACHE_DIR/modules"
    mv "$WORK/modules" "$CACHE_DIR/modules"
    cp "$WORK/image/boot/vmlinuz-$kver" "$CACHE_DIR/vmlinuz"
    mv "$WORK/vmlinux" "$CACHE_DIR/vmlinux"
    cp "$WORK/image/boot/config-$kver" "$CACHE_DIR/config"
    echo "$kver" > "$CACHE_DIR/kernel-release"
    echo "$kernel_stamp" > "$CACHE_DIR/kernel.stamp"
    log "kernel modules: $(tr '\n' ' ' < "$CACHE_DIR/modules/load-order")"
fi

# --- base initramfs -------------------------------------------------------------------

write_init() {
cat <<'INIT'
#!/bin/sh
# PID 1 of the Midflight test VM. Setup log goes to the console (ttyS0); the payload's
# output and the verdict marker go to ttyS1. Knobs come from /proc/cmdline:
#   midflight.test_timeout=S  midflight.guest_timeout=S  midflight.disk=1
# The payload gets MIDFLIGHT_CONTRACT_I2C_BUS, MIDFLIGHT_CONTRACT_CHIP,
# MIDFLIGHT_CONTRACT_PULL_FILE, MIDFLIGHT_GPIO_SIM_DIR, MIDFLIGHT_VM=1 and
# LD_LIBRARY_PATH=/payload/lib; its cwd is /payload, stdin /dev/null.
export PATH=/payload/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777,size=50% tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run

read -r cmdline < /proc/cmdline
# The last occurrence wins, so run-vm.sh --append can override run-vm.sh's own values.
arg() {
    v=$2
    for w in $cmdline; do
        case $w in "midflight.$1="*) v=${w#*=} ;; esac
    done
    echo "$v"
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
say() { echo "midflight-init [$(uptime_s)s]: $*"; }
halt_vm() { sync; poweroff -f; sleep 2; reboot -f; }

test_timeout=$(arg test_timeout 60)
guest_timeout=$(arg guest_timeout 120)

# Raw mode: no \n -> \r\n on the results port.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1

fail() {
    say "FAIL: $1"
    echo "midflight-init: $1" >&3
    echo "MIDFLIGHT-VM: FAIL rc=${2:-1}" >&3
    exec 3>&-
    halt_vm
}

(
    exec 3>&-
    sleep "$guest_timeout"
    say "guest watchdog fired after ${guest_timeout}s"
    { echo "midflight-init: guest watchdog fired after ${guest_timeout}s"
      echo "MIDFLIGHT-VM: FAIL rc=124"; } > /dev/ttyS1
    halt_vm
) &

say "loading modules"
while read -r mod params; do
    # shellcheck disable=SC2086
    insmod "/lib/modules/$mod" $params || fail "insmod $mod $params failed"
done < /lib/modules/load-order
mount -t configfs configfs /sys/kernel/config || fail "mount configfs failed"
ip link set lo up 2>/dev/null

say "creating gpio-sim chip"
sim=/sys/kernel/config/gpio-sim/midflight
mkdir "$sim" "$sim/bank0" || fail "mkdir $sim failed"
echo 8 > "$sim/bank0/num_lines"
for l in 0:button 1:pulse 2:led; do
    mkdir "$sim/bank0/line${l%%:*}"
    echo "${l#*:}" > "$sim/bank0/line${l%%:*}/name"
done
echo 1 > "$sim/live" || fail "gpio-sim: live=1 failed"
dev_name=$(cat "$sim/dev_name")
chip=$(cat "$sim/bank0/chip_name")
sim_dir="/sys/devices/platform/$dev_name/$chip"
[ -e "$sim_dir/sim_gpio0/pull" ] || fail "gpio-sim: no $sim_dir/sim_gpio0/pull"
[ -c "/dev/$chip" ] || fail "gpio-sim: no /dev/$chip"

bus=
for d in /sys/bus/i2c/devices/i2c-*; do
    [ "$(cat "$d/name" 2>/dev/null)" = "SMBus stub driver" ] && bus=${d##*/i2c-}
done
[ -n "$bus" ] || fail "i2c-stub adapter not found"
[ -c "/dev/i2c-$bus" ] || fail "no /dev/i2c-$bus"

# DS3231 registers 0x00-0x12: 2026-12-03 (Thu, day 4) 12:00:00 in BCD, 24 h mode,
# alarms 0, control 0x1c (power-on default), status 0 (OSF clear), aging 0, 25.00 C.
reg=0
for v in 0x00 0x00 0x12 0x04 0x03 0x12 0x26 0 0 0 0 0 0 0 0x1c 0x00 0x00 0x19 0x00; do
    # busybox i2cset reads DATA-ADDRESS as hex even without 0x: "10" is 0x10.
    r=$(printf '0x%02x' "$reg")
    i2cset -y "$bus" 0x68 "$r" "$v" b || fail "i2cset register $r failed"
    reg=$((reg + 1))
done

if [ "$(arg disk 0)" = 1 ]; then
    n=0
    while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    [ -b /dev/vda ] || fail "--disk given but /dev/vda did not appear"
fi

[ -x /payload/run ] || fail "no executable /payload/run"
# A payload that ships its own loader must use it: ld.so and libc.so.6 go together.
[ -e /payload/lib/ld-linux-x86-64.so.2 ] \
    && ln -sf /payload/lib/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2

export LD_LIBRARY_PATH=/payload/lib
export MIDFLIGHT_VM=1
export MIDFLIGHT_CONTRACT_I2C_BUS="$bus"
export MIDFLIGHT_CONTRACT_CHIP="$chip"
export MIDFLIGHT_CONTRACT_PULL_FILE="$sim_dir/sim_gpio0/pull"
export MIDFLIGHT_GPIO_SIM_DIR="$sim_dir"

say "running /payload/run (timeout ${test_timeout}s; i2c bus $bus, chip $chip)"
cd /payload || fail "cd /payload failed"
setsid /payload/run </dev/null >&3 2>&3 &
pid=$!
(
    exec 3>&-
    sleep "$test_timeout"
    touch /run/midflight-timeout
    kill -TERM -"$pid"
    sleep 3
    kill -KILL -"$pid"
) 2>/dev/null &
killer=$!
wait "$pid"
rc=$?
kill "$killer" 2>/dev/null
# Nothing the payload started may outlive it and write after the marker.
kill -KILL -"$pid" 2>/dev/null
say "payload exited rc=$rc"
if [ -e /run/midflight-timeout ]; then
    echo "midflight-init: payload killed after ${test_timeout}s (per-test timeout)" >&3
    [ "$rc" -eq 0 ] && rc=124
fi
if [ "$rc" -eq 0 ]; then
    echo "MIDFLIGHT-VM: PASS" >&3
else
    echo "MIDFLIGHT-VM: FAIL rc=$rc" >&3
fi
# The last close of the port waits for the UART to drain; poweroff would not.
exec 3>&-
halt_vm
INIT
}

base_stamp="$kernel_stamp
init=$(write_init | sha256sum | cut -c1-16)
busybox=$(sha256sum "$BUSYBOX" | cut -c1-16)
loader=$(sha256sum "$LOADER" | cut -c1-16)"

if [[ -f $CACHE_DIR/base.stamp && $(cat "$CACHE_DIR/base.stamp") == "$base_stamp" \
      && -f $CACHE_DIR/base.cpio ]]; then
    log "base.cpio up to date"
else
    log "building base.cpio"
    root="$CACHE_DIR/rootfs.tmp"
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/modules,lib64,etc,proc,sys,dev,tmp,run,root,mnt}
    cp "$BUSYBOX" "$root/bin/busybox"
    while read -r applet; do
        [[ $applet == */* && ! -e $root/$applet ]] || continue
        # Relative links, so the tree is valid wherever it is unpacked.
        rel=$(realpath -m --relative-to="$root/$(dirname "$applet")" "$root/bin/busybox")
        ln -s "$rel" "$root/$applet"
    done < <("$BUSYBOX" --list-full)
    cp "$LOADER" "$root/lib64/ld-linux-x86-64.so.2"
    cp "$CACHE_DIR"/modules/* "$root/lib/modules/"
    write_init > "$root/init"
    chmod 755 "$root/init"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
    printf 'root:x:0:\n' > "$root/etc/group"
    printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
    chmod 1777 "$root/tmp"
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort \
        | cpio -o -H newc -R 0:0 --quiet) > "$CACHE_DIR/base.cpio.tmp"
    mv "$CACHE_DIR/base.cpio.tmp" "$CACHE_DIR/base.cpio"
    rm -rf "$root"
    echo "$base_stamp" > "$CACHE_DIR/base.stamp"
fi

if [[ ${KEEP_WORK:-0} != 1 && -d $WORK ]]; then
    rm -rf "$WORK"
fi
log "ready: $CACHE_DIR (kernel $kver, $version)"
