/* test_detect.c: every detector on a scenario where it must fire and one where it must not; filters; healthy = no incident. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "detect/detect.h"
#include "import/import.h"
#include "incident/incident.h"
#include "check.h"

static const char *synth_bin, *workdir;

/* Builds (once) the database of a scenario; returns an open handle. */
static struct nt_store *scenario_db(const char *sc, const char *extra)
{
	char tape[512], dbp[512], cmd[2048], err[NT_ERRLEN];
	struct nt_store *db = NULL;
	struct nt_import_stats st;

	snprintf(tape, sizeof(tape), "%s/%s%s.tape", workdir, sc, extra ? "-x" : "");
	snprintf(dbp, sizeof(dbp), "%s/%s%s.db", workdir, sc, extra ? "-x" : "");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' && '%s' %s '%s' %s", tape, dbp, synth_bin, sc, tape, extra ? extra : "");
	if (system(cmd) != 0) {
		fprintf(stderr, "FAIL: %s\n", cmd);
		exit(1);
	}
	if (nt_store_open(dbp, NT_STORE_WRITE, &db, err)) {
		fprintf(stderr, "FAIL: open %s: %s\n", dbp, err);
		exit(1);
	}
	const char *paths[] = { tape };
	if (nt_import(db, paths, 1, NULL, &st, err)) {
		fprintf(stderr, "FAIL: import %s: %s\n", tape, err);
		exit(1);
	}
	return db;
}

static int has_kind(const struct nt_analysis *a, enum nt_fkind k)
{
	for (size_t i = 0; i < a->findings.n; i++)
		if (a->findings.v[i].kind == k)
			return 1;
	return 0;
}

struct expect {
	const char *scenario;
	const char *extra;             /* synth arguments */
	enum nt_fkind fire[4];         /* terminated by NT_F__COUNT */
	enum nt_fkind quiet[4];        /* must not fire; terminated by NT_F__COUNT */
	int incidents;                 /* -1 = do not check */
	const char *cause_has;         /* substring of incident 1's cause, or NULL */
	const char *set[3];            /* detector options */
};

#define END NT_F__COUNT

