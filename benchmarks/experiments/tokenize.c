/* An experiment, not part of the package: the fastest plausible compiled tokenizer for
 * path strings, to measure how far a compiled kernel would take Journeys.from_path_table
 * (benchmarks/bench_parse_stages.py compiles it with the system C compiler, if any).
 *
 * Input: the UTF-8 bytes and int64 row offsets of an Arrow string column (zero-copy).
 * Output: per-token codes into a table of distinct tokens (trimmed of spaces, first
 * occurrence kept as (start, length)), and per-row token offsets. Each token is hashed from
 * its first and last eight bytes and its length into an open-addressing table that, for the
 * tens of channels of real data, stays in L1 cache; a hit is confirmed byte by byte. Releasing the GIL is ctypes' doing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t start;
    int64_t len; /* -1: empty slot */
    uint64_t hash;
    int32_t code;
} slot_t;

/* Returns the number of distinct tokens, -1 if more than max_vocab, -2 if out of memory,
 * -3 if more than max_tokens tokens. */
int64_t tokenize_rows(const uint8_t *data, const int64_t *row_offsets, int64_t n_rows,
                      uint8_t sep, int32_t *codes, int64_t max_tokens, int64_t *token_offsets,
                      int64_t *vocab_start, int64_t *vocab_len, int64_t max_vocab)
{
    int64_t cap = 64;
    while (cap < 4 * max_vocab)
        cap <<= 1;
    slot_t *table = malloc((size_t)cap * sizeof(slot_t));
    if (!table)
        return -2;
    for (int64_t i = 0; i < cap; i++)
        table[i].len = -1;
    int64_t n_vocab = 0, t = 0;
    token_offsets[0] = 0;
    for (int64_t r = 0; r < n_rows; r++) {
        int64_t i = row_offsets[r], end = row_offsets[r + 1];
        for (;;) {
            /* find the separator with a plain byte loop, then trim spaces */
            int64_t q = i;
            while (q < end && data[q] != sep)
                q++;
            int64_t a = i, b = q;
            while (a < b && data[a] == ' ')
                a++;
            while (b > a && data[b - 1] == ' ')
                b--;
            i = q;
            /* hash the first and the last eight bytes and the length; equal hashes are
               confirmed with memcmp, so collisions cost a probe, never a wrong code */
            uint64_t n = (uint64_t)(b - a), w1 = 0, w2 = 0;
            if (n >= 8) {
                memcpy(&w1, data + a, 8);
                memcpy(&w2, data + b - 8, 8);
            } else {
                for (uint64_t k = 0; k < n; k++)
                    w1 |= (uint64_t)data[a + k] << (8 * k);
            }
            uint64_t hb = (w1 * 0x9E3779B97F4A7C15ULL) ^ (w2 * 0xC2B2AE3D27D4EB4FULL) ^ n;
            hb ^= hb >> 31;
            if (t >= max_tokens) {
                free(table);
                return -3;
            }
            int64_t s = (int64_t)((hb ^ (hb >> 29)) & (uint64_t)(cap - 1));
            for (;;) {
                slot_t *e = &table[s];
                if (e->len < 0) {
                    if (n_vocab >= max_vocab) {
                        free(table);
                        return -1;
                    }
                    e->start = a;
                    e->len = b - a;
                    e->hash = hb;
                    e->code = (int32_t)n_vocab;
                    vocab_start[n_vocab] = a;
                    vocab_len[n_vocab] = b - a;
                    codes[t++] = (int32_t)n_vocab++;
                    break;
                }
                if (e->hash == hb && e->len == b - a &&
                    memcmp(data + e->start, data + a, (size_t)(b - a)) == 0) {
                    codes[t++] = e->code;
                    break;
                }
                s = (s + 1) & (cap - 1);
            }
            if (i >= end)
                break;
            i++; /* the separator */
        }
        token_offsets[r + 1] = t;
    }
    free(table);
    return n_vocab;
}
