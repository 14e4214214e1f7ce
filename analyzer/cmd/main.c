/* main.c: the nettape analyzer's entry point; dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "info",   cmd_info,   "describe a tape: host, kernel, time range, records by type, losses" },
	{ "verify", cmd_verify, "check every frame of a tape; exit 0 when clean" },
	{ "import", cmd_import, "import tapes (one or many hosts) into a SQLite database" },
	{ "report", cmd_report, "find and correlate incidents; text, markdown, json or html" },
	{ "query",  cmd_query,  "run SQL or a canned query against an imported database" },
	{ "replay", cmd_replay, "print recorded events in order, paced or fast, filtered, text or JSON lines" },
	{ "pcap",   cmd_pcap,   "write packet snippets (tapes or a DB) as pcapng/pcap for Wireshark" },
	{ "bundle", cmd_bundle, "pack a time/connection slice (optionally anonymized) + report" },
	{ "retime", cmd_retime, "copy a tape with its wall clock shifted (a host whose clock was wrong)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: nettape COMMAND [OPTIONS] ...\n\n"
		   "Analyse nettape tapes recorded by nettape-record. Needs no root and no BPF.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'nettape COMMAND --help' for the options of a command.\n"
		   "Examples:\n"
		   "  nettape info /var/lib/nettape\n"
		   "  nettape import /var/lib/nettape -o incident.db\n"
		   "  nettape report incident.db --format html -o report.html\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("nettape %s\n", NETTAPE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "nettape: unknown command '%s'; run 'nettape --help' for the list\n", argv[1]);
	return 2;
}
