/* ch_canned.c: canned fleet queries over a nettape ClickHouse database (18.16 SQL: one JOIN per SELECT, USING, arrays for episodes). */
#include <string.h>

#include "store/clickhouse.h"

#define HOSTS "(SELECT host_id, hostname AS host FROM hosts FINAL)"
#define UTC(ns) "toString(toDateTime(intDiv(" ns ", 1000000000), 'UTC'))"

const struct nt_ch_canned nt_ch_canned_queries[] = {
	{ "fleet-hosts", "hosts (boots) with their chunks, events, connections and time range",
	  "SELECT host, substring(boot_id, 1, 8) AS boot, kernel, chunks, events, connections,"
	  " " UTC("first") " AS first, " UTC("last") " AS last FROM"
	  " (SELECT * FROM (SELECT host_id, hostname AS host, boot_id, kernel FROM hosts FINAL)"
	  "  ANY LEFT JOIN (SELECT host_id, count() AS chunks, sum(events) AS events, min(first_ts) AS first,"
	  "   max(last_ts) AS last FROM chunks FINAL GROUP BY host_id) USING host_id)"
	  " ANY LEFT JOIN (SELECT host_id, count() AS connections FROM connections FINAL GROUP BY host_id) USING host_id"
	  " ORDER BY host, boot" },
	{ "fleet-zero-window", "hosts ranked by zero-window seconds (closed episodes, both sides), with episodes and connections",
	  "SELECT host, round(sum(dur) / 1e9, 3) AS zero_window_s, count() AS episodes, uniqExact(conn_id) AS connections,"
	  " round(max(dur) / 1e9, 3) AS longest_s FROM"
	  " (SELECT host_id, conn_id, arrayJoin(arrayFilter(d -> d >= 0, arrayMap(i -> if(i < length(ev)"
	  "   AND tupleElement(ev[i], 2) IN (1, 3) AND tupleElement(ev[i + 1], 2) = tupleElement(ev[i], 2) + 1,"
	  "   toInt64(tupleElement(ev[i + 1], 1)) - toInt64(tupleElement(ev[i], 1)), toInt64(-1)), arrayEnumerate(ev)))) AS dur"
	  "  FROM (SELECT host_id, conn_id, arraySort(groupArray((ts, assumeNotNull(kind)))) AS ev FROM samples"
	  "   WHERE kind BETWEEN 1 AND 4 AND conn_id IS NOT NULL GROUP BY host_id, conn_id, kind <= 2))"
	  " ANY LEFT JOIN " HOSTS " USING host_id GROUP BY host ORDER BY zero_window_s DESC, host LIMIT 200" },
	{ "fleet-drops", "drop reasons by host and hour (UTC)",
	  "SELECT host, hour, reason, drops FROM"
	  " (SELECT * FROM (SELECT host_id, ifNull(reason_id, 0) AS rid, toString(toStartOfHour(toDateTime(intDiv(ts,"
	  "   1000000000), 'UTC'))) AS hour, count() AS drops FROM drops GROUP BY host_id, rid, hour)"
	  "  ANY LEFT JOIN (SELECT host_id, reason_id AS rid, name AS reason FROM drop_reasons FINAL) USING host_id, rid)"
	  " ANY LEFT JOIN " HOSTS " USING host_id ORDER BY hour, host, drops DESC LIMIT 1000" },
	{ "fleet-retransmits", "processes and containers by retransmits across the fleet: timeouts (rto) vs fast",
	  "SELECT host, comm, pid, container, sum(n) AS retransmits, sum(rto) AS rto, sum(fast) AS fast,"
	  " count() AS connections FROM"
	  " (SELECT * FROM (SELECT host_id, assumeNotNull(conn_id) AS cid, count() AS n, countIf(ca_state = 4) AS rto,"
	  "   countIf(ca_state = 3) AS fast FROM retransmits WHERE conn_id IS NOT NULL GROUP BY host_id, cid)"
	  "  ANY LEFT JOIN (SELECT host_id, conn_id AS cid, pid, comm, container FROM connections FINAL) USING host_id, cid)"
	  " ANY LEFT JOIN " HOSTS " USING host_id GROUP BY host, comm, pid, container"
	  " ORDER BY retransmits DESC, host LIMIT 200" },
	{ "fleet-listen-overflows", "listen overflows by service (listener address:port and process) and host",
	  "SELECT host, service, comm, sum(ov) AS overflows, max(peak) AS peak_backlog, max(maxb) AS max_backlog,"
	  " sum(full) AS full_samples FROM"
	  " (SELECT * FROM (SELECT host_id, assumeNotNull(conn_id) AS cid, sum(overflows) AS ov, max(backlog) AS peak,"
	  "   max(max_backlog) AS maxb, countIf(backlog >= max_backlog) AS full FROM listens WHERE conn_id IS NOT NULL"
	  "   GROUP BY host_id, cid)"
	  "  ANY LEFT JOIN (SELECT host_id, conn_id AS cid, concat(ifNull(laddr, '?'), ':', toString(ifNull(lport, 0)))"
	  "   AS service, comm FROM connections FINAL) USING host_id, cid)"
	  " ANY LEFT JOIN " HOSTS " USING host_id GROUP BY host, service, comm"
	  " ORDER BY overflows DESC, full_samples DESC, host LIMIT 200" },
	{ "fleet-losses", "events the recorders lost, by host and class",
	  "SELECT host, class, sum(count) AS lost, " UTC("min(from_ts)") " AS first, " UTC("max(to_ts)") " AS last FROM"
	  " (SELECT DISTINCT host_id, rec_type, class, cpu, count, from_ts, to_ts, from_boot, to_boot FROM losses)"
	  " ANY LEFT JOIN " HOSTS " USING host_id GROUP BY host, class ORDER BY lost DESC" },
};
const size_t nt_ch_canned_count = sizeof(nt_ch_canned_queries) / sizeof(nt_ch_canned_queries[0]);

const struct nt_ch_canned *nt_ch_canned_find(const char *name)
{
	for (size_t i = 0; i < nt_ch_canned_count; i++)
		if (!strcmp(nt_ch_canned_queries[i].name, name))
			return &nt_ch_canned_queries[i];
	return NULL;
}
