/* pcap_import.c: imports packet captures (pcap, pcapng) into a nettape database, deriving the detectors' events from packets. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <time.h>

#include "store/store.h"
#include "util/hmap.h"
#include "pcap/pcap_analyze.h"
#include "pcap/pcap_import.h"

#define ID_BYTES (1u << 20) /* identity: hash of the first MiB + size */

enum {
	P_PACKET, P_SAMPLE, P_RETRANS, P_CONG, P_RESET, P_STATE, P_CONN, P_COUNT
};

static const char *const psql[P_COUNT] = {
	[P_PACKET] = "INSERT INTO packets (chunk_id, conn_id, ts, ts_boot, cookie, netns, ifindex, orig_len, linktype,"
		     " dir, data, seq, ack, tcp_flags, win_raw, window, payload, analysis)"
		     " VALUES (?,?,?,NULL,0,0,0,?,?,?,?,?,?,?,?,?,?,?)",
	[P_SAMPLE] = "INSERT INTO samples (chunk_id, conn_id, ts, ts_boot, kind, ca_state, srtt_us, rcv_wnd, snd_wnd,"
		     " snd_cwnd, rcv_queue, snd_queue, bytes_acked) VALUES (?,?,?,NULL,?,?,?,?,?,NULL,NULL,NULL,?)",
	[P_RETRANS] = "INSERT INTO retransmits (chunk_id, conn_id, ts, ts_boot, kind, state, ca_state, seq, srtt_us,"
		      " rto_us, snd_wnd, snd_cwnd, total_retrans, backoff) VALUES (?,?,?,NULL,?,?,?,?,?,?,?,NULL,?,?)",
	[P_CONG] = "INSERT INTO cong (chunk_id, conn_id, ts, ts_boot, old_state, new_state, snd_cwnd, ssthresh, srtt_us,"
		   " packets_out, retrans_out) VALUES (?,?,?,NULL,?,?,NULL,NULL,?,NULL,NULL)",
	[P_RESET] = "INSERT INTO resets (chunk_id, conn_id, ts, ts_boot, kind, state, reason, reason_name)"
		    " VALUES (?,?,?,NULL,?,?,0,NULL)",
	[P_STATE] = "INSERT INTO states (chunk_id, conn_id, ts, ts_boot, old_state, new_state, flags, wscale_ok,"
		    " snd_wscale, rcv_wscale, mss, srtt_us, total_retrans, bytes_acked, bytes_received)"
		    " VALUES (?,?,?,NULL,?,1,1,?,?,?,?,NULL,NULL,NULL,NULL)",
	[P_CONN] = "INSERT INTO connections (conn_id, host_id, cookie, netns, family, laddr, lport, raddr, rport,"
		   " tuple_known, listener, pid, first_ts, last_ts, last_state, wscale_ok, snd_wscale, rcv_wscale,"
		   " mss, sack_ok, ts_ok, bytes_acked, bytes_received, retransmits, rtt_samples, rtt_min_us,"
		   " rtt_avg_us, rtt_max_us, rtt_sum_us, events)"
		   " VALUES (?,?,0,0,?,?,?,?,?,?,0,0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
};

struct pimp {
	struct nt_store *db;
	char *err;
	const struct nt_import_opts *opts;
	struct nt_pcap_stats *st;
	struct nt_stmt *s[P_COUNT];
	int64_t host_id, chunk_id;
	int linktype;             /* LINKTYPE_* stored with each packet */
	const uint8_t *frame;     /* the current frame and its length (for the stored header bytes) */
	size_t caplen;
	uint32_t orig_len;
	struct hmap events;       /* conn_id -> event rows */
	uint64_t chunk_events;
	int64_t first_ts, last_ts;
};

#define BI(s, i, v) nt_stmt_bind_int((s), (i), (int64_t)(v))

