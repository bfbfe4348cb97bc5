#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm.sh: run one command inside a VM with a stock Debian kernel (and its WireGuard module)
# whose world is this machine's root, read-only; return the command's exit status.
#
#   host                                         guest (qemu, software emulation)
#   +-------------------------------+            +--------------------------------------+
#   | /  (this machine's root)  ----+--9p, ro----+-> chroot: the same binaries, tools,  |
#   |                               |            |   build tree; tmpfs on /run /tmp     |
#   | OUT (a directory)  -----------+--9p, rw----+-> the same path inside, writable;    |
#   |   .vm/run  .vm/status         |            |   the command and its exit status    |
#   | CACHE: Debian's kernel image, |            | /init (busybox, initramfs): insmod,  |
#   |   busybox-static, initramfs --+--boots-----+-> mount, chroot, status, reboot -f   |
#   +-------------------------------+            +--------------------------------------+
#
# On first use the kernel (the package linux-image-amd64 points to) and busybox-static are
# fetched with `apt-get download`, unpacked with `dpkg -x` into the cache and never installed.
# The kernel boots uncompressed through PVH from a small uncompressed initramfs that loads
# only the modules every run needs; the rest load on demand from the cached module tree.
# No network device: nothing inside can reach anything outside.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${WGSTAR_VM_CACHE:-/var/cache/wgstar-vm}
MEM=${WGSTAR_VM_MEM:-2048}
CPUS=${WGSTAR_VM_CPUS:-2}
TIMEOUT=${WGSTAR_VM_TIMEOUT:-1800}
VERBOSE=${WGSTAR_VM_VERBOSE:-}
OUT=
ENVS=()

# Loaded by /init before anything runs, in dependency order: the 9p share, WireGuard, and
# what the lab and the firewall tests need at once (crc32c before nf_tables' libcrc32c).
readonly EAGER="virtio_pci 9pnet_virtio 9p wireguard veth bridge crc32c_intel crc32c_generic nf_tables"
# Never needed here; left out of the cache to keep it small.
readonly PRUNE="drivers/gpu drivers/media drivers/infiniband drivers/staging drivers/net/wireless
	drivers/net/ethernet drivers/scsi drivers/iio drivers/hid drivers/input drivers/usb
	drivers/bluetooth net/bluetooth net/wireless net/mac80211 sound"

