/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files replaced atomically: temp file in the same directory, fsync, rename, directory fsync. */
#ifndef WGSTAR_ATOMIC_H
#define WGSTAR_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

struct file_stamp;

/* Files larger than this are refused (-EFBIG), not read: no config or state file is near it. */
#define ATOMIC_MAX_FILE (64u << 20)
/*
 * What a rewritten file keeps of the old one's mode: never set-id or sticky bits, never
 * writable by everyone, whatever the file it replaces had.
 */
#define ATOMIC_MODE_MASK 0664

/*
 * Replaces dir/name with len bytes of data. An existing file keeps its mode (masked); a new
 * one gets mode. A symbolic link there is replaced itself, never followed. 0 or -errno; on
 * failure the old file is untouched.
 */
int atomic_write(const char *dir, const char *name, const char *data, size_t len, mode_t mode);

/*
 * The whole of a regular file, NUL-terminated, in *out. 0 or -errno: -EINVAL for a FIFO or a
 * device (never waited on), -EISDIR, -EFBIG over ATOMIC_MAX_FILE.
 */
int atomic_read(const char *path, char **out, size_t *len);
/* The same for wgstar's own state files: -ELOOP for a symbolic link; st may be NULL. */
int atomic_read_state(const char *path, char **out, size_t *len, struct file_stamp *st);

/*
 * What a file was when it was read, to tell later whether someone else changed it since. The
 * content hash decides; the rest says which file it was, for messages.
 */
struct file_stamp {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
	struct timespec taken;		/* CLOCK_REALTIME when it was read */
	bool local;			/* on a local filesystem, whose ctime is the kernel's clock */
	/*
	 * MurmurHash3 (x64, 128 bits) of the content: it tells an edit from the same bytes
	 * written again, not an attacker's collision (who can write the file needs none).
	 */
	uint8_t hash[16];
};

/*
 * Reads a regular file whole (NUL-terminated in *out, its length in *len) and stamps it. A
 * file that does not exist gives -ENOENT with *out NULL, *len 0 and st->exists false, a stamp
 * that atomic_changed and atomic_replace take as "no file". Other errors: -errno, -EINVAL for
 * what is not a regular file.
 */
int atomic_read_stamped(const char *path, char **out, size_t *len, struct file_stamp *st);
/*
 * The same, with room bytes more allocated past the NUL (unless the file grew while it was
 * read; *alloc says how many there are at *out): what is appended to a config file's text
 * goes there, not into a copy of it.
 */
int atomic_read_stamped_room(const char *path, size_t room, char **out, size_t *len, size_t *alloc,
			     struct file_stamp *st);
/* For tests only: the stamp's hash of n bytes at p, with another seed than the stamp's 0. */
void atomic_test_hash(uint8_t out[16], const void *p, size_t n, uint32_t seed);

/* 0 when the file holds what st saw, 1 when its content differs or it appeared or vanished, -errno. */
int atomic_changed(const char *path, const struct file_stamp *st);

/*
 * The same for a file watched every second: while stat says it is the file st read (device,
 * inode, size, mtime, ctime), and its ctime was older than the read by more than the
 * filesystem clock's step, no write can have come after the read unseen, and the file is not
 * read again. Otherwise the content decides, as for atomic_changed; when it is the same, st
 * takes the file's new status, so that a file touched but not changed is read once, not on
 * every call.
 */
int atomic_changed_quick(const char *path, struct file_stamp *st);

/*
 * Replaces path with len bytes of data: a temp file, ".NAME.XXXXXX" in the same directory,
 * written, fsynced, given the old file's mode and owner (mode_if_new when there was none),
 * renamed over path, and the directory fsynced. A path that is a symbolic link has its target
 * replaced. The old mode is kept, masked with ATOMIC_MODE_MASK. With expect, -ESTALE when the
 * file changed since that stamp, checked before writing and again right before the rename. 0
 * or -errno; on failure the old file is untouched and the temp file is gone. The temp file is
 * named only once written and synced, where the filesystem has unnamed files (O_TMPFILE): a
 * writer killed in the middle leaves at most a temp file, never the target half written.
 */
int atomic_replace(const char *path, const char *data, size_t len, mode_t mode_if_new,
		   const struct file_stamp *expect);
/*
 * atomic_replace in two steps, for new content that begins with bytes known well before the
 * rest: begin makes the temp file and writes head to it (and the disk may start on it); finish
 * appends tail and replaces path, as atomic_replace does with head and tail as one; abort
 * drops the temp file. The temp file has no name until finish (O_TMPFILE, where the filesystem
 * has it): a writer killed in between leaves nothing behind. expect is checked at both steps;
 * path must stay valid until finish, which looks at it again (a symbolic link there pointed
 * elsewhere meanwhile: -ESTALE) and keeps the owner and mode the file has by then.
 */
struct atomic_pending;
int atomic_replace_begin(struct atomic_pending **out, const char *path, const char *head, size_t len,
			 mode_t mode_if_new, const struct file_stamp *expect);
int atomic_replace_finish(struct atomic_pending *p, const char *tail, size_t len, const struct file_stamp *expect);
void atomic_replace_abort(struct atomic_pending *p);

/* The same for wgstar's own state files: a symbolic link is refused (-ELOOP), not followed. */
int atomic_replace_state(const char *path, const char *data, size_t len, mode_t mode_if_new,
			 const struct file_stamp *expect);

/*
 * Creates path, which must not exist (nor be a symbolic link), with mode from the start,
 * and writes len bytes of data to it, fsynced: for a file that holds a private key. 0 or
 * -errno (-EEXIST when it exists); on failure no file is left behind.
 */
int atomic_create(const char *path, const char *data, size_t len, mode_t mode);

/*
 * For crash tests only: called with "written", "synced" and "renamed" as atomic_replace passes
 * those steps. NULL in the program.
 */
extern void (*atomic_test_step)(const char *step);
/* For tests only: temp files named from the start, as on a filesystem without O_TMPFILE. */
extern bool atomic_test_named_temp;
/* For tests only: an unnamed temp file cannot be linked in (no privilege, no /proc): copied. */
extern bool atomic_test_no_link;

#endif
