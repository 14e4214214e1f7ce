/* schema.c: the SQL schema of an imported nettape database (tables, indexes, views); docs/SCHEMA.md describes it. */
#include "store/db.h"

/*
 * Conventions (docs/SCHEMA.md):
 * - ts columns: wall-clock (CLOCK_REALTIME) nanoseconds since the Unix epoch
 *   of the event, converted with the tape's clock pairs; ts_boot the
 *   recording host's CLOCK_BOOTTIME nanoseconds as recorded.
 * - Every event row names its chunk (chunk_id) and, where known, its
 *   connection (conn_id; NULL when no connection could be matched).
 * - Views named v_* add ISO-8601 UTC text times and names.
 * Changing a table in an incompatible way bumps NT_DB_USER_VERSION.
 */
const char nt_schema_tables[] =
	"CREATE TABLE IF NOT EXISTS hosts (\n"
	"  host_id INTEGER PRIMARY KEY,\n"
	"  hostname TEXT NOT NULL,\n"
	"  boot_id TEXT NOT NULL,\n"
	"  kernel TEXT,\n"
	"  clock_offset_ns INTEGER NOT NULL DEFAULT 0,\n"
	"  clock_bound_ns INTEGER,\n"
	"  clock_pairs INTEGER NOT NULL DEFAULT 0,\n"
	"  clock_edges INTEGER NOT NULL DEFAULT 0,\n"
	"  clock_ref INTEGER,\n"
	"  clock_source TEXT,\n"
	"  UNIQUE (hostname, boot_id));\n"
	"CREATE TABLE IF NOT EXISTS chunks (\n"
	"  chunk_id INTEGER PRIMARY KEY,\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts,\n"
	"  recording_id TEXT NOT NULL,\n"
	"  seq INTEGER NOT NULL,\n"
	"  path TEXT,\n"
	"  recorder_version TEXT,\n"
	"  recorder_cmdline TEXT,\n"
	"  created_ts INTEGER,\n"
	"  first_ts INTEGER,\n"
	"  last_ts INTEGER,\n"
	"  events INTEGER NOT NULL DEFAULT 0,\n"
	"  partial INTEGER NOT NULL DEFAULT 0,\n"
	"  has_index INTEGER NOT NULL DEFAULT 0,\n"
	"  damaged_bytes INTEGER NOT NULL DEFAULT 0,\n"
	"  imported_at INTEGER,\n"
	"  last_frame_offset INTEGER,\n"
	"  complete INTEGER NOT NULL DEFAULT 0,\n"
	"  kind TEXT NOT NULL DEFAULT 'tape',\n"
	"  UNIQUE (recording_id, seq));\n"
	"CREATE TABLE IF NOT EXISTS damage (\n"
	"  chunk_id INTEGER NOT NULL REFERENCES chunks,\n"
	"  offset INTEGER, lost_bytes INTEGER, error TEXT, reason TEXT);\n"
	"CREATE TABLE IF NOT EXISTS processes (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts,\n"
	"  pid INTEGER NOT NULL,\n"
	"  ppid INTEGER, comm TEXT, cmdline TEXT, cgroup INTEGER, container TEXT,\n"
	"  start_boot INTEGER,\n"
	"  PRIMARY KEY (host_id, pid));\n"
	"CREATE TABLE IF NOT EXISTS cgroups (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts,\n"
	"  cgroup INTEGER NOT NULL, path TEXT, container TEXT,\n"
	"  PRIMARY KEY (host_id, cgroup));\n"
	"CREATE TABLE IF NOT EXISTS netns (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts,\n"
	"  inode INTEGER NOT NULL, name TEXT,\n"
	"  PRIMARY KEY (host_id, inode));\n"
	"CREATE TABLE IF NOT EXISTS interfaces (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts,\n"
	"  netns INTEGER NOT NULL, ifindex INTEGER NOT NULL, name TEXT,\n"
	"  PRIMARY KEY (host_id, netns, ifindex));\n"
	"CREATE TABLE IF NOT EXISTS drop_reasons (\n"
	"  reason_id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE IF NOT EXISTS symbols (\n"
	"  sym_id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE IF NOT EXISTS connections (\n"
	"  conn_id INTEGER PRIMARY KEY,\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts,\n"
	"  cookie INTEGER NOT NULL,\n"
	"  netns INTEGER,\n"
	"  family INTEGER,\n"
	"  laddr TEXT, lport INTEGER, raddr TEXT, rport INTEGER,\n"
	"  tuple_known INTEGER NOT NULL DEFAULT 1,\n"
	"  listener INTEGER NOT NULL DEFAULT 0,\n"
	"  pid INTEGER NOT NULL DEFAULT 0,\n"
	"  comm TEXT,\n"
	"  cgroup INTEGER,\n"
	"  container TEXT,\n"
	"  first_ts INTEGER, last_ts INTEGER,\n"
	"  last_state INTEGER,\n"
	"  wscale_ok INTEGER, snd_wscale INTEGER, rcv_wscale INTEGER,\n"
	"  mss INTEGER, sack_ok INTEGER, ts_ok INTEGER, rcvbuf INTEGER, sndbuf INTEGER,\n"
	"  bytes_acked INTEGER NOT NULL DEFAULT 0,\n"
	"  bytes_received INTEGER NOT NULL DEFAULT 0,\n"
	"  retransmits INTEGER NOT NULL DEFAULT 0,\n"
	"  rtt_samples INTEGER NOT NULL DEFAULT 0,\n"
	"  rtt_min_us INTEGER, rtt_avg_us INTEGER, rtt_max_us INTEGER,\n"
	"  rtt_sum_us INTEGER NOT NULL DEFAULT 0,\n"
	"  send_samples INTEGER NOT NULL DEFAULT 0,\n"
	"  rwnd_limited_samples INTEGER NOT NULL DEFAULT 0,\n"
	"  events INTEGER NOT NULL DEFAULT 0,\n"
	"  opt_sysctl INTEGER,\n"
	"  retrans_segs INTEGER NOT NULL DEFAULT 0,\n"
	"  dsack_dups INTEGER NOT NULL DEFAULT 0,\n"
	"  reord_seen INTEGER NOT NULL DEFAULT 0,\n"
	"  undo_episodes INTEGER NOT NULL DEFAULT 0,\n"
	"  peer_conn_id INTEGER,\n"
	"  busy_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  rwnd_limited_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  sndbuf_limited_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  isn_local INTEGER,\n"
	"  isn_peer INTEGER,\n"
	"  snd_wnd_max INTEGER NOT NULL DEFAULT 0);\n"
	"CREATE TABLE IF NOT EXISTS conn_pairs (\n"
	"  conn_a INTEGER NOT NULL REFERENCES connections,\n"
	"  conn_b INTEGER NOT NULL REFERENCES connections,\n"
	"  host_a INTEGER NOT NULL, host_b INTEGER NOT NULL,\n"
	"  method TEXT NOT NULL,\n"
	"  lo_ns INTEGER, hi_ns INTEGER, edges INTEGER NOT NULL DEFAULT 0,\n"
	"  used INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (conn_a, conn_b));\n"
	"CREATE TABLE IF NOT EXISTS drops (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  netns INTEGER, pid INTEGER, family INTEGER,\n"
	"  saddr TEXT, sport INTEGER, daddr TEXT, dport INTEGER, pkt_order INTEGER,\n"
	"  reason_id INTEGER REFERENCES drop_reasons, sym_id INTEGER REFERENCES symbols, sym_off INTEGER,\n"
	"  skb_len INTEGER, seq INTEGER, ack_seq INTEGER, ifindex INTEGER,\n"
	"  window INTEGER, tcp_flags INTEGER, sk_state INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS retransmits (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  kind INTEGER, state INTEGER, ca_state INTEGER, seq INTEGER, srtt_us INTEGER,\n"
	"  rto_us INTEGER, snd_wnd INTEGER, snd_cwnd INTEGER, total_retrans INTEGER, backoff INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS cong (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  old_state INTEGER, new_state INTEGER, snd_cwnd INTEGER, ssthresh INTEGER,\n"
	"  srtt_us INTEGER, packets_out INTEGER, retrans_out INTEGER,\n"
	"  total_retrans INTEGER, dsack_dups INTEGER, reord_seen INTEGER, undone INTEGER, undo_retrans INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS states (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  old_state INTEGER, new_state INTEGER, flags INTEGER, wscale_ok INTEGER,\n"
	"  snd_wscale INTEGER, rcv_wscale INTEGER, mss INTEGER, srtt_us INTEGER,\n"
	"  total_retrans INTEGER, bytes_acked INTEGER, bytes_received INTEGER,\n"
	"  dsack_dups INTEGER, opt_sysctl INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS samples (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  kind INTEGER, ca_state INTEGER, srtt_us INTEGER,\n"
	"  rcv_wnd INTEGER, snd_wnd INTEGER, snd_cwnd INTEGER,\n"
	"  rcv_queue INTEGER, snd_queue INTEGER, bytes_acked INTEGER, bytes_received INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS resets (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  kind INTEGER, state INTEGER, reason INTEGER, reason_name TEXT);\n"
	"CREATE TABLE IF NOT EXISTS stalls (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  kind INTEGER, state INTEGER, bytes INTEGER, wait_ns INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS buffers (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  kind INTEGER, state INTEGER, value INTEGER, limit_ INTEGER, rcvbuf INTEGER, sndbuf INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS listens (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  backlog INTEGER, max_backlog INTEGER, overflows INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS losses (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts, chunk_id INTEGER,\n"
	"  rec_type INTEGER, class TEXT, cpu INTEGER, count INTEGER,\n"
	"  from_ts INTEGER, to_ts INTEGER, from_boot INTEGER, to_boot INTEGER,\n"
	"  UNIQUE (host_id, rec_type, cpu, from_boot, to_boot, count));\n"
	"CREATE TABLE IF NOT EXISTS pins (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts, chunk_id INTEGER, ts INTEGER, ts_boot INTEGER,\n"
	"  kind INTEGER, cookie INTEGER, pre_ns INTEGER, post_ns INTEGER, description TEXT,\n"
	"  UNIQUE (host_id, ts_boot, kind, cookie));\n"
	"CREATE TABLE IF NOT EXISTS packets (\n"
	"  chunk_id INTEGER NOT NULL, conn_id INTEGER, ts INTEGER NOT NULL, ts_boot INTEGER,\n"
	"  cookie INTEGER, netns INTEGER, ifindex INTEGER, orig_len INTEGER,\n"
	"  linktype INTEGER, dir INTEGER, data BLOB,\n"
	"  seq INTEGER, ack INTEGER, tcp_flags INTEGER, win_raw INTEGER, window INTEGER,\n"
	"  payload INTEGER, analysis INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS config (\n"
	"  host_id INTEGER NOT NULL REFERENCES hosts, key TEXT NOT NULL, value TEXT,\n"
	"  PRIMARY KEY (host_id, key));\n";

