/* commands.h: the subcommands of the nettape analyzer; each lives in cmd_<name>.c. */
#ifndef NETTAPE_COMMANDS_H
#define NETTAPE_COMMANDS_H

/* Each command gets argv with argv[0] = the command name ("info"), parses
 * its own options with getopt_long, and returns the process exit code:
 * 0 ok, 1 runtime failure (a one-line error already printed), 2 usage. */
int cmd_info(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_pcap(int argc, char **argv);
int cmd_bundle(int argc, char **argv);

/* 'nettape import ... --into URL' (cmd_import_ch.c), called by cmd_import once options are parsed. */
#include <stddef.h>
#include <stdint.h>
struct cmd_import_ch_opts {
	const char *url;
	int quiet, follow;
	int gzip;              /* -1 auto, 0 off, 1 on */
	int64_t interval_ns;   /* --follow's pause */
	uint64_t batch;
};
int cmd_import_clickhouse(const char *const *paths, size_t n, const struct cmd_import_ch_opts *o);

#endif
