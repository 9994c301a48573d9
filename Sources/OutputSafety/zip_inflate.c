// See include/output_safety.h (rk_inflate): zlib's raw inflate for the zip
// members rnnkit reads, feeding and draining zlib in pieces of at most 1 GiB
// (its counters are 32-bit) and checking the output never exceeds what the
// caller allows.
#include "output_safety.h"

#include <string.h>
#include <zlib.h>

#define RK_PIECE (1u << 30)

static uInt piece(size_t size) { return size > RK_PIECE ? RK_PIECE : (uInt)size; }

int rk_inflate(const void *source, size_t source_size, size_t skip, void *output, size_t output_size,
               int check_end, size_t *produced, unsigned int *crc) {
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return RK_INFLATE_NO_MEMORY;
    const unsigned char *in = source;
    size_t in_left = source_size;
    unsigned char scratch[16384];
    unsigned char *out = output;
    size_t total = 0;       // bytes produced so far, skipped ones included
    uLong check = crc32(0L, Z_NULL, 0);
    int result = RK_INFLATE_CORRUPT;
    for (;;) {
        // Where the next bytes go: the scratch while skipping (or checking
        // for output past the end), else the caller's buffer.
        unsigned char *target;
        size_t room;
        if (total < skip) {
            target = scratch;
            room = skip - total < sizeof scratch ? skip - total : sizeof scratch;
        } else if (total - skip < output_size) {
            target = out + (total - skip);
            room = output_size - (total - skip);
        } else if (check_end) {
            target = scratch;
            room = 1;
        } else {
            result = RK_INFLATE_FULL;
            break;
        }
        if (stream.avail_in == 0 && in_left > 0) {
            stream.next_in = (Bytef *)in;
            stream.avail_in = piece(in_left);
            in += stream.avail_in;
            in_left -= stream.avail_in;
        }
        stream.next_out = target;
        stream.avail_out = piece(room);
        int status = inflate(&stream, Z_NO_FLUSH);
        size_t made = (size_t)(stream.next_out - target);
        check = crc32(check, target, (uInt)made);
        if (total >= skip && total - skip >= output_size && made > 0) {
            result = RK_INFLATE_TOO_LONG;
            total += made;
            break;
        }
        total += made;
        if (status == Z_STREAM_END) {
            result = RK_INFLATE_END;
            break;
        }
        if (status == Z_MEM_ERROR) { result = RK_INFLATE_NO_MEMORY; break; }
        if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_STREAM_ERROR) { result = RK_INFLATE_CORRUPT; break; }
        if (status == Z_BUF_ERROR && made == 0 && stream.avail_in == 0 && in_left == 0) {
            result = RK_INFLATE_TRUNCATED;
            break;
        }
    }
    inflateEnd(&stream);
    *produced = total;
    *crc = (unsigned int)check;
    return result;
}
