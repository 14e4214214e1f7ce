/* tape_reader.c: reads whole tapes: chunk listing, sequence order, and merging several tapes by time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "tape_int.h"

struct chunk_name {
	unsigned long long seq;
	int partial;
	char *path;
};

static int chunk_name_cmp(const void *a, const void *b)
{
	const struct chunk_name *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->partial != y->partial)
		return x->partial - y->partial;
	return strcmp(x->path, y->path);
}

void tape_list_free(char **paths, int n)
{
	if (!paths)
		return;
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int tape_list_chunks(const char *dir, char ***paths)
{
	struct chunk_name *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	char **out = NULL;
	int err = 0;

	if (!dir || !paths)
		return -EINVAL;
	*paths = NULL;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint64_t seq;
		int partial;
		size_t len;
		if (!tape_chunk_name_parse(de->d_name, &seq, &partial))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = nv;
		}
		len = strlen(dir) + strlen(de->d_name) + 2;
		v[n].path = malloc(len);
		if (!v[n].path) {
			err = -ENOMEM;
			goto cleanup;
		}
		snprintf(v[n].path, len, "%s/%s", dir, de->d_name);
		v[n].seq = seq;
		v[n].partial = partial;
		n++;
	}
	if (n > 0x7fffffff) {
		err = -E2BIG;
		goto cleanup;
	}
	if (n)
		qsort(v, n, sizeof(*v), chunk_name_cmp);
	out = malloc((n ? n : 1) * sizeof(*out));
	if (!out) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = v[i].path;
		v[i].path = NULL;
	}
	*paths = out;
	err = (int)n;
cleanup:
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	closedir(d);
	return err;
}

struct cursor {
	char **paths;
	int npaths;
	int next;                    /* next chunk to open */
	struct tape_chunk_reader *cr;
	size_t dmg_copied;           /* damages of cr already copied */
	struct tape_record head;
	uint64_t head_rt;
	int has_head;
	int done;
};

struct tape_reader {
	struct tape_reader_opts o;
	struct cursor *cur;
	size_t ncur;
	struct source_int **src;
	size_t nsrc, srccap;
	struct tape_damage *dmg;
	size_t ndmg, dmgcap;
	long last;                   /* cursor whose head was returned last */
	int started;
};

uint64_t tape_source__to_realtime(const struct tape_source *src, uint64_t boot_ns)
{
	return source_to_realtime(src, boot_ns);
}

uint64_t tape_record_realtime(const struct tape_record *rec)
{
	if (!rec)
		return 0;
	return source_to_realtime(rec->src, rec->ts);
}

