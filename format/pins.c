/* pins.c: parser and writer of a tape directory's pins file (DIR/pins), the chunk ranges the recorder's triggers keep. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pins.h"

#define PINS_HEADER "# nettape pins v1: pin ID KIND TS_BOOT_NS SEQ_FROM SEQ_TO COOKIE DESCRIPTION\n"

/* One unsigned decimal field, ended by spaces or the end of the line. */
static int field(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\0')
		return -EINVAL;
	while (*p == ' ')
		p++;
	*s = p;
	*v = x;
	return 0;
}

int tape_pins_parse_line(const char *line, struct tape_pin_line *out)
{
	const char *p = line;
	uint64_t kind;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (line[0] == '#' || line[0] == '\n' || line[0] == '\0' || !strcmp(line, "\r\n"))
		return 0;
	if (strncmp(p, "pin ", 4))
		return -EINVAL;
	p += 4;
	while (*p == ' ')
		p++;
	if (field(&p, &out->id) || field(&p, &kind) || field(&p, &out->ts) || field(&p, &out->seq_from) ||
	    field(&p, &out->seq_to) || field(&p, &out->cookie))
		return -EINVAL;
	if (kind > 0xffff || out->seq_from > out->seq_to || out->seq_to - out->seq_from > TAPE_PINS_MAX_SPAN)
		return -EINVAL;
	out->kind = (uint16_t)kind;
	/* the description starts at its first printable byte */
	while (*p && *p != '\n' && *p != '\r' && ((unsigned char)*p < 0x20 || *p == ' '))
		p++;
	n = strcspn(p, "\r\n");
	if (n >= sizeof(out->desc))
		n = sizeof(out->desc) - 1;
	memcpy(out->desc, p, n);
	out->desc[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out->desc[i] < 0x20)
			out->desc[i] = ' ';
	return 1;
}

int tape_pins_format_line(char *buf, size_t len, const struct tape_pin_line *p)
{
	char desc[TAPE_PINS_DESC_MAX];
	size_t n = strnlen(p->desc, sizeof(p->desc) - 1);
	int w;

	memcpy(desc, p->desc, n);
	desc[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)desc[i] < 0x20)
			desc[i] = ' ';
	w = snprintf(buf, len, "pin %" PRIu64 " %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", p->id,
		     (unsigned)p->kind, p->ts, p->seq_from, p->seq_to, p->cookie, desc);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	return w;
}

int tape_pins_read(const char *dir, tape_pins_cb cb, void *ctx, unsigned *nbad, unsigned *nlines)
{
	char path[4096], line[TAPE_PINS_LINE_MAX];
	unsigned bad = 0, lines = 0;
	int err = 0, skipping = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, TAPE_PINS_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct tape_pin_line p;
		int whole = strchr(line, '\n') != NULL || feof(f);
		int r;

		if (skipping) {          /* the rest of an overlong line */
			skipping = !whole;
			continue;
		}
		lines++;
		if (!whole) {
			bad++;
			skipping = 1;
			continue;
		}
		r = tape_pins_parse_line(line, &p);
		if (r < 0) {
			bad++;
			continue;
		}
		if (r == 1 && (err = cb(ctx, &p)))
			break;
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	if (nbad)
		*nbad = bad;
	if (nlines)
		*nlines = lines;
	return err;
}

int tape_pins_write(const char *dir, const struct tape_pin_line *pins, size_t n)
{
	char path[4096], tmp[4096], line[TAPE_PINS_LINE_MAX];
	int fd, err = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, TAPE_PINS_FILE) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, TAPE_PINS_FILE) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	if (fputs(PINS_HEADER, f) == EOF)
		err = -EIO;
	for (size_t i = 0; !err && i < n; i++) {
		int w = tape_pins_format_line(line, sizeof(line), &pins[i]);

		if (w < 0)
			err = w;
		else if (fputs(line, f) == EOF)
			err = -EIO;
	}
	if (!err && (fflush(f) || fdatasync(fileno(f))))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
cleanup:
	if (err)
		unlink(tmp);
	return err;
}
