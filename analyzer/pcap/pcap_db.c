/* pcap_db.c: writes the packets table of an imported nettape database as pcapng/pcap ('nettape pcap DB'). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/conn_select.h"
#include "store/store.h"
#include "pcap/pcap_db.h"

/* One pcapng interface per (host, netns, ifindex, linktype). */
struct db_iface {
	int64_t host_id;
	uint32_t netns, ifindex;
	uint16_t linktype;
	int capture;          /* the host is an imported capture: no direction */
	int id;               /* pcapng interface id, or -EPROTOTYPE (classic pcap) */
};

struct db_ifaces {
	struct db_iface *v;
	size_t n, cap;
};

/* First text column of sql with three integer parameters into buf; 0 if found. */
static int lookup_text(struct nt_store *db, const char *sql, int64_t a, int64_t b, int64_t c, char *buf,
		       size_t len)
{
	struct nt_stmt *st = NULL;
	int found = -1;

	if (!(st = nt_store_prepare(db, sql, NULL)))
		goto cleanup;
	int np = nt_stmt_param_count(st);
	if (np >= 1)
		nt_stmt_bind_int(st, 1, a);
	if (np >= 2)
		nt_stmt_bind_int(st, 2, b);
	if (np >= 3)
		nt_stmt_bind_int(st, 3, c);
	if (nt_stmt_step(st) == NT_STORE_ROW) {
		const char *t = nt_col_text(st, 0);
		if (t && *t) {
			snprintf(buf, len, "%s", t);
			found = 0;
		}
	}
cleanup:
	nt_stmt_finalize(st);
	return found;
}

/* Interface id for a packet of (host, netns, ifindex, linktype); declares it
 * on first use. *capture is set for hosts that are imported captures. */
