/* test_meta.c: metadata tables: replacement by key, lists, lookups, foreach order, snapshot in every chunk. */
#include "tape.h"
#include "test_util.h"

static int add_enum(struct tape_meta *m, uint16_t kind, uint32_t value, const char *name)
{
	uint8_t buf[128];
	struct nt_rec_enum_name e = { .kind = kind, .value = value };
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), name, strlen(name));
	return tape_meta__add(m, NT_REC_ENUM_NAME, buf, (uint32_t)(sizeof(e) + strlen(name)));
}

static int add_sym(struct tape_meta *m, uint64_t addr, const char *name)
{
	uint8_t buf[128];
	memcpy(buf, &addr, 8);
	memcpy(buf + 8, name, strlen(name));
	return tape_meta__add(m, NT_REC_SYMBOL, buf, (uint32_t)(8 + strlen(name)));
}

static int add_cgroup(struct tape_meta *m, uint64_t id, const char *path, const char *ctr)
{
	uint8_t buf[256];
	struct nt_rec_cgroup c = { .id = id, .path_len = (uint16_t)strlen(path),
				   .container_len = (uint16_t)strlen(ctr) };
	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), path, strlen(path));
	memcpy(buf + sizeof(c) + strlen(path), ctr, strlen(ctr));
	return tape_meta__add(m, NT_REC_CGROUP, buf,
			      (uint32_t)(sizeof(c) + strlen(path) + strlen(ctr)));
}

static int add_named(struct tape_meta *m, uint16_t type, uint32_t a, uint32_t b, const char *n)
{
	uint8_t buf[128];
	memcpy(buf, &a, 4);
	memcpy(buf + 4, &b, 4);
	memcpy(buf + 8, n, strlen(n));
	return tape_meta__add(m, type, buf, (uint32_t)(8 + strlen(n)));
}

static int add_proc(struct tape_meta *m, uint32_t pid, const char *comm, const char *cmd)
{
	uint8_t buf[256];
	struct nt_rec_process p = { .pid = pid, .ppid = 1, .cgroup = 77 };
	memcpy(p.comm, comm, strlen(comm));
	memcpy(buf, &p, sizeof(p));
	memcpy(buf + sizeof(p), cmd, strlen(cmd));
	return tape_meta__add(m, NT_REC_PROCESS, buf, (uint32_t)(sizeof(p) + strlen(cmd)));
}

static int add_sock(struct tape_meta *m, uint64_t cookie, uint8_t state)
{
	struct nt_ev_state s = { 0 };
	s.c.cookie = cookie;
	s.old_state = s.new_state = state;
	return tape_meta__add(m, NT_REC_SOCKET, &s, sizeof(s));
}

static int count_cb(void *ctx, uint16_t type, const void *data, uint32_t len)
{
	uint16_t *last = ctx;
	CHECK(type >= *last); /* stable order: by type */
	*last = type;
	return 0;
}

static void check_tables(const struct tape_meta *m)
{
	uint64_t off = 0;
	const char *cmd = NULL;
	const struct nt_rec_process *p;

	CHECK(!strcmp(tape_meta__enum_name(m, NT_ENUM_DROP_REASON, 2), "NO_SOCKET"));
	CHECK(!strcmp(tape_meta__enum_name(m, NT_ENUM_DROP_REASON, 3), "PKT_TOO_SMALL_v2"));
	CHECK(tape_meta__enum_name(m, NT_ENUM_TCP_STATE, 2) == NULL);
	CHECK(!strcmp(tape_meta__symbol(m, 0xffffffff81000010ull, &off), "tcp_v4_rcv"));
	CHECK_EQ(off, 0x10);
	CHECK(!strcmp(tape_meta__symbol(m, 0xffffffff81000200ull, &off), "tcp_rcv_established"));
	CHECK_EQ(off, 0);
	CHECK(tape_meta__symbol(m, 0x1000, &off) == NULL);
	p = tape_meta__process(m, 4242, &cmd);
	CHECK(p && !strcmp(p->comm, "nginx") && !strcmp(cmd, "nginx -g daemon off;"));
	CHECK(tape_meta__process(m, 1, NULL) == NULL);
	CHECK(!strcmp(tape_meta__cgroup_path(m, 77), "/system.slice/docker-abc.scope"));
	CHECK(!strcmp(tape_meta__container(m, 77), "abc"));
	CHECK(tape_meta__container(m, 78) == NULL);
	CHECK(!strcmp(tape_meta__cgroup_path(m, 78), "/user.slice"));
	CHECK(!strcmp(tape_meta__netns_name(m, 4026531840u), "init"));
	CHECK(!strcmp(tape_meta__iface_name(m, 4026531840u, 2), "eth0"));
	CHECK(tape_meta__iface_name(m, 4026531840u, 3) == NULL);
	CHECK(tape_meta__socket(m, 99) && tape_meta__socket(m, 99)->new_state == 1);
	CHECK(!strcmp(tape_meta__config(m, "snaplen"), "128"));
	CHECK(!strcmp(tape_meta__config(m, "flag"), ""));
	CHECK(tape_meta__config(m, "snap") == NULL);
}

