#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The core is pure: none of its objects calls I/O, processes, clocks, randomness or the
# environment. Lists each offending source file with the function it calls, and fails.
set -eu
lib=${CORE_LIB:?CORE_LIB: the path to src/core/libwgstar-core.a}
[ -f "$lib" ] || { echo "core_pure.sh: $lib is not built"; exit 1; }

# Files and sockets, processes and signals, the environment, the clocks, randomness, logging,
# terminals, threads, and the libraries that talk to the kernel or the disk.
forbidden='^(open|open64|openat|openat64|creat|close|read|pread|pread64|readv|write|pwrite|pwrite64|writev|lseek|lseek64|fsync|fdatasync|ftruncate|truncate|dup|dup2|dup3|pipe|pipe2|fcntl|fcntl64|ioctl|mmap|mmap64|munmap|socket|socketpair|connect|bind|listen|accept|accept4|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|shutdown|setsockopt|getsockopt|poll|ppoll|select|pselect|epoll_create1|epoll_ctl|epoll_wait|eventfd|fopen|fopen64|fdopen|freopen|freopen64|popen|pclose|tmpfile|mkstemp|mkstemps|mkostemp|mkdtemp|opendir|fdopendir|readdir|readdir64|closedir|scandir|stat|stat64|fstat|fstat64|lstat|lstat64|fstatat|fstatat64|statx|access|faccessat|unlink|unlinkat|rename|renameat|renameat2|link|linkat|symlink|symlinkat|readlink|readlinkat|mkdir|mkdirat|rmdir|chmod|fchmod|fchmodat|chown|fchown|fchownat|lchown|chdir|fchdir|chroot|utimensat|futimens|mount|umount|umount2|fork|vfork|clone|clone3|execl|execlp|execle|execv|execvp|execvpe|execve|execveat|fexecve|posix_spawn|posix_spawnp|system|wait|waitpid|waitid|wait4|kill|tgkill|raise|signal|sigaction|sigprocmask|pthread_sigmask|sigtimedwait|sigwaitinfo|alarm|setitimer|pause|sleep|usleep|nanosleep|clock_nanosleep|unshare|setns|prctl|setrlimit|getrlimit|setsid|setpgid|getpid|getppid|gettid|getuid|geteuid|getgid|getegid|getenv|secure_getenv|setenv|unsetenv|putenv|clearenv|time|gettimeofday|clock_gettime|localtime|localtime_r|gmtime|mktime|rand|srand|random|srandom|getrandom|arc4random|randombytes_buf|randombytes_random|randombytes_uniform|syslog|openlog|vsyslog|isatty|tcgetattr|tcsetattr|ttyname|pthread_create|pthread_join|dlopen|if_nametoindex|if_indextoname|getaddrinfo|gethostbyname|sysconf|sd_journal_send|sd_journal_print|sqlite3_open|sqlite3_open_v2|mnl_socket_open|mnl_socket_open2|mnl_socket_sendto|mnl_socket_recvfrom|nft_ctx_new|nft_run_cmd_from_buffer|initscr|newterm|setlocale)$'

bad=$(nm -A -u "$lib" 2>/dev/null | awk -v re="$forbidden" '
	{ sym = $NF; sub(/@.*/, "", sym) }
	sym ~ re {
		obj = $1; sub(/:$/, "", obj); sub(/.*:/, "", obj)
		sub(/^libwgstar_core_a-/, "", obj); sub(/\.o$/, ".c", obj)
		print "src/core/" obj " calls " sym
	}' | sort -u)
if [ -n "$bad" ]; then
	echo "the core must not do I/O; move these calls to an edge (src/sys) and pass the result in:"
	echo "$bad"
	exit 1
fi
n=$(nm -A "$lib" | awk -F: '{print $2}' | sort -u | wc -l)
echo "the core's $n objects call no I/O"