/* Columns added after version 1 was released. They are nullable or have a
 * default and sit at the end of their table, so older databases are
 * upgraded in place by nt_db_open(NT_DB_WRITE) (ALTER TABLE ... ADD COLUMN)
 * and user_version stays 1; readers never depend on them being filled. */
const struct nt_schema_column nt_schema_added_columns[] = {
	{ "chunks", "kind", "TEXT NOT NULL DEFAULT 'tape'" },
	{ "packets", "seq", "INTEGER" },
	{ "packets", "ack", "INTEGER" },
	{ "packets", "tcp_flags", "INTEGER" },
	{ "packets", "win_raw", "INTEGER" },
	{ "packets", "window", "INTEGER" },
	{ "packets", "payload", "INTEGER" },
	{ "packets", "analysis", "INTEGER" },
	{ "connections", "opt_sysctl", "INTEGER" },
	{ "connections", "retrans_segs", "INTEGER NOT NULL DEFAULT 0" },
	{ "connections", "dsack_dups", "INTEGER NOT NULL DEFAULT 0" },
	{ "connections", "reord_seen", "INTEGER NOT NULL DEFAULT 0" },
	{ "connections", "undo_episodes", "INTEGER NOT NULL DEFAULT 0" },
	{ "cong", "total_retrans", "INTEGER" },
	{ "cong", "dsack_dups", "INTEGER" },
	{ "cong", "reord_seen", "INTEGER" },
	{ "cong", "undone", "INTEGER" },
	{ "cong", "undo_retrans", "INTEGER" },
	{ "states", "dsack_dups", "INTEGER" },
	{ "states", "opt_sysctl", "INTEGER" },
	{ "hosts", "clock_offset_ns", "INTEGER NOT NULL DEFAULT 0" },
	{ "hosts", "clock_bound_ns", "INTEGER" },
	{ "hosts", "clock_pairs", "INTEGER NOT NULL DEFAULT 0" },
	{ "hosts", "clock_edges", "INTEGER NOT NULL DEFAULT 0" },
	{ "hosts", "clock_ref", "INTEGER" },
	{ "hosts", "clock_source", "TEXT" },
	{ "connections", "peer_conn_id", "INTEGER" },
	{ "connections", "busy_ms", "INTEGER NOT NULL DEFAULT 0" },
	{ "connections", "rwnd_limited_ms", "INTEGER NOT NULL DEFAULT 0" },
	{ "connections", "sndbuf_limited_ms", "INTEGER NOT NULL DEFAULT 0" },
	{ "connections", "isn_local", "INTEGER" },
	{ "connections", "isn_peer", "INTEGER" },
	{ "connections", "snd_wnd_max", "INTEGER NOT NULL DEFAULT 0" },
	{ "samples", "bytes_received", "INTEGER" },
	{ NULL, NULL, NULL },
};

