/* canned.c: canned queries for the questions people ask the morning after (listed by 'nettape query DB --list'). */
#include <string.h>

#include "store/canned.h"

const struct nt_canned nt_canned_queries[] = {
	{ "connections", "connections by number of events, with owner, window scaling, retransmits and RTT",
	  "SELECT conn_id, host, local, remote, pid, comm, first_seen, duration_s, wscale_ok, retransmits,"
	  " rtt_min_us, rtt_max_us, events FROM v_connections ORDER BY events DESC LIMIT 200" },
	{ "zero-window", "zero-window episodes, longest first (side rcv: we advertised 0; snd: the peer did)",
	  "SELECT conn_id, side, start_time, round(duration_s, 3) AS duration_s, open_at_end, pid, comm, wscale_ok"
	  " FROM v_zero_window_episodes ORDER BY duration_s DESC LIMIT 200" },
	{ "no-window-scaling", "connections that did not negotiate window scaling",
	  "SELECT conn_id, host, local, remote, pid, comm, first_seen FROM v_connections WHERE wscale_ok = 0"
	  " AND listener = 0 ORDER BY first_seen" },
	{ "drops-by-reason", "drops grouped by reason, kernel location and owner",
	  "SELECT reason, location, pid, comm, drops, first, last FROM v_drops_by_reason" },
	{ "drops", "the latest 200 drops with reason, location, tuple and owner",
	  "SELECT time, host, reason, location, src, dst, pid, comm, conn_id FROM v_drops ORDER BY ts DESC LIMIT 200" },
	{ "retransmits", "retransmits per connection: timeouts (rto) vs fast, SYN and SYN-ACK",
	  "SELECT conn_id, comm, pid, count(*) AS total, sum(trigger = 'rto' AND kind = 'data') AS rto,"
	  " sum(trigger = 'fast' AND kind = 'data') AS fast, sum(kind = 'syn') AS syn, sum(kind = 'synack') AS synack,"
	  " min(time) AS first, max(time) AS last FROM v_retransmits GROUP BY conn_id ORDER BY total DESC LIMIT 200" },
	{ "listen-overflows", "listeners with accept-queue samples: peak vs max backlog, overflows",
	  "SELECT * FROM v_listen_overflows ORDER BY overflows DESC, full_samples DESC" },
	{ "rtt", "connections by maximum smoothed RTT, with their minimum and average",
	  "SELECT conn_id, local, remote, comm, rtt_min_us, rtt_avg_us, rtt_max_us,"
	  " round(1.0 * rtt_max_us / NULLIF(rtt_min_us, 0), 1) AS max_over_min FROM v_connections"
	  " WHERE rtt_max_us IS NOT NULL ORDER BY rtt_max_us DESC LIMIT 200" },
	{ "resets", "resets sent and received, latest first",
	  "SELECT time, direction, reason_name, local, remote, pid, comm, conn_id FROM v_resets ORDER BY ts DESC LIMIT 200" },
	{ "stalls", "read stalls and slow responses, longest first",
	  "SELECT time, kind, round(wait_ms, 1) AS wait_ms, bytes, pid, comm, conn_id FROM v_stalls"
	  " ORDER BY wait_ms DESC LIMIT 200" },
	{ "losses", "events the recorder itself lost (a quiet period there is not a healthy one)",
	  "SELECT host, class, cpu, count, from_time, to_time FROM v_losses ORDER BY from_ts" },
	{ "clocks", "each host's clock alignment: correction added to its times, error bound, pairs used, reference",
	  "SELECT h.host_id, h.hostname, h.clock_source, h.clock_offset_ns, h.clock_bound_ns, h.clock_pairs,"
	  " h.clock_edges, r.hostname AS reference FROM hosts h LEFT JOIN hosts r ON r.host_id = h.clock_ref"
	  " ORDER BY h.host_id" },
	{ "pairs", "connections recorded at both ends on two hosts (one logical connection per row)",
	  "SELECT p.conn_a, ha.hostname AS host_a, a.laddr || ':' || a.lport AS a_local, p.conn_b,"
	  " hb.hostname AS host_b, b.laddr || ':' || b.lport AS b_local, p.method, p.edges, p.used,"
	  " iso(min(a.first_ts, b.first_ts)) AS first_seen FROM conn_pairs p"
	  " JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b"
	  " JOIN hosts ha ON ha.host_id = p.host_a JOIN hosts hb ON hb.host_id = p.host_b ORDER BY a.first_ts LIMIT 1000" },
	{ "processes", "processes seen as socket owners, with their connection counts",
	  "SELECT host, pid, comm, container, connections, cmdline FROM v_processes ORDER BY connections DESC" },
	{ "chunks", "imported chunks: host, sequence, events, time range, damage",
	  "SELECT chunk_id, host, seq, events, first, last, partial, has_index, damaged_bytes, path FROM v_chunks"
	  " ORDER BY host, seq" },
	{ "timeline", "events per minute by class (drops, retransmits, resets, zero-window starts)",
	  "WITH t AS (SELECT ts / 60000000000 AS m, 1 AS d, 0 AS r, 0 AS x, 0 AS z FROM drops"
	  " UNION ALL SELECT ts / 60000000000, 0, 1, 0, 0 FROM retransmits"
	  " UNION ALL SELECT ts / 60000000000, 0, 0, 1, 0 FROM resets"
	  " UNION ALL SELECT ts / 60000000000, 0, 0, 0, 1 FROM samples WHERE kind <> 0 AND kind IN (1, 3))"
	  " SELECT strftime('%Y-%m-%dT%H:%MZ', m * 60, 'unixepoch') AS minute, sum(d) AS drops, sum(r) AS retransmits,"
	  " sum(x) AS resets, sum(z) AS zero_window_starts FROM t GROUP BY m ORDER BY m" },
};

const size_t nt_canned_count = sizeof(nt_canned_queries) / sizeof(nt_canned_queries[0]);

const struct nt_canned *nt_canned_find(const char *name)
{
	for (size_t i = 0; i < nt_canned_count; i++)
		if (!strcmp(nt_canned_queries[i].name, name))
			return &nt_canned_queries[i];
	return NULL;
}
