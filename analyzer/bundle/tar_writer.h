/* tar_writer.h: a minimal POSIX ustar archive writer (regular files and directories). */
#ifndef NETTAPE_TAR_WRITER_H
#define NETTAPE_TAR_WRITER_H

/*
 * Writes a POSIX.1-1988 "ustar" archive that GNU tar, bsdtar and Python's
 * tarfile read: one 512-byte header per member, the data padded to 512 bytes,
 * and two zero blocks at the end.
 *
 * Invariants:
 * - Never prints, never exits; functions return 0 or a negative errno. The
 *   first error is sticky.
 * - Member names are relative, at most 255 bytes, split into the ustar
 *   prefix/name fields at a '/'; members are owned by uid/gid 0 ("root"),
 *   and all share the mtime given at open (reproducible archives).
 * - The FILE is borrowed; tar_writer__finish() writes the end blocks and
 *   flushes it. tar_writer__free(NULL) is a no-op.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tar_writer;

/* Returns NULL with errno = ENOMEM or EINVAL. Caller frees with tar_writer__free(). */
struct tar_writer *tar_writer__open(FILE *f, uint64_t mtime);

/* Adds a directory member ("tape/"; the trailing slash is added if missing).
 * Returns 0, -ENAMETOOLONG, -EINVAL, -errno of the write. */
int tar_writer__add_dir(struct tar_writer *w, const char *name, unsigned mode);

/* Adds a regular file with len bytes from data. Returns as tar_writer__add_dir(),
 * and -EFBIG beyond the 8 GiB ustar size limit. */
int tar_writer__add_mem(struct tar_writer *w, const char *name, const void *data, size_t len,
			unsigned mode);

/* Adds the regular file at path (read in pieces) under the member name.
 * Returns as tar_writer__add_mem(), and -errno of open/read (-EIO if the file
 * changed size while being read). */
int tar_writer__add_file(struct tar_writer *w, const char *name, const char *path,
			 unsigned mode);

/* Writes the two end-of-archive blocks and flushes. Returns 0 or the first error. */
int tar_writer__finish(struct tar_writer *w);

void tar_writer__free(struct tar_writer *w);

#endif /* NETTAPE_TAR_WRITER_H */