static int add_damage(struct tape_reader *r, const struct tape_damage *d)
{
	if (r->ndmg == r->dmgcap) {
		size_t ncap = r->dmgcap ? r->dmgcap * 2 : 8;
		struct tape_damage *n = realloc(r->dmg, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->dmg = n;
		r->dmgcap = ncap;
	}
	r->dmg[r->ndmg++] = *d;
	return 0;
}

static int sync_damage(struct tape_reader *r, struct cursor *c)
{
	size_t n = tape_chunk_reader__ndamage(c->cr);
	for (; c->dmg_copied < n; c->dmg_copied++) {
		int err = add_damage(r, tape_chunk_reader__damage(c->cr, c->dmg_copied));
		if (err)
			return err;
	}
	return 0;
}

static void close_chunk(struct tape_reader *r, struct cursor *c)
{
	sync_damage(r, c);
	tape_chunk_reader__free(c->cr);
	c->cr = NULL;
	c->dmg_copied = 0;
}

static int open_next_chunk(struct tape_reader *r, struct cursor *c, unsigned tape_no)
{
	while (c->next < c->npaths) {
		const char *path = c->paths[c->next++];
		struct tape_damage d;
		struct source_int *s;
		struct stat stbuf;
		int err = 0;

		c->cr = tape_chunk_reader__open(path, &err);
		if (!c->cr) {
			if (err == -ENOMEM)
				return err;
			memset(&d, 0, sizeof(d));
			snprintf(d.path, sizeof(d.path), "%s", path);
			d.lost_bytes = stat(path, &stbuf) ? 0 : (uint64_t)stbuf.st_size;
			d.err = err;
			snprintf(d.reason, sizeof(d.reason), "chunk unreadable: %s",
				 tape_strerror(err));
			if (add_damage(r, &d))
				return -ENOMEM;
			continue;
		}
		if (r->nsrc == r->srccap) {
			size_t ncap = r->srccap ? r->srccap * 2 : 16;
			struct source_int **n = realloc(r->src, ncap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			r->src = n;
			r->srccap = ncap;
		}
		s = chunk_reader_take_source(c->cr);
		s->pub.tape_no = tape_no;
		r->src[r->nsrc++] = s;
		if (r->o.to_ns && s->pub.hdr.created_real_ns > r->o.to_ns) {
			/* this chunk and every later one start after the window */
			close_chunk(r, c);
			c->next = c->npaths;
			return 0;
		}
		if (r->o.from_ns) {
			uint64_t hb = s->pub.hdr.created_boot_ns, hr = s->pub.hdr.created_real_ns;
			uint64_t margin = 2000000000ull, boot;
			/* realtime -> boottime with the header's pair, minus a margin for clock steps */
			boot = r->o.from_ns + hb > hr ? r->o.from_ns + hb - hr : 0;
			boot = boot > margin ? boot - margin : 0;
			err = tape_chunk_reader__seek_time(c->cr, boot);
			if (err == -ENOMEM || (err < 0 && err > -TAPE_E_MAGIC))
				return err;
		}
		return 0;
	}
	return 0;
}

/* Loads the next record of a tape into c->head. */
static int cursor_fill(struct tape_reader *r, struct cursor *c, unsigned tape_no)
{
	int rc;

	c->has_head = 0;
	while (!c->done) {
		if (!c->cr) {
			rc = open_next_chunk(r, c, tape_no);
			if (rc)
				return rc;
			if (!c->cr) {
				c->done = 1;
				break;
			}
		}
		rc = tape_chunk_reader__next(c->cr, &c->head);
		if (sync_damage(r, c))
			return -ENOMEM;
		if (rc < 0)
			return rc;
		if (rc == 0) {
			close_chunk(r, c);
			continue;
		}
		if (r->o.skip_meta && nt_rec_is_meta(c->head.type))
			continue;
		/* one tape without a window needs no clock conversion (hot path) */
		if (r->ncur == 1 && !r->o.from_ns && !r->o.to_ns) {
			c->has_head = 1;
			break;
		}
		c->head_rt = tape_record_realtime(&c->head);
		if (r->o.from_ns && c->head_rt < r->o.from_ns)
			continue;
		if (r->o.to_ns && c->head_rt > r->o.to_ns)
			continue;
		c->has_head = 1;
		break;
	}
	return 0;
}

int tape_reader__next(struct tape_reader *r, struct tape_record *rec)
{
	long best = -1;
	int rc;

	if (!r || !rec)
		return -EINVAL;
	if (!r->started) {
		r->started = 1;
		for (size_t i = 0; i < r->ncur; i++) {
			rc = cursor_fill(r, &r->cur[i], (unsigned)i);
			if (rc)
				return rc;
		}
	} else if (r->last >= 0) {
		rc = cursor_fill(r, &r->cur[r->last], (unsigned)r->last);
		if (rc)
			return rc;
	}
	r->last = -1;
	for (size_t i = 0; i < r->ncur; i++) {
		if (!r->cur[i].has_head)
			continue;
		if (best < 0 || r->cur[i].head_rt < r->cur[best].head_rt)
			best = (long)i;
	}
	if (best < 0)
		return 0;
	r->last = best;
	r->cur[best].has_head = 0;
	*rec = r->cur[best].head;
	return 1;
}

size_t tape_reader__ndamage(const struct tape_reader *r)
{
	return r ? r->ndmg : 0;
}

const struct tape_damage *tape_reader__damage(const struct tape_reader *r, size_t i)
{
	return r && i < r->ndmg ? &r->dmg[i] : NULL;
}

size_t tape_reader__nsources(const struct tape_reader *r)
{
	return r ? r->nsrc : 0;
}

const struct tape_source *tape_reader__source(const struct tape_reader *r, size_t i)
{
	return r && i < r->nsrc ? &r->src[i]->pub : NULL;
}

void tape_reader__free(struct tape_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncur; i++) {
		tape_chunk_reader__free(r->cur[i].cr);
		tape_list_free(r->cur[i].paths, r->cur[i].npaths);
	}
	for (size_t i = 0; i < r->nsrc; i++)
		source_int_free(r->src[i]);
	free(r->cur);
	free(r->src);
	free(r->dmg);
	free(r);
}

/* Header of a chunk file, or a negative error. */
static int peek_header(const char *path, struct tape_header *h)
{
	uint8_t *buf = malloc(CHUNK_HDR_MAX);
	ssize_t n;
	int fd, rc;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	n = pread(fd, buf, CHUNK_HDR_MAX, 0);
	rc = n < 0 ? -errno : chunk_hdr_decode(buf, (size_t)n, h, NULL);
	close(fd);
cleanup:
	free(buf);
	return rc < 0 ? rc : 0;
}

struct tape_reader *tape_reader__open(const char *const *paths, size_t npaths,
				      const struct tape_reader_opts *opts, int *err)
{
	struct tape_reader *r = NULL;
	int rc = 0;

	if (!paths || !npaths) {
		rc = -EINVAL;
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto fail;
	}
	r->last = -1;
	if (opts)
		r->o = *opts;
	r->cur = calloc(npaths, sizeof(*r->cur));
	if (!r->cur) {
		rc = -ENOMEM;
		goto fail;
	}
	r->ncur = npaths;
	for (size_t i = 0; i < npaths; i++) {
		struct cursor *c = &r->cur[i];
		struct stat stbuf;

		if (!paths[i] || stat(paths[i], &stbuf)) {
			rc = paths[i] ? -errno : -EINVAL;
			goto fail;
		}
		if (S_ISDIR(stbuf.st_mode)) {
			uint8_t id[16];
			int have_id = 0;

			rc = tape_list_chunks(paths[i], &c->paths);
			if (rc < 0)
				goto fail;
			c->npaths = rc;
			if (!rc) {
				rc = -TAPE_E_NOCHUNKS;
				goto fail;
			}
			for (int k = 0; k < c->npaths; k++) {
				struct tape_header h;
				int hr = peek_header(c->paths[k], &h);
				if (hr == -ENOMEM) {
					rc = hr;
					goto fail;
				}
				if (hr)
					continue;
				if (have_id && memcmp(id, h.recording_id, 16)) {
					rc = -TAPE_E_MIXED;
					goto fail;
				}
				memcpy(id, h.recording_id, 16);
				have_id = 1;
			}
		} else {
			c->paths = malloc(sizeof(*c->paths));
			if (!c->paths) {
				rc = -ENOMEM;
				goto fail;
			}
			c->paths[0] = strdup(paths[i]);
			if (!c->paths[0]) {
				free(c->paths);
				c->paths = NULL;
				rc = -ENOMEM;
				goto fail;
			}
			c->npaths = 1;
		}
	}
	if (err)
		*err = 0;
	return r;
fail:
	tape_reader__free(r);
	if (err)
		*err = rc;
	errno = rc > -TAPE_E_MAGIC ? -rc : EBADMSG;
	return NULL;
}
