/* errors.c: names of the format library's error codes (tape_strerror). */
#include <string.h>

#include "tape.h"

const char *tape_strerror(int err)
{
	if (err > 0)
		err = -err;
	switch (-err) {
	case 0: return "success";
	case TAPE_E_MAGIC: return "not a nettape chunk (bad magic)";
	case TAPE_E_VERSION: return "unsupported format major version";
	case TAPE_E_HEADER: return "chunk header malformed or CRC32C mismatch";
	case TAPE_E_TRUNCATED: return "file truncated";
	case TAPE_E_FRAME: return "frame header malformed or CRC32C mismatch";
	case TAPE_E_CRC: return "frame payload CRC32C mismatch";
	case TAPE_E_ZSTD: return "frame payload does not decompress";
	case TAPE_E_RECORD: return "record framing inconsistent";
	case TAPE_E_INDEX: return "footer index missing or damaged";
	case TAPE_E_NOCHUNKS: return "no chunk files in tape directory";
	case TAPE_E_TOOBIG: return "record too large";
	case TAPE_E_MIXED: return "chunks of different recordings in one directory";
	default: break;
	}
	if (-err < TAPE_E_MAGIC)
		return strerror(-err);
	return "unknown error";
}
