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
 * states) into meta and checks that /proc/kallsyms shows addresses (a
 * failure there is a warning: drop locations then stay unnamed); the
 * symbols are read once, at the first kmeta__note_symbol. vmlinux is the
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

/* 1 when drop locations can be named (kallsyms shows addresses), else 0. */
int kmeta__have_symbols(const struct kmeta *k);

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

/* Container id of a cgroup path (docker, containerd, cri-o, podman,
 * kubepods), copied into buf; "" when none. Exposed for tests. */
void kmeta_container_id(const char *path, char *buf, size_t len);

#endif /* NETTAPE_RECORDER_KMETA_H */