/* Built after the bulk load (and dropped before the next one). */
const char nt_schema_indexes[] =
	"CREATE INDEX IF NOT EXISTS drops_conn ON drops (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS drops_ts ON drops (ts);\n"
	"CREATE INDEX IF NOT EXISTS retransmits_conn ON retransmits (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS cong_conn ON cong (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS states_conn ON states (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS samples_edges ON samples (conn_id, ts) WHERE kind <> 0;\n"
	"CREATE INDEX IF NOT EXISTS resets_conn ON resets (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS stalls_conn ON stalls (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS buffers_conn ON buffers (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS listens_conn ON listens (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS packets_conn ON packets (conn_id, ts);\n"
	"CREATE INDEX IF NOT EXISTS connections_cookie ON connections (host_id, cookie);\n";

/* samples_edges is kept (and made, in a new database) for the load: it holds only
 * the samples with kind <> 0 (zero-window edges, a few per thousand), so keeping
 * it costs one comparison per inserted sample, while building it afterwards
 * scans every sample row (bulk tape, 10 M events: 0.3-0.5 CPU s, 8 % of the import). */
const char nt_schema_drop_indexes[] =
	"CREATE INDEX IF NOT EXISTS samples_edges ON samples (conn_id, ts) WHERE kind <> 0;\n"
	"DROP INDEX IF EXISTS drops_conn; DROP INDEX IF EXISTS drops_ts;\n"
	"DROP INDEX IF EXISTS retransmits_conn; DROP INDEX IF EXISTS cong_conn;\n"
	"DROP INDEX IF EXISTS states_conn;\n"
	"DROP INDEX IF EXISTS resets_conn; DROP INDEX IF EXISTS stalls_conn;\n"
	"DROP INDEX IF EXISTS buffers_conn; DROP INDEX IF EXISTS listens_conn;\n"
	"DROP INDEX IF EXISTS packets_conn;\n";

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%fZ', (" col ") / 1e9, 'unixepoch')"