static void fill(struct tape_meta *m)
{
	CHECK_EQ(add_enum(m, NT_ENUM_DROP_REASON, 2, "NO_SOCKET"), 0);
	CHECK_EQ(add_enum(m, NT_ENUM_DROP_REASON, 3, "PKT_TOO_SMALL"), 0);
	CHECK_EQ(add_enum(m, NT_ENUM_DROP_REASON, 3, "PKT_TOO_SMALL_v2"), 0); /* replaces */
	CHECK_EQ(add_sym(m, 0xffffffff81000200ull, "tcp_rcv_established"), 0);
	CHECK_EQ(add_sym(m, 0xffffffff81000000ull, "tcp_v4_rcv"), 0);
	CHECK_EQ(add_proc(m, 4242, "nginx", "nginx -g daemon off;"), 0);
	CHECK_EQ(add_cgroup(m, 77, "/system.slice/docker-abc.scope", "abc"), 0);
	CHECK_EQ(add_cgroup(m, 78, "/user.slice", ""), 0);
	CHECK_EQ(add_named(m, NT_REC_NETNS, 4026531840u, 0, "init"), 0);
	CHECK_EQ(add_named(m, NT_REC_IFACE, 4026531840u, 2, "eth0"), 0);
	CHECK_EQ(add_sock(m, 99, 1), 0);
	CHECK_EQ(add_sock(m, 100, 1), 0);
	CHECK_EQ(tape_meta__add(m, NT_REC_CONFIG, "snaplen=128", 11), 0);
	CHECK_EQ(tape_meta__add(m, NT_REC_CONFIG, "snaplen=64", 10), 0);
	CHECK_EQ(tape_meta__add(m, NT_REC_CONFIG, "snaplen=128", 11), 0);
	CHECK_EQ(tape_meta__add(m, NT_REC_CONFIG, "flag", 4), 0);
}

