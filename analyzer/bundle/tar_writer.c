/* tar_writer.c: encodes ustar headers and streams member data into a tar archive. */
#include "bundle/tar_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BLOCK 512
#define MAX_SIZE 077777777777ull /* 11 octal digits: 8 GiB - 1 */

struct tar_writer {
	FILE *f;
	uint64_t mtime;
	int err;
};

struct tar_writer *tar_writer__open(FILE *f, uint64_t mtime)
{
	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	struct tar_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->f = f;
	w->mtime = mtime;
	return w;
}

static int write_bytes(struct tar_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n && fwrite(p, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

static int write_pad(struct tar_writer *w, uint64_t size)
{
	static const char zero[BLOCK];
	size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
	return write_bytes(w, zero, pad);
}

/* Octal, zero-padded to width-1 digits, NUL-terminated. */
static void put_octal(char *field, size_t width, uint64_t v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), (unsigned long long)v);
	memcpy(field, tmp, width - 1);
	field[width - 1] = '\0';
}

/* Splits name into ustar prefix (155) and name (100). */
static int split_name(const char *name, char *hname, char *hprefix)
{
	size_t n = strlen(name);
	if (n == 0 || name[0] == '/')
		return -EINVAL;
	if (n <= 100) {
		memcpy(hname, name, n);
		return 0;
	}
	for (size_t i = n - 1; i > 0; i--) {
		if (name[i] != '/')
			continue;
		size_t plen = i, rest = n - i - 1;
		if (plen <= 155 && rest <= 100 && rest > 0) {
			memcpy(hprefix, name, plen);
			memcpy(hname, name + i + 1, rest);
			return 0;
		}
	}
	return -ENAMETOOLONG;
}

static int write_header(struct tar_writer *w, const char *name, char type, unsigned mode,
			uint64_t size)
{
	if (w->err)
		return w->err;
	if (size > MAX_SIZE)
		return -EFBIG;
	char h[BLOCK];
	memset(h, 0, sizeof(h));
	int err = split_name(name, h + 0, h + 345);
	if (err)
		return err;
	put_octal(h + 100, 8, mode & 07777);
	put_octal(h + 108, 8, 0);        /* uid */
	put_octal(h + 116, 8, 0);        /* gid */
	put_octal(h + 124, 12, size);
	put_octal(h + 136, 12, w->mtime & MAX_SIZE);
	memset(h + 148, ' ', 8);         /* checksum computed with spaces here */
	h[156] = type;
	memcpy(h + 257, "ustar", 6);     /* magic "ustar\0" */
	memcpy(h + 263, "00", 2);        /* version */
	memcpy(h + 265, "root", 4);      /* uname */
	memcpy(h + 297, "root", 4);      /* gname */
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	/* six octal digits, NUL, space (the traditional layout) */
	snprintf(h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
	return write_bytes(w, h, BLOCK);
}

int tar_writer__add_dir(struct tar_writer *w, const char *name, unsigned mode)
{
	if (!w || !name)
		return -EINVAL;
	size_t n = strlen(name);
	char *tmp = malloc(n + 2);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, name, n + 1);
	if (n == 0 || tmp[n - 1] != '/') {
		tmp[n] = '/';
		tmp[n + 1] = '\0';
	}
	int err = write_header(w, tmp, '5', mode, 0);
	free(tmp);
	return err;
}

int tar_writer__add_mem(struct tar_writer *w, const char *name, const void *data, size_t len,
			unsigned mode)
{
	if (!w || !name || (len && !data))
		return -EINVAL;
	int err = write_header(w, name, '0', mode, len);
	if (!err)
		err = write_bytes(w, data, len);
	if (!err)
		err = write_pad(w, len);
	return err;
}

int tar_writer__add_file(struct tar_writer *w, const char *name, const char *path,
			 unsigned mode)
{
	if (!w || !name || !path)
		return -EINVAL;
	if (w->err)
		return w->err;
	int err = 0;
	char *buf = NULL;
	FILE *in = fopen(path, "rb");
	if (!in)
		return -errno;
	struct stat st;
	if (fstat(fileno(in), &st) != 0) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	uint64_t size = (uint64_t)st.st_size;
	err = write_header(w, name, '0', mode, size);
	if (err)
		goto cleanup;
	buf = malloc(65536);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	uint64_t done = 0;
	while (done < size) {
		size_t want = size - done < 65536 ? (size_t)(size - done) : 65536;
		size_t got = fread(buf, 1, want, in);
		if (got != want) {
			/* the header promised size bytes: a short file would corrupt the archive */
			err = -EIO;
			w->err = err;
			goto cleanup;
		}
		err = write_bytes(w, buf, got);
		if (err)
			goto cleanup;
		done += got;
	}
	err = write_pad(w, size);
cleanup:
	free(buf);
	fclose(in);
	return err;
}

int tar_writer__finish(struct tar_writer *w)
{
	if (!w)
		return -EINVAL;
	static const char zero[2 * BLOCK];
	int err = write_bytes(w, zero, sizeof(zero));
	if (!err && fflush(w->f) != 0)
		err = w->err = errno ? -errno : -EIO;
	return err;
}

void tar_writer__free(struct tar_writer *w)
{
	free(w);
}