usage() {
	cat <<EOF
Usage: ${0##*/} [OPTIONS] -- COMMAND [ARG...]
       ${0##*/} prepare [--cache DIR]

Runs COMMAND as root inside a VM booted from Debian's current kernel package, in a chroot
of this machine's root (read-only; tmpfs on /run, /tmp, /var/tmp), in the current
directory. Exits with COMMAND's status, or 125 when the VM gave none (it failed to boot,
crashed or timed out). \`prepare\` only fetches and builds what the VM needs.

  --cache DIR      kernel, busybox and initramfs cache (\$WGSTAR_VM_CACHE, default
                   /var/cache/wgstar-vm)
  --out DIR        a directory shared read-write at its own path inside the VM
                   (default: a temporary one)
  --env NAME[=VAL] pass NAME (its value here, or VAL) into the VM; repeatable
  --mem MB         guest memory (\$WGSTAR_VM_MEM, default 2048)
  --cpus N         guest CPUs (\$WGSTAR_VM_CPUS, default 2)
  --timeout SEC    end the VM after SEC seconds (\$WGSTAR_VM_TIMEOUT, default 1800)
  --verbose        kernel messages on the console, and the boot time
EOF
}

die() {
	echo "vm: $*" >&2
	exit 125
}

say() {
	[ -z "$VERBOSE" ] || echo "vm: $*" >&2
}

# --- the cache ---

# apt_candidate PKG: the version apt would fetch, or nothing.
apt_candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true
}

# The kernel image package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

# download DIR PKG VERSION: PKG's .deb into DIR, path on stdout.
download() {
	local dir=$1/deb pkg=$2 ver=$3
	mkdir -p "$dir"
	# apt drops privileges to _apt for downloads; let it write there.
	! id _apt >/dev/null 2>&1 || chown _apt "$dir"
	(cd "$dir" && apt-get download -qq "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
	ls "$dir"/"${pkg}"_*.deb | head -n 1
}

# extract_vmlinux BZIMAGE OUT: the uncompressed ELF kernel inside a bzImage (xz, as Debian's).
extract_vmlinux() {
	local img=$1 out=$2 off
	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | cut -d: -f1); do
		tail -c +$((off + 1)) "$img" | xz -dc --single-stream >"$out.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$out.tmp" "$out"
			return 0
		fi
	done
	rm -f "$out.tmp"
	return 1
}

fetch_busybox() {
	local ver=$1 dir=$2 tmp deb
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	chmod 0755 "$tmp"
	deb=$(download "$tmp" busybox-static "$ver")
	dpkg -x "$deb" "$tmp/x"
	[ -x "$tmp/x/bin/busybox" ] || die "busybox-static $ver has no bin/busybox"
	mkdir -p "$dir"
	mv "$tmp/x/bin/busybox" "$dir/busybox"
	rm -rf "$tmp"
}

fetch_kernel() {
	local pkg=$1 ver=$2 dir=$3 tmp deb kver d
	say "fetching $pkg $ver"
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	chmod 0755 "$tmp"
	deb=$(download "$tmp" "$pkg" "$ver")
	dpkg -x "$deb" "$tmp/root"
	rm -rf "${deb%/*}"
	kver=$(ls "$tmp/root/lib/modules")
	[ -n "$kver" ] && [ -d "$tmp/root/lib/modules/$kver/kernel" ] || die "$pkg has no modules"
	for d in $PRUNE; do
		rm -rf "$tmp/root/lib/modules/$kver/kernel/$d"
	done
	# The package ships no modules.dep; busybox's depmod writes the files its modprobe reads.
	"$BUSYBOX" depmod -b "$tmp/root" "$kver" || die "depmod failed"
	extract_vmlinux "$tmp/root/boot/vmlinuz-$kver" "$tmp/vmlinux" ||
		die "no xz-compressed ELF kernel inside vmlinuz-$kver"
	echo "$kver" >"$tmp/kver"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

# eager_modules DIR KVER: the paths (relative to the module dir) of $EAGER and all they
# depend on, each after its dependencies.
eager_modules() {
	awk -v want="$EAGER" '
	function base(p,  b) { b = p; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b); return b }
	function visit(p,  n, d, i) {
		if (seen[p]++)
			return
		n = split(deps[p], d, " ")
		for (i = 1; i <= n; i++)
			visit(d[i])
		print p
	}
	{
		p = $1
		sub(/:$/, "", p)
		$1 = ""
		deps[p] = $0
		path[base(p)] = p
	}
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) {
			if (!(w[i] in path)) {
				print "no module " w[i] > "/dev/stderr"
				exit 1
			}
			visit(path[w[i]])
		}
	}' "$1/lib/modules/$2/modules.dep"
}

build_initramfs() {
	local kdir=$1 kver=$2 out=$3 stage ko
	stage=$(mktemp -d "$CACHE/.initramfs.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,host,out,modules,lib/modules,tmp}
	cp "$BUSYBOX" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	# The kernel asks /sbin/modprobe for modules it lacks.
	ln -s ../bin/busybox "$stage/sbin/modprobe"
	mknod -m 0600 "$stage/dev/console" c 5 1
	install -m 0755 "$here/init" "$stage/init"
	eager_modules "$kdir/root" "$kver" >"$stage/modules/paths" || die "module list failed"
	while read -r ko; do
		cp "$kdir/root/lib/modules/$kver/$ko" "$stage/modules/"
		echo "${ko##*/}" >>"$stage/modules/order"
	done <"$stage/modules/paths"
	rm "$stage/modules/paths"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) \
		>"$out.tmp" || die "cpio failed"
	mv "$out.tmp" "$out"
	rm -rf "$stage"
}

# apt's view of the package lists: when it changes, the packages are looked up again.
lists_stamp() {
	ls -l --time-style=+%s /var/lib/apt/lists/ 2>/dev/null | sha256sum | cut -c1-16
}

# Fills KDIR, KVER, INITRAMFS, BUSYBOX: fetched and built on first use, reused after.
prepare() {
	local kpkg kv bbver bdir key stamp
	mkdir -p "$CACHE"
	chmod 0755 "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	# Asking apt costs seconds; its answer stands until the package lists change.
	stamp=$(lists_stamp)
	if [ ! -f "$CACHE/kernel/kver" ] || [ ! -x "$CACHE/busybox/busybox" ] ||
		[ "$(cat "$CACHE/lists.stamp" 2>/dev/null)" != "$stamp" ]; then
		kpkg=$(kernel_package)
		if [ -z "$kpkg" ]; then
			apt-get update -qq >&2 || true
			kpkg=$(kernel_package)
			stamp=$(lists_stamp)
		fi
		kv=
		[ -z "$kpkg" ] || kv=$(apt_candidate "$kpkg")
		bbver=$(apt_candidate busybox-static)
		if [ -n "$kpkg" ] && [ -n "$kv" ] && [ -n "$bbver" ]; then
			KDIR=$CACHE/${kpkg}_${kv//:/%}
			bdir=$CACHE/busybox_${bbver//:/%}
			[ -x "$bdir/busybox" ] || fetch_busybox "$bbver" "$bdir"
			BUSYBOX=$bdir/busybox
			[ -f "$KDIR/kver" ] || fetch_kernel "$kpkg" "$kv" "$KDIR"
			ln -sfn "${KDIR##*/}" "$CACHE/kernel"
			ln -sfn "${bdir##*/}" "$CACHE/busybox"
			echo "$stamp" >"$CACHE/lists.stamp"
		elif [ ! -f "$CACHE/kernel/kver" ] || [ ! -x "$CACHE/busybox/busybox" ]; then
			die "apt knows no linux-image-amd64 or busybox-static, and nothing is cached"
		fi
	fi
	KDIR=$(cd "$CACHE/kernel" && pwd -P)
	BUSYBOX=$(cd "$CACHE/busybox" && pwd -P)/busybox
	KVER=$(cat "$KDIR/kver")
	key=$( (cat "$here/init" "$BUSYBOX"; echo "$EAGER") | sha256sum | cut -c1-16)
	INITRAMFS=$KDIR/initramfs-$key.cpio
	if [ ! -f "$INITRAMFS" ]; then
		rm -f "$KDIR"/initramfs-*.cpio
		build_initramfs "$KDIR" "$KVER" "$INITRAMFS"
	fi
	flock -u 9
}

# --- running ---

qemu_pid=
tmp_out=
on_signal() {
	[ -z "$qemu_pid" ] || kill -TERM "$qemu_pid" 2>/dev/null || true
	exit 130
}

run_vm() {
	local out rc status cmdline q e name
	if [ -n "$OUT" ]; then
		mkdir -p "$OUT"
		out=$(cd "$OUT" && pwd -P)
	else
		tmp_out=$(mktemp -d "${TMPDIR:-/tmp}/wgst-vm.XXXXXX")
		trap 'rm -rf "$tmp_out"' EXIT
		out=$tmp_out
	fi
	rm -rf "$out/.vm"
	mkdir -p "$out/.vm"
	{
		printf 'VM_OUT=%q\n' "$out"
		printf 'VM_MODULES=%q\n' "$KDIR/root/lib/modules"
		printf 'VM_VERBOSE=%q\n' "$VERBOSE"
	} >"$out/.vm/env"
	{
		echo '#!/bin/bash'
		echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
		echo 'export HOME=/root LANG=C.UTF-8 TERM=dumb TMPDIR=/tmp'
		for e in "${ENVS[@]+"${ENVS[@]}"}"; do
			name=${e%%=*}
			[[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env $e: not a variable name"
			if [ "$name" = "$e" ]; then
				[ -n "${!name+set}" ] || continue
				printf 'export %s=%q\n' "$name" "${!name}"
			else
				printf 'export %s=%q\n' "$name" "${e#*=}"
			fi
		done
		printf 'cd %q || exit 125\n' "$PWD"
		printf 'exec'
		printf ' %q' "$@"
		echo
	} >"$out/.vm/run"

	# Fast boot under emulation: no crypto self-tests, audit or LSMs. norandmaps: every process
	# maps its libraries at the same addresses, so qemu reuses the code it translated once;
	# it makes each exec some five times cheaper. A panic ends the VM (no status: a failure).
	cmdline="console=ttyS0 rdinit=/init panic=-1 cryptomgr.notests mitigations=off audit=0"
	cmdline+=" lsm=capability norandmaps random.trust_cpu=on tsc=reliable no_timer_check"
	cmdline+=" 8250.nr_uarts=1"
	[ -n "$VERBOSE" ] && cmdline+=" loglevel=6" || cmdline+=" quiet loglevel=0"
	# The CPU without ERMS and FSRM: a CPU that has them copies and clears memory fastest with
	# `rep movsb` and `rep stosb`, so glibc and the kernel use those for anything big, but the
	# emulator runs them a byte at a time, in a loop of its own. Measured in this VM: clearing
	# 13 MB took 18-35 ms with them and 2 without; reading a 13 MB file from the page cache
	# 60-76 ms and 41-44. Without them both take the paths an emulated CPU runs at speed, and
	# the tests' timings weigh big copies as real hardware does.
	q=(qemu-system-x86_64 -nodefaults -no-user-config -no-reboot -display none
		-machine q35 -accel tcg,thread=multi -cpu max,-erms,-fsrm -smp "$CPUS" -m "$MEM"
		-kernel "$KDIR/vmlinux" -initrd "$INITRAMFS" -append "$cmdline"
		-chardev stdio,id=console,signal=off -serial chardev:console
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
		-fsdev local,id=out,path="$out",security_model=none,multidevs=remap
		-device virtio-9p-pci,fsdev=out,mount_tag=out)
	say "booting $KVER"
	trap on_signal INT TERM
	rc=0
	timeout -k 10 "$TIMEOUT" "${q[@]}" </dev/null &
	qemu_pid=$!
	wait "$qemu_pid" || rc=$?
	qemu_pid=
	trap - INT TERM
	status=$(cat "$out/.vm/status" 2>/dev/null || true)
	if ! [[ $status =~ ^[0-9]+$ ]]; then
		[ "$rc" != 124 ] || echo "vm: timed out after $TIMEOUT s" >&2
		echo "vm: no exit status from the VM (qemu exited $rc): counted as a failure" >&2
		return 125
	fi
	return "$status"
}

main() {
	local prepare_only=0
	[ "${1:-}" != prepare ] || { prepare_only=1; shift; }
	while [ $# -gt 0 ]; do
		case $1 in
		--cache) CACHE=${2:?}; shift ;;
		--out) OUT=${2:?}; shift ;;
		--env) ENVS+=("${2:?}"); shift ;;
		--mem) MEM=${2:?}; shift ;;
		--cpus) CPUS=${2:?}; shift ;;
		--timeout) TIMEOUT=${2:?}; shift ;;
		--verbose) VERBOSE=1 ;;
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	[ "$prepare_only" = 1 ] || [ $# -gt 0 ] || { usage >&2; exit 2; }
	[ "$(id -u)" = 0 ] || die "run as root (the VM reads this machine's whole root)"
	command -v qemu-system-x86_64 >/dev/null || die "needs qemu-system-x86_64 (Debian: qemu-system-x86)"
	CACHE=$(mkdir -p "$CACHE" && cd "$CACHE" && pwd -P)
	prepare
	[ "$prepare_only" = 0 ] || { echo "vm: $KVER ready in $CACHE"; return 0; }
	run_vm "$@"
}

main "$@"