const char nt_schema_views[] =
	"CREATE VIEW IF NOT EXISTS v_connections AS\n"
	"SELECT c.conn_id, h.hostname AS host, c.cookie, c.netns, n.name AS netns_name,\n"
	"  CASE WHEN c.family = 10 THEN '[' || c.laddr || ']:' || c.lport ELSE c.laddr || ':' || c.lport END AS local,\n"
	"  CASE WHEN c.family = 10 THEN '[' || c.raddr || ']:' || c.rport ELSE c.raddr || ':' || c.rport END AS remote,\n"
	"  c.listener, c.pid, c.comm, c.container,\n"
	"  " ISO("c.first_ts") " AS first_seen, " ISO("c.last_ts") " AS last_seen,\n"
	"  (c.last_ts - c.first_ts) / 1e9 AS duration_s,\n"
	"  c.wscale_ok, c.snd_wscale, c.rcv_wscale, c.mss, c.bytes_acked, c.bytes_received,\n"
	"  c.retransmits, c.rtt_min_us, c.rtt_avg_us, c.rtt_max_us, c.events\n"
	"FROM connections c JOIN hosts h USING (host_id)\n"
	"LEFT JOIN netns n ON n.host_id = c.host_id AND n.inode = c.netns;\n"
	"CREATE VIEW IF NOT EXISTS v_drops AS\n"
	"SELECT d.rowid AS drop_id, " ISO("d.ts") " AS time, d.ts, h.hostname AS host, d.conn_id,\n"
	"  r.name AS reason, s.name || printf('+0x%x', d.sym_off) AS location,\n"
	"  d.saddr || ':' || d.sport AS src, d.daddr || ':' || d.dport AS dst, d.pkt_order,\n"
	"  COALESCE(NULLIF(c.pid, 0), d.pid) AS pid, c.comm, c.container, d.skb_len, d.tcp_flags, d.sk_state\n"
	"FROM drops d JOIN chunks k USING (chunk_id) JOIN hosts h ON h.host_id = k.host_id\n"
	"LEFT JOIN drop_reasons r USING (reason_id) LEFT JOIN symbols s USING (sym_id)\n"
	"LEFT JOIN connections c USING (conn_id);\n"
	"CREATE VIEW IF NOT EXISTS v_drops_by_reason AS\n"
	"SELECT reason, location, pid, comm, count(*) AS drops, min(time) AS first, max(time) AS last\n"
	"FROM v_drops GROUP BY reason, location, pid, comm ORDER BY drops DESC;\n"
	"CREATE VIEW IF NOT EXISTS v_retransmits AS\n"
	"SELECT " ISO("t.ts") " AS time, t.ts, t.conn_id, c.comm, c.pid,\n"
	"  CASE t.kind WHEN 0 THEN 'data' WHEN 1 THEN 'syn' WHEN 2 THEN 'synack' ELSE t.kind END AS kind,\n"
	"  CASE t.ca_state WHEN 4 THEN 'rto' WHEN 3 THEN 'fast' ELSE 'other' END AS trigger,\n"
	"  t.ca_state, t.seq, t.srtt_us, t.rto_us, t.snd_wnd, t.snd_cwnd, t.backoff\n"
	"FROM retransmits t LEFT JOIN connections c USING (conn_id);\n"
	"CREATE VIEW IF NOT EXISTS v_zero_window_episodes AS\n"
	"WITH e AS (SELECT conn_id, ts, kind,\n"
	"    LEAD(ts) OVER w AS next_ts, LEAD(kind) OVER w AS next_kind\n"
	"  FROM samples WHERE kind BETWEEN 1 AND 4 AND conn_id IS NOT NULL\n"
	"  WINDOW w AS (PARTITION BY conn_id, kind <= 2 ORDER BY ts))\n"
	"SELECT e.conn_id, CASE WHEN e.kind = 1 THEN 'rcv' ELSE 'snd' END AS side,\n"
	"  e.ts AS start_ts, COALESCE(CASE WHEN e.next_kind = e.kind + 1 THEN e.next_ts END, e.next_ts, c.last_ts) AS end_ts,\n"
	"  " ISO("e.ts") " AS start_time,\n"
	"  (COALESCE(CASE WHEN e.next_kind = e.kind + 1 THEN e.next_ts END, e.next_ts, c.last_ts) - e.ts) / 1e9 AS duration_s,\n"
	"  (e.next_kind IS NULL OR e.next_kind <> e.kind + 1) AS open_at_end,\n"
	"  c.pid, c.comm, c.wscale_ok\n"
	"FROM e JOIN connections c USING (conn_id) WHERE e.kind IN (1, 3);\n"
	"CREATE VIEW IF NOT EXISTS v_rtt AS\n"
	"SELECT " ISO("s.ts") " AS time, s.ts, s.conn_id, s.kind, s.srtt_us,\n"
	"  c.rtt_min_us AS conn_rtt_min_us, c.rtt_avg_us AS conn_rtt_avg_us\n"
	"FROM samples s JOIN connections c USING (conn_id) WHERE s.srtt_us > 0;\n"
	"CREATE VIEW IF NOT EXISTS v_listen_overflows AS\n"
	"SELECT l.conn_id, c.laddr || ':' || c.lport AS listener, c.pid, c.comm,\n"
	"  max(l.max_backlog) AS max_backlog, max(l.backlog) AS peak_backlog,\n"
	"  sum(l.overflows) AS overflows, sum(l.backlog >= l.max_backlog) AS full_samples,\n"
	"  " ISO("min(l.ts)") " AS first, " ISO("max(l.ts)") " AS last\n"
	"FROM listens l LEFT JOIN connections c USING (conn_id) GROUP BY l.conn_id;\n"
	"CREATE VIEW IF NOT EXISTS v_resets AS\n"
	"SELECT " ISO("r.ts") " AS time, r.ts, r.conn_id, CASE r.kind WHEN 0 THEN 'sent' ELSE 'received' END AS direction,\n"
	"  r.state, r.reason_name, c.pid, c.comm, c.laddr || ':' || c.lport AS local, c.raddr || ':' || c.rport AS remote\n"
	"FROM resets r LEFT JOIN connections c USING (conn_id);\n"
	"CREATE VIEW IF NOT EXISTS v_stalls AS\n"
	"SELECT " ISO("s.ts") " AS time, s.ts, s.conn_id, CASE s.kind WHEN 0 THEN 'read' ELSE 'response' END AS kind,\n"
	"  s.bytes, s.wait_ns / 1e6 AS wait_ms, c.pid, c.comm\n"
	"FROM stalls s LEFT JOIN connections c USING (conn_id);\n"
	"CREATE VIEW IF NOT EXISTS v_losses AS\n"
	"SELECT h.hostname AS host, l.class, l.cpu, l.count,\n"
	"  " ISO("l.from_ts") " AS from_time, " ISO("l.to_ts") " AS to_time, l.from_ts, l.to_ts\n"
	"FROM losses l JOIN hosts h USING (host_id);\n"
	"CREATE VIEW IF NOT EXISTS v_processes AS\n"
	"SELECT h.hostname AS host, p.pid, p.comm, p.cmdline, p.container,\n"
	"  (SELECT count(*) FROM connections c WHERE c.host_id = p.host_id AND c.pid = p.pid) AS connections\n"
	"FROM processes p JOIN hosts h USING (host_id);\n"
	"CREATE VIEW IF NOT EXISTS v_chunks AS\n"
	"SELECT k.chunk_id, h.hostname AS host, k.recording_id, k.seq, k.path, k.events, k.partial,\n"
	"  k.has_index, k.damaged_bytes, " ISO("k.first_ts") " AS first, " ISO("k.last_ts") " AS last\n"
	"FROM chunks k JOIN hosts h USING (host_id);\n"
	"CREATE VIEW IF NOT EXISTS v_packets AS\n"
	"SELECT p.rowid AS packet_id, " ISO("p.ts") " AS time, p.ts, p.conn_id,\n"
	"  CASE p.dir WHEN 2 THEN 'out' WHEN 1 THEN 'in' ELSE '?' END AS dir,\n"
	"  (CASE WHEN p.tcp_flags & 2 THEN 'S' ELSE '' END) || (CASE WHEN p.tcp_flags & 1 THEN 'F' ELSE '' END) ||\n"
	"  (CASE WHEN p.tcp_flags & 4 THEN 'R' ELSE '' END) || (CASE WHEN p.tcp_flags & 8 THEN 'P' ELSE '' END) ||\n"
	"  (CASE WHEN p.tcp_flags & 16 THEN '.' ELSE '' END) AS flags,\n"
	"  p.seq, p.ack, p.win_raw, p.window, p.payload, p.orig_len,\n"
	"  p.analysis & 1 <> 0 AS retrans, p.analysis & 2 <> 0 AS zero_window, p.analysis & 4 <> 0 AS dup_ack,\n"
	"  p.analysis & 8 <> 0 AS keepalive\n"
	"FROM packets p;\n";
