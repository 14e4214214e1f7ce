/* cmd_import_ch.c: 'nettape import TAPE... --into clickhouse://...' (once, or --follow a tape directory as it grows). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "import/import_ch.h"
#include "store/clickhouse.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_warn(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "nettape import: warning: %s\n", line);
}

static void summary(const char *url, const char *version, const struct nt_import_stats *st,
		    const struct nt_ch_import_stats *cs, double s)
{
	fprintf(stderr, "nettape import: %llu events from %llu chunk%s into %s (ClickHouse %s) in %.2f s (%.0f events/s; decode %.2f s,"
		" format and wait for the server %.2f s, %.1f MB sent",
		(unsigned long long)st->events, (unsigned long long)st->chunks_imported,
		st->chunks_imported == 1 ? "" : "s", url, version, s, s > 0 ? (double)st->events / s : 0.0, cs->decode_s,
		cs->send_s, (double)cs->wire_bytes / 1e6);
	if (cs->wire_bytes && cs->wire_bytes < cs->raw_bytes)
		fprintf(stderr, " gzip of %.1f MB", (double)cs->raw_bytes / 1e6);
	fputc(')', stderr);
	if (st->chunks_skipped)
		fprintf(stderr, "; %llu chunk%s already imported", (unsigned long long)st->chunks_skipped,
			st->chunks_skipped == 1 ? "" : "s");
	if (cs->recovered)
		fprintf(stderr, "; %llu interrupted batch%s removed and sent again", (unsigned long long)cs->recovered,
			cs->recovered == 1 ? "" : "es");
	fputc('\n', stderr);
}

int cmd_import_clickhouse(const char *const *paths, size_t n, const struct cmd_import_ch_opts *o)
{
	struct nt_import_opts io = { 0 };
	struct nt_import_stats st;
	struct nt_ch_import_stats cs;
	struct nt_ch *ch = NULL;
	struct timespec t0;
	char err[NT_ERRLEN];
	int ret = 1, failures = 0;

	io.batch_events = o->batch;
	io.warn = on_warn;
	if (o->follow) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (;;) {
		if (!ch && nt_ch_open(o->url, NT_CH_WRITE, &ch, err)) {
			if (!failures)
				fprintf(stderr, "nettape import: %s%s\n", err, o->follow ? "; retrying every --interval" : "");
			if (!o->follow)
				return 1;
			/* Following: the server may come back; say so once per outage. */
			failures++;
			goto pause;
		}
		if (o->gzip >= 0)
			nt_ch_set_gzip(ch, o->gzip);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (nt_import_ch(ch, paths, n, &io, &st, &cs, err)) {
			if (!failures)
				fprintf(stderr, "nettape import: %s%s\n", err, o->follow ? "; retrying every --interval" : "");
			nt_ch_close(ch);
			ch = NULL;
			if (!o->follow)
				return 1;
			failures++;
			goto pause;
		}
		if (failures)
			fprintf(stderr, "nettape import: %s answers again; continuing\n", nt_ch_where(ch));
		failures = 0;
		if (!o->quiet && (!o->follow || st.chunks_imported))
			summary(o->url, nt_ch_server_version(ch), &st, &cs, elapsed(&t0));
		ret = st.chunks_failed ? 1 : 0;
		if (!o->follow)
			break;
pause:
		for (int64_t slept = 0; !g_stop && slept < o->interval_ns; slept += 100000000)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		if (g_stop) {
			ret = failures ? 1 : 0;
			break;
		}
	}
	nt_ch_close(ch);
	return ret;
}