int main(void)
{
	struct tape_meta *m = tape_meta__new();
	struct nt_rec_loss loss = { .count = 5 };
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	struct tu_clock ck = { .boot = 1000000000ull, .real_off = 1600000000000000000ull };
	char dir[256];
	char **paths;
	uint16_t last = 0;
	int n;

	REQUIRE(m);
	fill(m);
	check_tables(m);
	CHECK_EQ(tape_meta__count(m, NT_REC_ENUM_NAME), 2);
	CHECK_EQ(tape_meta__count(m, NT_REC_SOCKET), 2);
	CHECK_EQ(tape_meta__count(m, NT_REC_CONFIG), 2);
	CHECK_EQ(tape_meta__add(m, NT_REC_DROP, &loss, sizeof(loss)), -EINVAL);
	CHECK_EQ(tape_meta__add(m, NT_REC_SYMBOL, "abc", 3), -EINVAL);
	{
		/* an older, shorter socket record (128 bytes, before isn_local) is kept, zero-filled */
		struct tape_meta *m2 = tape_meta__new();
		struct nt_ev_state old;
		memset(&old, 0xab, sizeof(old));
		old.c.cookie = 777;
		REQUIRE(m2);
		CHECK_EQ(tape_meta__add(m2, NT_REC_SOCKET, &old, 128), 0);
		const struct nt_ev_state *got = tape_meta__socket(m2, 777);
		REQUIRE(got);
		CHECK_EQ(got->opt_sysctl, 0xab);
		CHECK_EQ(got->isn_local, 0);
		CHECK_EQ(got->isn_peer, 0);
		CHECK_EQ(tape_meta__add(m2, NT_REC_SOCKET, &old, 100), -EINVAL);
		tape_meta__free(m2);
	}
	CHECK_EQ(tape_meta__add(m, NT_REC_LOSS, &loss, sizeof(loss)), 0);
	CHECK_EQ(tape_meta__add(m, NT_REC_LOSS, &loss, sizeof(loss)), 0);
	CHECK_EQ(tape_meta__count(m, NT_REC_LOSS), 2);
	{
		/* a cgroup record whose lengths exceed the payload */
		struct nt_rec_cgroup c = { .id = 1, .path_len = 10 };
		CHECK_EQ(tape_meta__add(m, NT_REC_CGROUP, &c, sizeof(c)), -EINVAL);
	}
	tape_meta__foreach(m, count_cb, &last);

	/* the snapshot goes into every chunk; each chunk alone has the tables */
	tu_tmpdir(dir, sizeof(dir), "meta");
	o.dir = dir;
	o.meta = m;
	o.now_ns = tu_clock_boot;
	o.realtime_ns = tu_clock_real;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	REQUIRE(w);
	tape_meta__clear_sockets(m);
	CHECK_EQ(tape_meta__count(m, NT_REC_SOCKET), 0);
	CHECK_EQ(add_sock(m, 99, 1), 0);
	CHECK_EQ(tape_writer__rotate(w), 0);
	CHECK_EQ(tape_writer__close(w), 0);
	n = tape_list_chunks(dir, &paths);
	CHECK_EQ(n, 2);
	for (int i = 0; i < n; i++) {
		int err;
		struct tape_chunk_reader *cr = tape_chunk_reader__open(paths[i], &err);
		REQUIRE(cr);
		check_tables(tape_chunk_reader__source(cr)->meta);
		/* LOSS and PIN are moments, not state: not in the snapshot */
		CHECK_EQ(tape_meta__count(tape_chunk_reader__source(cr)->meta, NT_REC_LOSS), 0);
		CHECK_EQ(tape_meta__count(tape_chunk_reader__source(cr)->meta, NT_REC_SOCKET),
			 i == 0 ? 2 : 1);
		CHECK_EQ(tape_meta__count(tape_chunk_reader__source(cr)->meta, NT_REC_CLOCK), 1);
		tape_chunk_reader__free(cr);
	}
	tape_list_free(paths, n);
	tu_rmtree(dir);

	/* inline metadata in DATA frames is applied once, even when re-read after a seek */
	tu_tmpdir(dir, sizeof(dir), "meta2");
	o.meta = NULL;
	w = tape_writer__open(&o);
	REQUIRE(w);
	for (int i = 0; i < 3; i++) {
		ck.boot += 1000000;
		CHECK_EQ(tape_writer__loss(w, NT_REC_DROP, 0xffff, 7, ck.boot - 1000, ck.boot), 0);
		CHECK_EQ(tape_writer__flush(w), 0);
	}
	CHECK_EQ(tape_writer__close(w), 0);
	n = tape_list_chunks(dir, &paths);
	REQUIRE(n == 1);
	{
		int err, k = 0;
		struct tape_record rec;
		struct tape_chunk_reader *cr = tape_chunk_reader__open(paths[0], &err);
		struct tape_frame_info *fi;
		size_t nfi;
		uint64_t lost = 0;
		REQUIRE(cr);
		while (tape_chunk_reader__next(cr, &rec) == 1)
			k++;
		CHECK_EQ(k, 4); /* clock pair + 3 losses */
		CHECK_EQ(tape_meta__count(tape_chunk_reader__source(cr)->meta, NT_REC_LOSS), 3);
		CHECK_EQ(tape_chunk_reader__seek_time(cr, 0), 0);
		while (tape_chunk_reader__next(cr, &rec) == 1)
			k++;
		CHECK_EQ(k, 7);
		CHECK_EQ(tape_meta__count(tape_chunk_reader__source(cr)->meta, NT_REC_LOSS), 3);
		CHECK_EQ(tape_meta__count(tape_chunk_reader__source(cr)->meta, NT_REC_CLOCK), 1);
		/* frame loss counters */
		REQUIRE(tape_chunk_reader__index(cr, &fi, &nfi) == 0);
		for (size_t i = 0; i < nfi; i++)
			lost += fi[i].nlost;
		CHECK_EQ(lost, 21);
		free(fi);
		tape_chunk_reader__free(cr);
	}
	tape_list_free(paths, n);
	tu_rmtree(dir);
	tape_meta__free(m);
	tape_meta__free(NULL);
	CHECK(!strcmp(tape_tcp_state_name(1), "ESTABLISHED"));
	CHECK(!strcmp(tape_tcp_state_name(10), "LISTEN"));
	CHECK(tape_tcp_state_name(0) == NULL && tape_tcp_state_name(99) == NULL);
	CHECK(!strcmp(tape_ca_state_name(4), "Loss"));
	return tu_done("test_meta");
}