static int iface_id(struct nt_store *db, struct pcapng_writer *w, struct db_ifaces *ifs, int64_t host_id,
		    uint32_t netns, uint32_t ifindex, uint16_t linktype, int *capture)
{
	for (size_t i = 0; i < ifs->n; i++) {
		struct db_iface *f = &ifs->v[i];
		if (f->host_id == host_id && f->netns == netns && f->ifindex == ifindex &&
		    f->linktype == linktype) {
			*capture = f->capture;
			return f->id;
		}
	}
	if (ifs->n == ifs->cap) {
		size_t ncap = ifs->cap ? ifs->cap * 2 : 8;
		struct db_iface *nv = realloc(ifs->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ifs->v = nv;
		ifs->cap = ncap;
	}
	char host[256] = "?", boot[64] = "", ifname[256], nsname[256], desc[800];
	lookup_text(db, "SELECT hostname FROM hosts WHERE host_id = ?", host_id, 0, 0, host, sizeof(host));
	lookup_text(db, "SELECT boot_id FROM hosts WHERE host_id = ?", host_id, 0, 0, boot, sizeof(boot));
	int cap = !strncmp(boot, "pcap:", 5);
	if (cap) {
		/* netns and ifindex are 0: the capture's own interface is not stored */
		snprintf(ifname, sizeof(ifname), "%s", host);
		snprintf(desc, sizeof(desc), "capture %s (imported)", host);
	} else {
		if (lookup_text(db, "SELECT name FROM interfaces WHERE host_id = ? AND netns = ? AND ifindex = ?",
				host_id, netns, ifindex, ifname, sizeof(ifname)))
			snprintf(ifname, sizeof(ifname), "if%" PRIu32, ifindex);
		if (lookup_text(db, "SELECT name FROM netns WHERE host_id = ? AND inode = ?", host_id, netns, 0,
				nsname, sizeof(nsname)))
			snprintf(nsname, sizeof(nsname), "ns:%" PRIu32, netns);
		snprintf(desc, sizeof(desc), "host %s, netns %s, ifindex %" PRIu32, host, nsname, ifindex);
	}
	int id = pcapng_writer__add_iface(w, linktype, ifname, desc);
	if (id < 0 && id != -EPROTOTYPE)
		return id;
	struct db_iface *f = &ifs->v[ifs->n++];
	f->host_id = host_id;
	f->netns = netns;
	f->ifindex = ifindex;
	f->linktype = linktype;
	f->capture = cap;
	f->id = id;
	*capture = cap;
	return id;
}

int nt_pcap_db_write(struct nt_store *db, struct pcapng_writer *w, struct conn_filter *cf,
		     uint64_t from_ns, uint64_t to_ns, struct nt_pcap_db_stats *st, char *err)
{
	struct db_ifaces ifs = { 0 };
	struct nt_stmt *q = NULL;
	int ret = 0, rc;

	memset(st, 0, sizeof(*st));
	err[0] = '\0';
	st->rows = (uint64_t)nt_store_int(db, "SELECT count(*) FROM packets", 0);
	if (cf && cf->active) {
		ret = nt_store_conns_matching(db, cf, NULL, 0, NULL, err);
		if (ret)
			goto cleanup;
	}
	/* ties in import order: a tape's snippets were imported in its record order */
	q = nt_store_prepare(db, "SELECT p.ts, p.cookie, p.netns, p.ifindex, p.orig_len, p.linktype, p.dir, p.data,"
			  " c.host_id FROM packets p LEFT JOIN chunks c ON c.chunk_id = p.chunk_id"
			  " WHERE p.ts >= ?1 AND p.ts <= ?2 ORDER BY p.ts, p.rowid", err);
	if (!q) {
		ret = -EIO;
		goto cleanup;
	}
	nt_stmt_bind_int(q, 1, from_ns > INT64_MAX ? INT64_MAX : (int64_t)from_ns);
	nt_stmt_bind_int(q, 2, !to_ns || to_ns > INT64_MAX ? INT64_MAX : (int64_t)to_ns);
	while ((rc = nt_stmt_step(q)) == NT_STORE_ROW) {
		int64_t ts = nt_col_int(q, 0);
		uint64_t cookie = (uint64_t)nt_col_int(q, 1);
		int64_t netns = nt_col_int(q, 2), ifindex = nt_col_int(q, 3);
		int64_t orig_len = nt_col_int(q, 4), linktype = nt_col_int(q, 5);
		int dir = (int)nt_col_int(q, 6);
		size_t nbytes;
		const uint8_t *data = nt_col_blob(q, 7, &nbytes);
		int caplen = (int)nbytes;
		int64_t host_id = nt_col_int(q, 8);

		if (ts < 0 || linktype < 0 || linktype > UINT16_MAX || netns < 0 || netns > UINT32_MAX ||
		    ifindex < 0 || ifindex > UINT32_MAX || orig_len < 0 || orig_len > UINT32_MAX ||
		    caplen > (16 << 20)) {
			st->malformed++;
			continue;
		}
		if (!data)
			caplen = 0;
		if (cf && cf->active) {
			struct nt_packet pi;

			(void)nt_packet_parse((int)linktype, data, (size_t)caplen, (size_t)caplen, &pi);
			if (!conn_filter_match_packet(cf, cookie, &pi))
				continue;
		}
		int capture = 0;
		int id = iface_id(db, w, &ifs, host_id, (uint32_t)netns, (uint32_t)ifindex, (uint16_t)linktype,
				  &capture);
		if (id == -EPROTOTYPE) {
			st->skipped_linktype++;
			continue;
		}
		if (id < 0) {
			ret = id;
			goto cleanup;
		}
		enum pcap_dir pd = capture ? PCAP_DIR_UNKNOWN :
				   dir == 1 ? PCAP_DIR_INBOUND : dir == 2 ? PCAP_DIR_OUTBOUND : PCAP_DIR_UNKNOWN;
		ret = pcapng_writer__packet(w, id, (uint64_t)ts, data, (uint32_t)caplen, (uint32_t)orig_len, pd);
		if (ret)
			goto cleanup;
		st->written++;
	}
	if (rc != NT_STORE_DONE) {
		snprintf(err, NT_ERRLEN, "reading packets failed: %s; check the file with "
			 "'sqlite3 DB \"PRAGMA integrity_check\"' or re-import the tapes", nt_store_errmsg(db));
		ret = nt_store_errno(db);
	}
cleanup:
	nt_stmt_finalize(q);
	free(ifs.v);
	return ret;
}