static int step(struct pimp *im, struct nt_stmt *s, const char *what)
{
	int rc = nt_stmt_step(s);

	nt_stmt_reset(s);
	if (rc != NT_STORE_DONE) {
		snprintf(im->err, NT_ERRLEN, "%s: %s", what, nt_store_errmsg(im->db));
		return -1;
	}
	return 0;
}

static void bind_opt(struct nt_stmt *s, int i, int64_t v)
{
	if (v < 0)
		nt_stmt_bind_null(s, i);
	else
		BI(s, i, v);
}

static void count_event(struct pimp *im, int64_t conn_id)
{
	int64_t n = 0;

	hmap_get(&im->events, (uint64_t)conn_id, &n);
	hmap_put(&im->events, (uint64_t)conn_id, n + 1);
	im->chunk_events++;
	im->st->events++;
}

static void head(struct pimp *im, struct nt_stmt *s, const struct nt_pa_conn *c, int64_t ts)
{
	BI(s, 1, im->chunk_id);
	BI(s, 2, c->conn_id);
	BI(s, 3, ts);
}

static int on_packet(void *ctx, const struct nt_pa_conn *c, const struct nt_packet *p, int64_t ts, int side,
		     int64_t window, unsigned analysis)
{
	struct pimp *im = ctx;
	struct nt_stmt *s = im->s[P_PACKET];
	size_t keep = p->hdr_end < im->caplen ? p->hdr_end : im->caplen;

	head(im, s, c, ts);
	BI(s, 4, im->orig_len);
	BI(s, 5, im->linktype);
	BI(s, 6, side == 0 ? 2 : 1); /* 2 out of local (the server), 1 in */
	nt_stmt_bind_blob(s, 7, im->frame, keep);
	BI(s, 8, p->seq);
	BI(s, 9, p->ack);
	BI(s, 10, p->flags);
	BI(s, 11, p->win);
	bind_opt(s, 12, window);
	BI(s, 13, p->payload);
	BI(s, 14, analysis);
	if (ts < im->first_ts)
		im->first_ts = ts;
	if (ts > im->last_ts)
		im->last_ts = ts;
	im->st->tcp++;
	return step(im, s, "insert packet");
}

static int on_event(void *ctx, const struct nt_pa_conn *c, const struct nt_pa_event *e)
{
	struct pimp *im = ctx;
	struct nt_stmt *s;

	switch (e->type) {
	case NT_PA_EV_ZERO_START:
	case NT_PA_EV_ZERO_END:
	case NT_PA_EV_RTT: {
		int kind;
		if (e->type == NT_PA_EV_RTT)
			kind = e->kind;
		else /* local advertised zero: our receive window (1/2); remote: the peer's (3/4) */
			kind = (e->side == 0 ? 1 : 3) + (e->type == NT_PA_EV_ZERO_END);
		s = im->s[P_SAMPLE];
		head(im, s, c, e->ts);
		BI(s, 4, kind);
		BI(s, 5, c->side[0].ca);
		BI(s, 6, e->srtt_us);
		bind_opt(s, 7, e->rcv_wnd);
		bind_opt(s, 8, e->snd_wnd);
		BI(s, 9, e->bytes_acked);
		if (step(im, s, "insert sample"))
			return -1;
		break;
	}
	case NT_PA_EV_RETRANS:
		s = im->s[P_RETRANS];
		head(im, s, c, e->ts);
		BI(s, 4, e->kind);
		BI(s, 5, e->kind == 1 ? 2 : e->kind == 2 ? 3 : 1);
		BI(s, 6, e->ca_state);
		BI(s, 7, e->seq);
		BI(s, 8, e->srtt_us);
		BI(s, 9, e->ca_state == 4 ? e->gap_us : 0);
		bind_opt(s, 10, e->side == 0 ? e->snd_wnd : e->rcv_wnd); /* the receiver's window */
		BI(s, 11, c->side[e->side].retrans);
		BI(s, 12, e->backoff);
		if (step(im, s, "insert retransmit"))
			return -1;
		break;
	case NT_PA_EV_CONG:
		s = im->s[P_CONG];
		head(im, s, c, e->ts);
		BI(s, 4, e->old_state);
		BI(s, 5, e->ca_state);
		BI(s, 6, e->srtt_us);
		if (step(im, s, "insert cong"))
			return -1;
		break;
	case NT_PA_EV_RESET:
		s = im->s[P_RESET];
		head(im, s, c, e->ts);
		BI(s, 4, e->side == 0 ? 0 : 1); /* sent by local (the server) or received */
		BI(s, 5, c->state ? c->state : 1);
		if (step(im, s, "insert reset"))
			return -1;
		break;
	case NT_PA_EV_ESTABLISHED:
		s = im->s[P_STATE];
		head(im, s, c, e->ts);
		BI(s, 4, 3); /* SYN_RECV -> ESTABLISHED, as the server saw it */
		bind_opt(s, 5, c->wscale_known ? c->wscale_ok : -1);
		bind_opt(s, 6, c->wscale_known ? c->shift[1] : -1);
		bind_opt(s, 7, c->wscale_known ? c->shift[0] : -1);
		bind_opt(s, 8, c->side[1].mss ? c->side[1].mss : -1);
		if (step(im, s, "insert state"))
			return -1;
		break;
	}
	count_event(im, c->conn_id);
	return 0;
}