static const struct expect cases[] = {
	{ "zero-window", NULL, { NT_F_ZERO_WINDOW, NT_F_NO_WSCALE, END }, { NT_F_DROPS, NT_F_RWND_LIMITED, END }, 1,
	  "window scaling was not negotiated", { NULL } },
	/* The same tape with thresholds above it: must stay quiet. */
	/* (A condition alone is below incident.min_impact: a note.) */
	{ "zero-window", NULL, { NT_F_NO_WSCALE, END }, { NT_F_ZERO_WINDOW, END }, 0, "did not negotiate window scaling",
	  { "zero_window.min_total_ms=100000", "zero_window.min_episodes=100", NULL } },
	{ "listen", NULL, { NT_F_LISTEN_OVERFLOW, END }, { NT_F_SYN_RETRANS, NT_F_DROPS, NT_F_RTO, END }, 1,
	  "accept queue of 0.0.0.0:9090", { NULL } },
	{ "listen-client", NULL, { NT_F_SYN_RETRANS, END }, { NT_F_LISTEN_OVERFLOW, END }, 1, "not answered", { NULL } },
	{ "netfilter", NULL, { NT_F_DROPS, NT_F_FAST_RETRANS, END }, { NT_F_RTO, NT_F_ZERO_WINDOW, END }, 1,
	  "netfilter rule dropped 20 packets", { NULL } },
	{ "rto", NULL, { NT_F_RTO, END }, { NT_F_FAST_RETRANS, NT_F_DROPS, END }, 1, "retransmission timeout", { NULL } },
	{ "rtt", NULL, { NT_F_RTT_SPIKE, END }, { NT_F_RTO, END }, 1, "80.0 ms", { NULL } },
	{ "rtt", NULL, { END }, { NT_F_RTT_SPIKE, END }, 0, NULL, { "rtt.factor=10", NULL } },
	/* One reset at teardown is evidence, not an incident: a note. */
	{ "reset", NULL, { NT_F_RESET, END }, { NT_F_DROPS, END }, 0, "reset", { NULL } },
	{ "stall", NULL, { NT_F_READ_STALL, NT_F_SLOW_RESPONSE, END }, { NT_F_RESET, END }, 1, "unread", { NULL } },
	{ "stall", NULL, { END }, { NT_F_READ_STALL, NT_F_SLOW_RESPONSE, END }, 0, NULL,
	  { "stall.read_ms=1000", "stall.response_ms=1000", NULL } },
	{ "rwnd", NULL, { NT_F_RWND_LIMITED, END }, { NT_F_ZERO_WINDOW, END }, 1, "advertised window", { NULL } },
	{ "loss", NULL, { NT_F_RECORDER_LOSS, END }, { END }, 1, "lost 1244 events", { NULL } },
	{ "loss", NULL, { END }, { NT_F_RECORDER_LOSS, END }, 0, NULL, { "loss.min=5000", NULL } },
	/* Must-not cases for every detector at once, and the healthy bulk transfer. */
	{ "near-miss", NULL, { END },
	  { NT_F_ZERO_WINDOW, NT_F_RWND_LIMITED, NT_F_FAST_RETRANS, END }, 0, NULL, { NULL } },
	{ "near-miss", NULL, { END }, { NT_F_RTT_SPIKE, NT_F_LISTEN_OVERFLOW, NT_F_SYN_RETRANS, END }, 0, NULL, { NULL } },
	{ "near-miss", NULL, { END }, { NT_F_READ_STALL, NT_F_SLOW_RESPONSE, NT_F_NO_WSCALE, END }, 0, NULL, { NULL } },
	{ "healthy", NULL, { END }, { NT_F_ZERO_WINDOW, NT_F_RTT_SPIKE, NT_F_RWND_LIMITED, END }, 0, NULL, { NULL } },
	/* Both ends of one connection: one incident, named after the reader that stalled. */
	{ "pair", NULL, { NT_F_ZERO_WINDOW, NT_F_READ_STALL, END }, { NT_F_DROPS, END }, 1, "slow-server[3535] stopped reading",
	  { NULL } },
	/* Teardown noise: no listen overflow from sampled drops alone, no RTO from a SYN_SENT Loss. */
	{ "teardown", NULL, { NT_F_DROPS, NT_F_RESET, END }, { NT_F_LISTEN_OVERFLOW, NT_F_RTO, END }, -1, NULL, { NULL } },
	/* Duplicates discarded by the receiver (spurious retransmits): one note that says so, no incident. */
	{ "duplicates", NULL, { NT_F_DROPS, END }, { NT_F_RTO, NT_F_FAST_RETRANS, END }, 0, "duplicate segments",
	  { NULL } },
	/* Queueing delay: the RTT spike names the incident; the bulk traffic that filled the queue is its context. */
	{ "queue", NULL, { NT_F_RTT_SPIKE, NT_F_DROPS, NT_F_FAST_RETRANS, END }, { NT_F_RTO, END }, 1,
	  "the queue was filled by bulk-server[3939]: 3 connections", { NULL } },
	/* Drop-reason numbers differ between kernels: detection goes by name. */
	{ "netfilter", "--reason-shift 17", { NT_F_DROPS, END }, { END }, 1, "NETFILTER_DROP", { NULL } },
	{ "listen", "--reason-shift 17", { NT_F_LISTEN_OVERFLOW, END }, { NT_F_DROPS, END }, 1, "overflowed", { NULL } },
};

static void run_case(const struct expect *e)
{
	char err[NT_ERRLEN];
	struct nt_store *db = scenario_db(e->scenario, e->extra);
	struct nt_filter f = { 0 };
	struct nt_detect_opts o;
	struct nt_analysis a;

	nt_detect_opts_default(&o);
	for (int i = 0; e->set[i]; i++)
		CHECK_MSG(nt_detect_opts_set(&o, e->set[i], err) == 0, "%s", err);
	if (nt_analyze(db, &f, &o, &a, err)) {
		CHECK_MSG(0, "%s: analyze: %s", e->scenario, err);
		nt_store_close(db);
		return;
	}
	for (int i = 0; e->fire[i] != END; i++)
		CHECK_MSG(has_kind(&a, e->fire[i]), "%s%s: %s must fire", e->scenario, e->set[0] ? " (options)" : "",
		      nt_fkind_name(e->fire[i]));
	for (int i = 0; e->quiet[i] != END; i++)
		CHECK_MSG(!has_kind(&a, e->quiet[i]), "%s%s: %s must not fire", e->scenario, e->set[0] ? " (options)" : "",
		      nt_fkind_name(e->quiet[i]));
	if (e->incidents >= 0)
		CHECK_MSG((int)a.ninc == e->incidents, "%s: %zu incidents, expected %d", e->scenario, a.ninc, e->incidents);
	/* Incident 1, or note 1 when there is no incident. */
	if (e->cause_has && a.ninc + a.nnotes)
		CHECK_MSG(strstr(a.inc[0].cause, e->cause_has) != NULL, "%s: cause '%s' lacks '%s'", e->scenario,
		      a.inc[0].cause, e->cause_has);
	nt_analysis_free(&a);
	nt_store_close(db);
}

