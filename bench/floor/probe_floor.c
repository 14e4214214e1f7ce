/* probe_floor.c: attaches the empty tcp_probe program until SIGINT/SIGTERM, then prints its bpf_stats cost (the floor of any tcp_probe program). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe_floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(void)
{
	struct probe_floor *skel;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int err;

	libbpf_set_print(quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = probe_floor__open_and_load();
	if (!skel) {
		fprintf(stderr, "probe_floor: load failed: %s\n", strerror(errno));
		return 1;
	}
	err = probe_floor__attach(skel);
	if (err) {
		fprintf(stderr, "probe_floor: attach failed: %s\n", strerror(-err));
		probe_floor__destroy(skel);
		return 1;
	}
	printf("probe_floor: attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.tcp_probe_floor), &info, &len);
	if (err || !info.run_cnt)
		printf("probe_floor: no runs counted (kernel.bpf_stats_enabled=1?)\n");
	else
		printf("probe_floor: tcp_probe empty %.1f ns x %llu\n",
		       (double)info.run_time_ns / (double)info.run_cnt,
		       (unsigned long long)info.run_cnt);
	probe_floor__destroy(skel);
	return 0;
}
