/* test_layout.c: CRC32C check value and the record layouts documented in docs/FORMAT.md. */
#include <stddef.h>

#include "tape.h"
#include "tape_int.h"
#include "test_util.h"

int main(void)
{
	uint8_t big[1000];
	uint32_t a, b;

	CHECK_EQ(tape_crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ(tape_crc32c(0, "", 0), 0);
	CHECK_EQ(crc32c_portable(0, "123456789", 9), 0xE3069283u);
	/* incremental == one shot, at every split and alignment */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	a = tape_crc32c(0, big, sizeof(big));
	for (size_t split = 0; split <= 64; split++) {
		b = tape_crc32c(tape_crc32c(0, big, split), big + split, sizeof(big) - split);
		CHECK_EQ(a, b);
	}
	for (size_t off = 1; off < 9; off++) {
		uint32_t x = tape_crc32c(0, big + off, 100);
		uint8_t copy[100];
		memcpy(copy, big + off, 100);
		CHECK_EQ(x, tape_crc32c(0, copy, 100));
		CHECK_EQ(x, crc32c_portable(0, big + off, 100));
		CHECK_EQ(tape_crc32c(x, big, off * 37), crc32c_portable(x, big, off * 37));
	}
	/* offsets quoted in docs/FORMAT.md section 8 */
	CHECK_EQ(offsetof(struct nt_conn, flags), 30);
	CHECK_EQ(offsetof(struct nt_conn, saddr), 32);
	CHECK_EQ(offsetof(struct nt_ev_drop, location), 64);
	CHECK_EQ(offsetof(struct nt_ev_drop, window), 92);
	CHECK_EQ(offsetof(struct nt_ev_drop, sk_state), 95);
	CHECK_EQ(offsetof(struct nt_ev_retrans, state), 88);
	CHECK_EQ(offsetof(struct nt_ev_retrans, pad), 92);
	CHECK_EQ(offsetof(struct nt_ev_cong, snd_cwnd), 68);
	CHECK_EQ(offsetof(struct nt_ev_cong, retrans_out), 84);
	CHECK_EQ(offsetof(struct nt_ev_state, mss), 72);
	CHECK_EQ(offsetof(struct nt_ev_state, rcvbuf), 76);
	CHECK_EQ(offsetof(struct nt_ev_state, bytes_acked), 96);
	CHECK_EQ(offsetof(struct nt_ev_state, opt_sysctl), 120);
	CHECK_EQ(offsetof(struct nt_ev_state, isn_local), 128);
	CHECK_EQ(offsetof(struct nt_ev_state, isn_peer), 132);
	CHECK_EQ(offsetof(struct nt_ev_sample, srtt_us), 68);
	CHECK_EQ(offsetof(struct nt_ev_sample, snd_queue), 100);
	CHECK_EQ(offsetof(struct nt_ev_sample, bytes_acked), 104);
	CHECK_EQ(offsetof(struct nt_ev_sample, busy_ms), 128);
	CHECK_EQ(offsetof(struct nt_ev_sample, sndbuf_limited_ms), 136);
	CHECK_EQ(offsetof(struct nt_ev_reset, reason), 68);
	CHECK_EQ(offsetof(struct nt_ev_stall, bytes), 68);
	CHECK_EQ(offsetof(struct nt_ev_stall, wait_ns), 72);
	CHECK_EQ(offsetof(struct nt_ev_buffer, value), 68);
	CHECK_EQ(offsetof(struct nt_ev_buffer, pad2), 84);
	CHECK_EQ(offsetof(struct nt_ev_listen, overflows), 72);
	CHECK_EQ(offsetof(struct nt_rec_enum_name, value), 4);
	CHECK_EQ(offsetof(struct nt_rec_process, comm), 24);
	CHECK_EQ(offsetof(struct nt_rec_cgroup, container_len), 10);
	CHECK_EQ(sizeof(struct nt_rec_netns), 8);
	CHECK_EQ(sizeof(struct nt_rec_iface), 8);
	CHECK_EQ(sizeof(struct nt_rec_symbol), 8);
	CHECK_EQ(offsetof(struct nt_rec_loss, count), 8);
	CHECK_EQ(offsetof(struct nt_rec_pin, cookie), 8);
	CHECK_EQ(offsetof(struct nt_rec_packet, linktype), 20);
	CHECK_EQ(offsetof(struct nt_rec_packet, dir), 22);
	/* error names */
	CHECK(!strcmp(tape_strerror(-TAPE_E_CRC), "frame payload CRC32C mismatch"));
	CHECK(!strcmp(tape_strerror(-ENOENT), strerror(ENOENT)));
	CHECK(!strcmp(tape_strerror(0), "success"));
	CHECK(!strcmp(tape_strerror(-99999), "unknown error"));
	CHECK(!strcmp(nt_rec_type_name(NT_REC_SAMPLE), "sample"));
	return tu_done("test_layout");
}