/* Duplicates are evidence, not a cause: their incident ranks below any real drop. */
static void duplicates(void)
{
	char err[NT_ERRLEN];
	struct nt_store *db = scenario_db("duplicates", NULL);
	struct nt_filter f = { 0 };
	struct nt_detect_opts o;
	struct nt_analysis a;

	nt_detect_opts_default(&o);
	CHECK_MSG(nt_analyze(db, &f, &o, &a, err) == 0, "%s", err);
	CHECK_MSG(a.ninc == 0 && a.nnotes == 1 && a.inc[0].impact < 1.0,
	      "duplicates: %zu incidents, %zu notes, impact %.2f, expected one note < 1 (a real drop scores >= 1.1)",
	      a.ninc, a.nnotes, a.nnotes ? a.inc[0].impact : -1.0);
	CHECK_MSG(a.nnotes && strstr(a.inc[0].cause, "the peer 10.0.11.2:42000 sent data again") != NULL,
	      "duplicates: cause '%s' does not name the sender", a.nnotes ? a.inc[0].cause : "");
	nt_analysis_free(&a);
	nt_store_close(db);
}

/* The combined tape: ranking and the report filters. */
static void filters(void)
{
	char err[NT_ERRLEN];
	struct nt_store *db = scenario_db("all", NULL);
	struct nt_filter f = { 0 };
	struct nt_detect_opts o;
	struct nt_analysis a;
	const int64_t base = 1795312800LL * 1000000000LL;

	nt_detect_opts_default(&o);
	CHECK_MSG(nt_analyze(db, &f, &o, &a, err) == 0, "%s", err);
	/* 9 findings groups: the single teardown reset is a note. */
	CHECK_MSG(a.ninc == 8 && a.nnotes == 1, "all: %zu incidents and %zu notes, expected 8 and 1", a.ninc, a.nnotes);
	for (size_t i = 1; i < a.ninc; i++)
		CHECK_MSG(a.inc[i - 1].impact >= a.inc[i].impact, "all: incidents not ranked by impact");
	CHECK_MSG(a.ninc && a.inc[0].primary == NT_F_ZERO_WINDOW, "all: the zero-window incident must rank first");
	nt_analysis_free(&a);

	/* The RTO scenario runs at +360 s: a window around it sees only that. */
	f.from = base + 365 * 1000000000LL;
	f.to = base + 375 * 1000000000LL;
	CHECK_MSG(nt_analyze(db, &f, &o, &a, err) == 0, "%s", err);
	CHECK_MSG(a.ninc == 1 && a.inc[0].primary == NT_F_RTO, "all --from/--to: expected only the RTO incident, got %zu", a.ninc);
	nt_analysis_free(&a);

	memset(&f, 0, sizeof(f));
	f.pid = 4242;
	CHECK_MSG(nt_analyze(db, &f, &o, &a, err) == 0, "%s", err);
	CHECK_MSG(a.ninc == 1 && a.inc[0].pid == 4242, "all --pid 4242: expected one incident of pid 4242, got %zu", a.ninc);
	nt_analysis_free(&a);

	memset(&f, 0, sizeof(f));
	f.conn_id = nt_store_int(db, "SELECT conn_id FROM connections WHERE cookie = 601", 0);
	CHECK_MSG(f.conn_id > 0, "all: connection of cookie 601 not found");
	CHECK_MSG(nt_analyze(db, &f, &o, &a, err) == 0, "%s", err);
	CHECK_MSG(a.ninc == 1 && a.inc[0].primary == NT_F_RTT_SPIKE, "all --conn: expected the RTT incident, got %zu", a.ninc);
	nt_analysis_free(&a);
	nt_store_close(db);
}

