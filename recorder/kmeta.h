/* kmeta.h: metadata about the recording kernel and host (enum names, symbols, processes, cgroups, netns, interfaces). */
#ifndef NETTAPE_RECORDER_KMETA_H
#define NETTAPE_RECORDER_KMETA_H

/*
 * kmeta fills a struct tape_meta (owned by the caller) so that every chunk's
 * snapshot can be decoded on another machine, and announces the entries it
 * learns while recording: each kmeta__note_* call that discovers something
 * new adds it to the meta (later chunks carry it) and, once a writer is set,
 * appends the same record inline (the current chunk carries it).
 *
 * Invariants: names are never guessed. A cgroup without a readable path is
 * recorded with an empty path, a netns without a name as "ns:<inode>", a
 * process that has exited with its kernel comm and an empty command line.
 */

#include <stdint.h>

#include "tape.h"

struct kmeta;
struct btf;

/* Loads the BTF enum tables (drop reasons, reset reasons, TCP and CA
 * states) into meta; drop locations are named by the symbolizer
 * (kmeta__set_symbolizer) or else from /proc/kallsyms, read once at the
 * first kmeta__note_symbol. vmlinux is the
 * kernel's BTF as the caller parsed it (only read during the call; NULL:
 * kmeta parses its own). Returns NULL and sets errno: ENOENT when the
 * kernel has no BTF. */
struct kmeta *kmeta__new(struct tape_meta *meta, const struct btf *vmlinux);
void kmeta__free(struct kmeta *k);

/* Where kmeta__note_* append their inline records (NULL = meta only). */
void kmeta__set_writer(struct kmeta *k, struct tape_writer *w);

/* Value of the drop reason named name ("TCP_OLD_SEQUENCE", with or without
 * the SKB_DROP_REASON_ prefix, any case). Returns 0 or -ENOENT. */
int kmeta__drop_reason(const struct kmeta *k, const char *name, uint32_t *value);

/* 1 when drop locations can be named (a symbolizer, or kallsyms shows
 * addresses), else 0. */
int kmeta__have_symbols(const struct kmeta *k);

/* Names drop locations from now on with fn (capture__symbolize: the
 * kernel's own "%pS" of one address) instead of reading /proc/kallsyms; an
 * fn that fails (-EOPNOTSUPP, any error) sends kmeta back to kallsyms for
 * the rest of the recording. NULL: kallsyms
 * (checked here: a warning when it shows no addresses). */
void kmeta__set_symbolizer(struct kmeta *k, int (*fn)(void *ctx, uint64_t addr, char *text,
						       size_t len),
			   void *ctx);

/* The symbol of a drop location, once per symbol: an NT_REC_SYMBOL (start
 * address, name) into the meta and the tape. Each distinct addr is looked
 * up once. */
void kmeta__note_symbol(struct kmeta *k, uint64_t addr, uint64_t ts);
void kmeta__note_netns(struct kmeta *k, uint32_t inode, uint64_t ts);
void kmeta__note_cgroup(struct kmeta *k, uint64_t id, uint64_t ts);
/* comm: the kernel's 16-byte comm (may be unterminated). */
void kmeta__note_process(struct kmeta *k, uint32_t pid, const char *comm, uint64_t cgroup,
			 uint64_t ts);
void kmeta__note_iface(struct kmeta *k, uint32_t netns, uint32_t ifindex, const char *name,
		       uint64_t ts);

/* Periodic upkeep (call every few seconds): names netns that were unnamed
 * ("ns:<inode>") when first seen and have a /run/netns name now. */
void kmeta__refresh(struct kmeta *k, uint64_t ts);

/* Reads "%pS" text of address addr ("name+0xoff/0xsize", maybe followed by
 * " [module]"): the symbol's start (addr - off) into *start, its name into
 * name (len bytes, truncated). Returns 0, or -ENOENT for text without a
 * symbol ("0xffff...", empty) or an offset beyond addr. Exposed for tests. */
int kmeta_parse_symbol(const char *text, uint64_t addr, uint64_t *start, char *name, size_t len);

/* Container id of a cgroup path (docker, containerd, cri-o, podman,
 * kubepods), copied into buf; "" when none. Exposed for tests. */
void kmeta_container_id(const char *path, char *buf, size_t len);

#endif /* NETTAPE_RECORDER_KMETA_H */
