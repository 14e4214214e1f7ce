/* pcap_export.c: writes the packet snippets of tapes to a pcapng/pcap writer, selected by time and --conn (nettape pcap, nettape bundle). */
#include "pcap/pcap_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "packet.h"

static int pcap_iface_id(struct nt_pcap_export *c, const struct tape_record *rec,
			 const struct nt_rec_packet *pk)
{
	unsigned tape_no = rec->src ? rec->src->tape_no : 0;
	for (size_t i = 0; i < c->nifs; i++) {
		struct pcap_iface *f = &c->ifs[i];
		if (f->tape_no == tape_no && f->netns == pk->netns && f->ifindex == pk->ifindex &&
		    f->linktype == pk->linktype)
			return f->id;
	}
	if (c->nifs == c->capifs) {
		size_t ncap = c->capifs ? c->capifs * 2 : 8;
		struct pcap_iface *n = realloc(c->ifs, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->ifs = n;
		c->capifs = ncap;
	}
	const struct tape_meta *m = rec->src ? rec->src->meta : NULL;
	const char *ifname = tape_meta__iface_name(m, pk->netns, pk->ifindex);
	const char *nsname = tape_meta__netns_name(m, pk->netns);
	char namebuf[32], desc[512];
	if (!ifname) {
		snprintf(namebuf, sizeof(namebuf), "if%" PRIu32, pk->ifindex);
		ifname = namebuf;
	}
	char nsbuf[32];
	if (!nsname) {
		snprintf(nsbuf, sizeof(nsbuf), "ns:%" PRIu32, pk->netns);
		nsname = nsbuf;
	}
	snprintf(desc, sizeof(desc), "host %s, netns %s, ifindex %" PRIu32,
		 rec->src && rec->src->hdr.hostname[0] ? rec->src->hdr.hostname : "?", nsname,
		 pk->ifindex);
	int id = pcapng_writer__add_iface(c->w, pk->linktype, ifname, desc);
	if (id < 0 && id != -EPROTOTYPE)
		return id;
	struct pcap_iface *f = &c->ifs[c->nifs++];
	f->tape_no = tape_no;
	f->netns = pk->netns;
	f->ifindex = pk->ifindex;
	f->linktype = pk->linktype;
	f->id = id;
	return id;
}

void nt_pcap_export__release(struct nt_pcap_export *x)
{
	if (!x)
		return;
	free(x->ifs);
	x->ifs = NULL;
	x->nifs = x->capifs = 0;
}

/* --conn on tapes, first pass: learns the connection's cookies and tuple from
 * its events and socket records. Best effort: an unreadable tape is reported
 * by the second pass. */
void nt_pcap_learn_conn(const char *const *paths, size_t npaths,
			    const struct tape_reader_opts *ro, struct conn_filter *cf)
{
	int err = 0, r;
	struct tape_record rec;
	struct tape_reader *rd = tape_reader__open(paths, npaths, ro, &err);

	while (rd && (r = tape_reader__next(rd, &rec)) > 0) {
		if ((nt_rec_is_event(rec.type) || rec.type == NT_REC_SOCKET) &&
		    rec.len >= sizeof(struct nt_conn)) {
			struct nt_conn conn;
			memcpy(&conn, rec.data, sizeof(conn));
			conn_filter_match_conn(cf, &conn);
		}
	}
	tape_reader__free(rd);
}

/* Writes the selected packet snippets of the tapes. Returns the reader's
 * last status (0 at the end, < 0 a tape_err); *err receives a writer error. */
int nt_pcap_export_tape(struct nt_pcap_export *c, struct tape_reader *rd, struct conn_filter *cf,
			   uint64_t from_ns, uint64_t to_ns, int *err)
{
	struct tape_record rec;
	int r;

	while ((r = tape_reader__next(rd, &rec)) > 0) {
		if (cf->active && nt_rec_is_event(rec.type) && rec.len >= sizeof(struct nt_conn)) {
			struct nt_conn conn;
			memcpy(&conn, rec.data, sizeof(conn));
			conn_filter_match_conn(cf, &conn); /* learns cookies and tuples */
			continue;
		}
		if (rec.type != NT_REC_PACKET)
			continue;
		if (rec.len < sizeof(struct nt_rec_packet) || (rec.flags & TAPE_REC_F_SHORT)) {
			c->short_records++;
			continue;
		}
		uint64_t t = tape_record_realtime(&rec);
		if ((from_ns && t < from_ns) || (to_ns && t > to_ns))
			continue;
		struct nt_rec_packet pk;
		memcpy(&pk, rec.data, sizeof(pk));
		const uint8_t *bytes = (const uint8_t *)rec.data + sizeof(pk);
		uint32_t caplen = rec.len - (uint32_t)sizeof(pk);
		if (cf->active) {
			struct nt_packet pi;
			if (rec.src)
				conn_filter_learn_sockets(cf, rec.src->meta);
			(void)nt_packet_parse(pk.linktype, bytes, caplen, caplen, &pi);
			if (!conn_filter_match_packet(cf, pk.cookie, &pi))
				continue;
		}
		int id = pcap_iface_id(c, &rec, &pk);
		if (id == -EPROTOTYPE) {
			c->skipped_linktype++;
			continue;
		}
		if (id < 0) {
			*err = id;
			return 0;
		}
		enum pcap_dir dir = pk.dir == 1 ? PCAP_DIR_INBOUND :
				    pk.dir == 2 ? PCAP_DIR_OUTBOUND : PCAP_DIR_UNKNOWN;
		*err = pcapng_writer__packet(c->w, id, t, bytes, caplen, pk.orig_len, dir);
		if (*err)
			return 0;
	}
	return r;
}

int nt_pcap_export_file(const char *const *paths, size_t npaths, const char *out, uint64_t *npackets)
{
	struct tape_reader_opts ro = { .skip_meta = 0 };
	struct nt_pcap_export c;
	struct conn_filter all;
	struct tape_reader *rd = NULL;
	struct utsname un;
	char os[200] = "", *tmp = NULL;
	size_t n = strlen(out) + 16;
	FILE *f = NULL;
	int err = 0, r;

	memset(&c, 0, sizeof(c));
	memset(&all, 0, sizeof(all));
	if (npackets)
		*npackets = 0;
	tmp = malloc(n);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n, "%s.partial", out);
	rd = tape_reader__open(paths, npaths, &ro, &err);
	if (!rd) {
		err = err ? err : -errno;
		goto cleanup;
	}
	f = fopen(tmp, "wb");
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	if (!uname(&un))
		snprintf(os, sizeof(os), "%s %s", un.sysname, un.release);
	c.w = pcapng_writer__open(f, PCAP_OUT_PCAPNG, 0, "nettape " NETTAPE_VERSION, os, NULL);
	if (!c.w) {
		err = -errno;
		goto cleanup;
	}
	r = nt_pcap_export_tape(&c, rd, &all, 0, 0, &err);
	if (!err && r < 0)
		err = r;
	if (!err)
		err = pcapng_writer__finish(c.w);
	if (!err && npackets)
		*npackets = pcapng_writer__npackets(c.w);
	pcapng_writer__free(c.w);
	c.w = NULL;
	if (fclose(f) && !err)
		err = -errno;
	f = NULL;
	if (!err && rename(tmp, out))
		err = -errno;
cleanup:
	if (f)
		fclose(f);
	if (err)
		unlink(tmp);
	free(tmp);
	pcapng_writer__free(c.w);
	nt_pcap_export__release(&c);
	tape_reader__free(rd);
	return err;
}
