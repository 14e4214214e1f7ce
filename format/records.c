/* records.c: names and minimum sizes of the tape record types. */
#include "records.h"

const char *nt_rec_type_name(uint16_t type)
{
	switch (type) {
	case NT_REC_CLOCK: return "clock";
	case NT_REC_ENUM_NAME: return "enum_name";
	case NT_REC_SYMBOL: return "symbol";
	case NT_REC_PROCESS: return "process";
	case NT_REC_CGROUP: return "cgroup";
	case NT_REC_NETNS: return "netns";
	case NT_REC_IFACE: return "iface";
	case NT_REC_SOCKET: return "socket";
	case NT_REC_LOSS: return "loss";
	case NT_REC_PIN: return "pin";
	case NT_REC_CONFIG: return "config";
	case NT_REC_DROP: return "drop";
	case NT_REC_RETRANS: return "retrans";
	case NT_REC_CONG: return "cong";
	case NT_REC_STATE: return "state";
	case NT_REC_SAMPLE: return "sample";
	case NT_REC_RESET: return "reset";
	case NT_REC_STALL: return "stall";
	case NT_REC_BUFFER: return "buffer";
	case NT_REC_LISTEN: return "listen";
	case NT_REC_PACKET: return "packet";
	default: return "unknown";
	}
}

uint32_t nt_rec_min_size(uint16_t type)
{
	switch (type) {
	case NT_REC_CLOCK: return sizeof(struct nt_rec_clock);
	case NT_REC_ENUM_NAME: return sizeof(struct nt_rec_enum_name);
	case NT_REC_SYMBOL: return sizeof(struct nt_rec_symbol);
	case NT_REC_PROCESS: return sizeof(struct nt_rec_process);
	case NT_REC_CGROUP: return sizeof(struct nt_rec_cgroup);
	case NT_REC_NETNS: return sizeof(struct nt_rec_netns);
	case NT_REC_IFACE: return sizeof(struct nt_rec_iface);
	case NT_REC_SOCKET: return sizeof(struct nt_ev_state);
	case NT_REC_LOSS: return sizeof(struct nt_rec_loss);
	case NT_REC_PIN: return sizeof(struct nt_rec_pin);
	case NT_REC_CONFIG: return 1;
	case NT_REC_DROP: return sizeof(struct nt_ev_drop);
	case NT_REC_RETRANS: return sizeof(struct nt_ev_retrans);
	case NT_REC_CONG: return sizeof(struct nt_ev_cong);
	case NT_REC_STATE: return sizeof(struct nt_ev_state);
	case NT_REC_SAMPLE: return sizeof(struct nt_ev_sample);
	case NT_REC_RESET: return sizeof(struct nt_ev_reset);
	case NT_REC_STALL: return sizeof(struct nt_ev_stall);
	case NT_REC_BUFFER: return sizeof(struct nt_ev_buffer);
	case NT_REC_LISTEN: return sizeof(struct nt_ev_listen);
	case NT_REC_PACKET: return sizeof(struct nt_rec_packet);
	default: return 0;
	}
}