static void addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* Payload bytes of side s acknowledged by the peer (SYN and FIN not counted). */
static uint64_t acked(const struct nt_pa_side *s)
{
	uint64_t a = s->have_seq && s->have_una ? (uint32_t)(s->snd_una - s->base) : 0;

	return a < s->bytes ? a : s->bytes;
}

static int on_conn_done(void *ctx, const struct nt_pa_conn *c)
{
	struct pimp *im = ctx;
	struct nt_stmt *s = im->s[P_CONN];
	const struct nt_pa_side *l = &c->side[0], *r = &c->side[1], *d = &c->side[c->rtt_side];
	char la[64], ra[64];
	int64_t ev = 0, rmin = -1, rmax = -1, rsum = 0;
	int both_syn = l->syn_seen && r->syn_seen;

	for (size_t i = 0; i < d->nrtt_rows; i++) {
		int64_t v = d->rtt[i].srtt_us;
		rsum += v;
		if (rmin < 0 || v < rmin)
			rmin = v;
		if (v > rmax)
			rmax = v;
	}
	hmap_get(&im->events, (uint64_t)c->conn_id, &ev);
	addr_text(c->family, c->addr[0], la, sizeof(la));
	addr_text(c->family, c->addr[1], ra, sizeof(ra));
	BI(s, 1, c->conn_id);
	BI(s, 2, im->host_id);
	BI(s, 3, c->family);
	nt_stmt_bind_text(s, 4, la);
	BI(s, 5, c->port[0]);
	nt_stmt_bind_text(s, 6, ra);
	BI(s, 7, c->port[1]);
	BI(s, 8, c->by_handshake);
	BI(s, 9, c->first_ts);
	BI(s, 10, c->last_ts);
	bind_opt(s, 11, c->state ? c->state : -1);
	bind_opt(s, 12, c->wscale_known ? c->wscale_ok : -1);
	bind_opt(s, 13, c->wscale_known ? c->shift[1] : -1); /* applied to the windows local receives */
	bind_opt(s, 14, c->wscale_known ? c->shift[0] : -1);
	bind_opt(s, 15, r->mss ? r->mss : -1);
	bind_opt(s, 16, both_syn ? (l->sack_perm && r->sack_perm) : -1);
	bind_opt(s, 17, both_syn ? (l->ts_opt && r->ts_opt) : -1);
	BI(s, 18, acked(l));
	BI(s, 19, acked(r));
	BI(s, 20, l->retrans + r->retrans);
	BI(s, 21, d->nrtt_rows);
	bind_opt(s, 22, rmin);
	bind_opt(s, 23, d->nrtt_rows ? rsum / (int64_t)d->nrtt_rows : -1);
	bind_opt(s, 24, rmax);
	BI(s, 25, rsum);
	BI(s, 26, ev);
	im->st->connections++;
	return step(im, s, "insert connection");
}