/* Importing the same tape twice adds nothing; connection aggregates are right. */
static void idempotent(void)
{
	char tape[512], err[NT_ERRLEN];
	struct nt_store *db = scenario_db("netfilter", NULL);
	struct nt_import_stats st;
	int64_t ev = nt_store_int(db, "SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM drops) +"
				   " (SELECT count(*) FROM retransmits) + (SELECT count(*) FROM cong) + (SELECT count(*) FROM states)", -1);

	snprintf(tape, sizeof(tape), "%s/netfilter.tape", workdir);
	const char *paths[] = { tape };
	CHECK_MSG(nt_import(db, paths, 1, NULL, &st, err) == 0, "%s", err);
	CHECK_MSG(st.events == 0 && st.chunks_skipped == 1, "second import added %llu events", (unsigned long long)st.events);
	CHECK_MSG(nt_store_int(db, "SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM drops) +"
			    " (SELECT count(*) FROM retransmits) + (SELECT count(*) FROM cong) + (SELECT count(*) FROM states)", -2) == ev,
	      "row counts changed on re-import");
	CHECK_MSG(nt_store_int(db, "SELECT retransmits FROM connections WHERE cookie = 401", 0) == 20, "retransmits aggregate");
	CHECK_MSG(nt_store_int(db, "SELECT count(*) FROM drops WHERE conn_id = (SELECT conn_id FROM connections WHERE cookie = 401)", 0) == 20,
	      "cookie-less drops must be matched to their connection by tuple (reverse orientation)");
	CHECK_MSG(nt_store_int(db, "SELECT wscale_ok FROM connections WHERE cookie = 401", -1) == 1, "wscale_ok aggregate");
	CHECK_MSG(nt_store_int(db, "SELECT count(*) FROM v_connections", 0) == 1, "v_connections");
	nt_store_close(db);
}

/* A server tape and a client tape (another host, other drop-reason numbers) in one database:
 * the client's SYN retransmits are attributed to the server's listener. */
static void two_hosts(void)
{
	char cmd[8192], dbp[512], srv[512], cli[512], err[NT_ERRLEN];
	struct nt_store *db = NULL;
	struct nt_import_stats st;
	struct nt_filter f = { 0 };
	struct nt_detect_opts o;
	struct nt_analysis a;

	snprintf(srv, sizeof(srv), "%s/two-srv", workdir);
	snprintf(cli, sizeof(cli), "%s/two-cli", workdir);
	snprintf(dbp, sizeof(dbp), "%s/two.db", workdir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' && '%s' listen-server '%s' --host srv1 && '%s' listen-client '%s' --host cli1 --reason-shift 5",
		 srv, cli, dbp, synth_bin, srv, synth_bin, cli);
	if (system(cmd) != 0 || nt_store_open(dbp, NT_STORE_WRITE, &db, err)) {
		CHECK_MSG(0, "two hosts: setup");
		return;
	}
	const char *paths[] = { srv, cli };
	CHECK_MSG(nt_import(db, paths, 2, NULL, &st, err) == 0, "%s", err);
	CHECK_MSG(nt_store_int(db, "SELECT count(*) FROM hosts", 0) == 2, "two hosts: hosts table");
	nt_detect_opts_default(&o);
	CHECK_MSG(nt_analyze(db, &f, &o, &a, err) == 0, "%s", err);
	CHECK_MSG(a.ninc == 1 && a.inc[0].primary == NT_F_LISTEN_OVERFLOW, "two hosts: one listen incident, got %zu", a.ninc);
	for (size_t i = 0; i < a.findings.n; i++)
		if (a.findings.v[i].kind == NT_F_LISTEN_OVERFLOW)
			CHECK_MSG(a.findings.v[i].count2 == 27, "two hosts: 12 client SYN + 15 SYN-ACK retransmits, got %llu",
			      (unsigned long long)a.findings.v[i].count2);
	CHECK_MSG(!has_kind(&a, NT_F_SYN_RETRANS), "two hosts: SYN retransmits must be matched to the listener");
	nt_analysis_free(&a);
	nt_store_close(db);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_detect NETTAPE-SYNTH WORKDIR\n");
		return 2;
	}
	synth_bin = argv[1];
	workdir = argv[2];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	filters();
	idempotent();
	duplicates();
	two_hosts();
	if (check_failures) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	printf("test_detect: all checks passed (%zu cases)\n", sizeof(cases) / sizeof(cases[0]));
	return 0;
}