int nt_pcap_is_capture(const char *path)
{
	uint8_t m[4];
	struct stat stb;
	FILE *f;
	size_t n;

	if (stat(path, &stb) || !S_ISREG(stb.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(m, 1, 4, f);
	fclose(f);
	if (n != 4)
		return 0;
	uint32_t le = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
	switch (le) {
	case 0xa1b2c3d4: case 0xd4c3b2a1: /* pcap, microseconds, either byte order */
	case 0xa1b23c4d: case 0x4d3cb2a1: /* pcap, nanoseconds */
	case 0x0a0d0d0a:                  /* pcapng section header block */
		return 1;
	default:
		return 0;
	}
}

/* The capture's identity: 32 hex digits from the first MiB and the size; *pcapng from the magic. */
static int identity(const char *path, char *rid, uint64_t *size, int *pcapng, char *err)
{
	struct stat stb;
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;
	uint64_t h1, h2;

	if (!f || fstat(fileno(f), &stb)) {
		snprintf(err, NT_ERRLEN, "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(ID_BYTES);
	if (!buf) {
		fclose(f);
		snprintf(err, NT_ERRLEN, "out of memory");
		return -1;
	}
	n = fread(buf, 1, ID_BYTES, f);
	fclose(f);
	*pcapng = n >= 4 && buf[0] == 0x0a && buf[1] == 0x0d && buf[2] == 0x0d && buf[3] == 0x0a;
	*size = (uint64_t)stb.st_size;
	h1 = hash_mix(hash_bytes(buf, n, 0x6e7470636170ULL) ^ *size);
	h2 = hash_mix(hash_bytes(buf, n, 0x9e3779b97f4a7c15ULL) + *size * 0xff51afd7ed558ccdULL);
	free(buf);
	snprintf(rid, 33, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
	return 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

/* Host and chunk rows. Returns 1 to import, 0 when already imported, -1 on error. */
static int rows_for(struct pimp *im, const char *path, const char *rid, const char *fmt)
{
	char boot[48];
	struct nt_stmt *s;
	int done = 0;

	s = nt_store_prepare(im->db, "SELECT complete FROM chunks WHERE recording_id = ? AND seq = 1", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, rid);
	if (nt_stmt_step(s) == NT_STORE_ROW)
		done = 1; /* rows are written in one transaction with the capture: present = complete */
	nt_stmt_finalize(s);
	if (done)
		return 0;
	snprintf(boot, sizeof(boot), "pcap:%s", rid);
	s = nt_store_prepare(im->db, "INSERT OR IGNORE INTO hosts (hostname, boot_id, kernel) VALUES (?, ?, NULL)", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, base_name(path));
	nt_stmt_bind_text(s, 2, boot);
	if (step(im, s, "insert host")) {
		nt_stmt_finalize(s);
		return -1;
	}
	nt_stmt_finalize(s);
	s = nt_store_prepare(im->db, "SELECT host_id FROM hosts WHERE hostname = ? AND boot_id = ?", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, base_name(path));
	nt_stmt_bind_text(s, 2, boot);
	im->host_id = nt_stmt_step(s) == NT_STORE_ROW ? nt_col_int(s, 0) : -1;
	nt_stmt_finalize(s);
	if (im->host_id < 0) {
		snprintf(im->err, NT_ERRLEN, "host row of %s: %s", path, nt_store_errmsg(im->db));
		return -1;
	}
	s = nt_store_prepare(im->db, "INSERT INTO chunks (host_id, recording_id, seq, path, recorder_version, kind,"
				  " imported_at) VALUES (?, ?, 1, ?, ?, 'pcap', ?)", im->err);
	if (!s)
		return -1;
	BI(s, 1, im->host_id);
	nt_stmt_bind_text(s, 2, rid);
	nt_stmt_bind_text(s, 3, path);
	nt_stmt_bind_text(s, 4, fmt);
	BI(s, 5, (int64_t)time(NULL) * 1000000000LL);
	if (step(im, s, "insert chunk")) {
		nt_stmt_finalize(s);
		return -1;
	}
	nt_stmt_finalize(s);
	im->chunk_id = nt_store_last_id(im->db);
	return 1;
}

static int finish_chunk(struct pimp *im, uint64_t damaged)
{
	struct nt_stmt *s = nt_store_prepare(im->db, "UPDATE chunks SET first_ts = ?2, last_ts = ?3, events = ?4,"
					" damaged_bytes = ?5, complete = 1 WHERE chunk_id = ?1", im->err);
	int rc;

	if (!s)
		return -1;
	BI(s, 1, im->chunk_id);
	if (im->first_ts <= im->last_ts) {
		BI(s, 2, im->first_ts);
		BI(s, 3, im->last_ts);
	} else {
		nt_stmt_bind_null(s, 2);
		nt_stmt_bind_null(s, 3);
	}
	BI(s, 4, im->chunk_events);
	BI(s, 5, damaged);
	rc = step(im, s, "update chunk");
	nt_stmt_finalize(s);
	return rc;
}

static int damage_row(struct pimp *im, uint64_t off, uint64_t lost, const char *why)
{
	struct nt_stmt *s = nt_store_prepare(im->db, "INSERT INTO damage VALUES (?, ?, ?, 'truncated capture', ?)", im->err);
	int rc;

	if (!s)
		return -1;
	BI(s, 1, im->chunk_id);
	BI(s, 2, off);
	BI(s, 3, lost);
	nt_stmt_bind_text(s, 4, why);
	rc = step(im, s, "insert damage");
	nt_stmt_finalize(s);
	return rc;
}

/* Reads one capture inside the current transaction. Returns 0, 1 when the
 * file is unusable (warned, counted), -1 on a database error. */
static int import_one(struct pimp *im, const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", rid[33];
	uint64_t size = 0, damaged = 0, frames = 0, good_off = 0;
	struct nt_pa_sink sink = { on_packet, on_event, on_conn_done, im };
	struct nt_pa *pa = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = NULL;
	int rc, ret = -1, dlt, pcapng;
	FILE *pf;

	if (identity(path, rid, &size, &pcapng, im->err))
		return -1;
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		nt_import_warn(im->opts, "%s: not readable as a capture (%s); check the file, or convert it with 'editcap -F pcap'", path,
		     ebuf);
		im->st->failed++;
		return 1;
	}
	dlt = pcap_datalink(p);
	if (!nt_packet_linktype_ok(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		nt_import_warn(im->opts, "%s: link type %s (%d) is not supported (Ethernet, Linux cooked SLL/SLL2 and raw IP are); "
		     "capture on an Ethernet interface or on 'any' (Linux cooked)", path, name ? name : "?", dlt);
		im->st->failed++;
		ret = 1;
		goto out;
	}
	rc = rows_for(im, path, rid, pcapng ? "pcapng" : "pcap");
	if (rc <= 0) {
		if (rc == 0)
			im->st->skipped++;
		ret = rc < 0 ? -1 : 0;
		goto out;
	}
	im->linktype = (dlt == NT_LINKTYPE_RAW_OLD || dlt == NT_LINKTYPE_RAW_OPENBSD) ? NT_LINKTYPE_RAW : dlt;
	im->chunk_events = 0;
	im->first_ts = INT64_MAX;
	im->last_ts = INT64_MIN;
	hmap_clear(&im->events);
	pa = nt_pa__new(&sink, nt_store_int(im->db, "SELECT max(conn_id) FROM connections", 0) + 1);
	if (!pa) {
		snprintf(im->err, NT_ERRLEN, "out of memory");
		goto out;
	}
	pf = pcap_file(p);
	if (pf && ftell(pf) > 0)
		good_off = (uint64_t)ftell(pf); /* after the file header */
	for (;;) {
		struct nt_packet t;
		rc = pcap_next_ex(p, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc == PCAP_ERROR) {
			uint64_t at = good_off;
			nt_import_warn(im->opts, "%s: capture ends early at byte offset %llu of %llu (%s); the %llu packets before it were "
			     "imported", path, (unsigned long long)at, (unsigned long long)size, pcap_geterr(p),
			     (unsigned long long)frames);
			damaged = size > at ? size - at : 0;
			im->st->truncated++;
			if (damage_row(im, at, damaged, pcap_geterr(p)))
				goto out;
			break;
		}
		if (rc != 1)
			continue;
		if (pf) {
			long off = ftell(pf);
			if (off >= 0)
				good_off = (uint64_t)off; /* end of the last complete packet */
		}
		frames++;
		im->st->packets++;
		if (im->opts->progress && !(frames % 65536))
			im->opts->progress(im->opts->ctx, good_off, size, im->st->events);
		if (nt_packet_parse(dlt, data, h->caplen, h->len, &t) != NT_PKT_TCP)
			continue;
		im->frame = data;
		im->caplen = h->caplen;
		im->orig_len = h->len;
		int64_t ts = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec; /* ns precision */
		rc = nt_pa__packet(pa, &t, ts);
		if (rc) {
			if (rc == -ENOMEM)
				snprintf(im->err, NT_ERRLEN, "out of memory");
			goto out;
		}
	}
	if (nt_pa__finish(pa))
		goto out;
	if (finish_chunk(im, damaged))
		goto out;
	im->st->imported++;
	ret = 0;
out:
	nt_pa__free(pa);
	if (p)
		pcap_close(p);
	return ret;
}

int nt_pcap_import(struct nt_store *db, const char *const *paths, size_t npaths, const struct nt_import_opts *opts,
		   struct nt_pcap_stats *st, char *err)
{
	struct pimp im;
	struct nt_import_opts dflt = { 0 };
	int ret = -1, dropped = 0;

	memset(&im, 0, sizeof(im));
	memset(st, 0, sizeof(*st));
	im.db = db;
	im.err = err;
	im.st = st;
	im.opts = opts ? opts : &dflt;
	hmap_init(&im.events);
	for (int i = 0; i < P_COUNT; i++) {
		im.s[i] = nt_store_prepare(db, psql[i], err);
		if (!im.s[i])
			goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		int rc;
		st->captures++;
		if (nt_store_exec(db, "BEGIN", "begin transaction", err))
			goto out;
		if (!dropped) {
			/* Bulk load: indexes are built once at the end (as for tapes). */
			if (nt_store_indexes(db, 0, err)) {
				nt_store_exec(db, "ROLLBACK", NULL, NULL);
				goto out;
			}
			dropped = 1;
		}
		rc = import_one(&im, paths[i]);
		if (rc < 0) {
			nt_store_exec(db, "ROLLBACK", NULL, NULL);
			goto out;
		}
		if (nt_store_exec(db, "COMMIT", "commit", err))
			goto out;
		if (im.opts->progress)
			im.opts->progress(im.opts->ctx, 1, 1, st->events);
	}
	if (dropped && (nt_store_indexes(db, 1, err) ||
			nt_store_analyze(db, err)))
		goto out;
	dropped = 0;
	ret = 0;
out:
	if (dropped)
		nt_store_indexes(db, 1, NULL);
	for (int i = 0; i < P_COUNT; i++)
		nt_stmt_finalize(im.s[i]);
	hmap_free(&im.events);
	return ret;
}
