//! Parquet's bit-level encodings, as the pages of an export use them:
//! plain booleans, the RLE / bit-packing hybrid of definition levels and
//! dictionary indices, and DELTA_BINARY_PACKED for 64-bit integers.

/// Booleans, plain: one bit each, the first in the lowest bit.
pub fn pack_bools(values: &[bool], out: &mut Vec<u8>) {
    for eight in values.chunks(8) {
        out.push(
            eight
                .iter()
                .enumerate()
                .fold(0u8, |byte, (i, &b)| byte | (b as u8) << i),
        );
    }
}

/// Bits needed for numbers up to `max`; at least 1.
pub fn bit_width(max: u32) -> u8 {
    (32 - max.leading_zeros()).max(1) as u8
}

/// ULEB128, as the RLE / bit-packing hybrid writes run headers.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A run of `len` equal values of one byte (bit width up to 8).
pub fn rle_run(value: u8, len: u64, out: &mut Vec<u8>) {
    varint(len << 1, out);
    out.push(value);
}

/// Values bit-packed `width` bits each, in runs of at most 63 groups of
/// eight (a one-byte header, which every reader takes); the last group is
/// padded with zeros, which readers ignore past the page's value count.
pub fn bit_pack(values: &[u32], width: u8, out: &mut Vec<u8>) {
    const RUN: usize = 63 * 8;
    out.reserve(values.len().div_ceil(8) * width as usize + values.len() / RUN + 1);
    for run in values.chunks(RUN) {
        let groups = run.len().div_ceil(8);
        varint((groups as u64) << 1 | 1, out);
        let whole = run.chunks_exact(8);
        let rest = whole.remainder();
        for eight in whole {
            if let Ok(eight) = eight.try_into() {
                pack_eight(eight, width, out);
            }
        }
        if !rest.is_empty() {
            let mut last = [0u32; 8];
            last[..rest.len()].copy_from_slice(rest);
            pack_eight(&last, width, out);
        }
    }
}

/// Eight values of `width` bits: `width` bytes, the first value in the
/// lowest bits.
#[inline]
fn pack_eight(eight: &[u32; 8], width: u8, out: &mut Vec<u8>) {
    let w = width as u32;
    if w <= 16 {
        // All eight fit in 128 bits.
        let acc = eight
            .iter()
            .enumerate()
            .fold(0u128, |acc, (i, &v)| acc | (v as u128) << (i as u32 * w));
        out.extend_from_slice(&acc.to_le_bytes()[..w as usize]);
    } else {
        // Two halves of four values, 4 * w bits each (at most 128).
        let half = |four: &[u32]| {
            four.iter()
                .enumerate()
                .fold(0u128, |acc, (i, &v)| acc | (v as u128) << (i as u32 * w))
        };
        let (lo, hi) = (half(&eight[..4]), half(&eight[4..]));
        let bits = 4 * w;
        // lo holds `bits` bits; hi goes on after them, from byte
        // `bits / 8`, shifted by the rest (4 * w + (4 * w) % 8 <= 128: hi
        // never loses a bit to the shift).
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(&lo.to_le_bytes());
        let at = (bits / 8) as usize;
        let hi_bytes = (hi << (bits % 8)).to_le_bytes();
        for (b, h) in bytes[at..].iter_mut().zip(hi_bytes) {
            *b |= h;
        }
        out.extend_from_slice(&bytes[..w as usize]);
    }
}

/// Values per block and miniblocks per block of [`delta_binary_packed`].
const DELTA_BLOCK: usize = 128;
const DELTA_MINIBLOCKS: usize = 4;
const DELTA_MINIBLOCK: usize = DELTA_BLOCK / DELTA_MINIBLOCKS;

/// 64-bit integers as DELTA_BINARY_PACKED: the first value, then each
/// value's difference from the one before, by blocks of 128, less the
/// block's smallest difference, bit-packed by miniblocks of 32 as narrow
/// as the miniblock's largest needs. A line number (always one more) takes
/// no bits, a time of the log (seconds apart, in microseconds) about 20,
/// where plain takes 64 and left zstd four times the bytes to work through.
pub fn delta_binary_packed(values: &[i64], out: &mut Vec<u8>) {
    varint(DELTA_BLOCK as u64, out);
    varint(DELTA_MINIBLOCKS as u64, out);
    varint(values.len() as u64, out);
    let Some((&first, rest)) = values.split_first() else {
        varint(0, out);
        return;
    };
    varint(zigzag(first), out);
    let mut previous = first;
    let mut deltas = [0i64; DELTA_BLOCK];
    for block in rest.chunks(DELTA_BLOCK) {
        let mut min = i64::MAX;
        for (d, &v) in deltas.iter_mut().zip(block) {
            *d = v.wrapping_sub(previous);
            previous = v;
            min = min.min(*d);
        }
        varint(zigzag(min), out);
        let deltas = &deltas[..block.len()];
        let mut widths = [0u8; DELTA_MINIBLOCKS];
        for (width, mini) in widths.iter_mut().zip(deltas.chunks(DELTA_MINIBLOCK)) {
            let max = mini
                .iter()
                .map(|&d| d.wrapping_sub(min) as u64)
                .max()
                .unwrap_or(0);
            *width = (64 - max.leading_zeros()) as u8;
        }
        // Miniblocks past the last value keep a width of 0 and no bytes.
        out.extend_from_slice(&widths);
        for (&width, mini) in widths.iter().zip(deltas.chunks(DELTA_MINIBLOCK)) {
            // A short last miniblock is padded with zeros to 32 values.
            let (mut acc, mut bits) = (0u128, 0u32);
            for i in 0..DELTA_MINIBLOCK {
                let v = mini.get(i).map_or(0, |&d| d.wrapping_sub(min) as u64);
                acc |= (v as u128) << bits;
                bits += width as u32;
                while bits >= 8 {
                    out.push(acc as u8);
                    acc >>= 8;
                    bits -= 8;
                }
            }
        }
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A ULEB128 number, and `data` moved past it.
    fn read_varint(data: &mut &[u8]) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = data[0];
            *data = &data[1..];
            v |= ((b & 0x7f) as u64) << shift;
            shift += 7;
            if b < 0x80 {
                return v;
            }
        }
    }

    /// `n` values of `width` bits packed from the least significant bit.
    fn unpack_bits(data: &[u8], width: u8, n: usize) -> Vec<u64> {
        let (mut acc, mut bits, mut at) = (0u128, 0u32, 0);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            while bits < width as u32 {
                acc |= (data[at] as u128) << bits;
                at += 1;
                bits += 8;
            }
            out.push((acc & ((1u128 << width) - 1)) as u64);
            acc >>= width;
            bits -= width as u32;
        }
        out
    }

    /// The hybrid decoding, as a reader does it.
    pub fn unpack(mut data: &[u8], width: u8, count: usize) -> Vec<u32> {
        let mut out = Vec::new();
        while out.len() < count {
            let header = read_varint(&mut data);
            if header & 1 == 1 {
                let n = (header >> 1) as usize * 8;
                out.extend(unpack_bits(data, width, n).into_iter().map(|v| v as u32));
                data = &data[n * width as usize / 8..];
            } else {
                let n = (header >> 1) as usize;
                let value = data[0] as u32;
                data = &data[width.div_ceil(8) as usize..];
                out.extend(std::iter::repeat_n(value, n));
            }
        }
        out.truncate(count);
        out
    }

    #[test]
    fn bit_packing_round_trips() {
        for width in [1u8, 3, 8, 13, 17, 32] {
            let max = if width == 32 {
                u32::MAX
            } else {
                (1 << width) - 1
            };
            for n in [1usize, 7, 8, 9, 503, 504, 505, 2000] {
                let values: Vec<u32> = (0..n as u32)
                    .map(|i| i.wrapping_mul(2_654_435_761) & max)
                    .collect();
                let mut out = Vec::new();
                bit_pack(&values, width, &mut out);
                assert_eq!(unpack(&out, width, n), values, "width {width}, {n} values");
            }
        }
        assert_eq!(
            (bit_width(0), bit_width(1), bit_width(2), bit_width(255)),
            (1, 1, 2, 8)
        );
    }
    /// DELTA_BINARY_PACKED decoding, as a reader does it.
    fn undelta(mut data: &[u8]) -> Vec<i64> {
        let unzigzag = |v: u64| (v >> 1) as i64 ^ -((v & 1) as i64);
        let (block, minis) = (read_varint(&mut data), read_varint(&mut data));
        let count = read_varint(&mut data) as usize;
        let first = unzigzag(read_varint(&mut data));
        let mut out = Vec::new();
        if count == 0 {
            return out;
        }
        out.push(first);
        let per_mini = (block / minis) as usize;
        while out.len() < count {
            let min = unzigzag(read_varint(&mut data));
            let widths: Vec<u8> = data[..minis as usize].to_vec();
            data = &data[minis as usize..];
            for &w in &widths {
                if out.len() >= count {
                    break;
                }
                for v in unpack_bits(data, w, per_mini) {
                    if out.len() < count {
                        let last = *out.last().unwrap();
                        out.push(last.wrapping_add(min.wrapping_add(v as i64)));
                    }
                }
                data = &data[w as usize * per_mini / 8..];
            }
        }
        out
    }

    #[test]
    fn delta_binary_packing_round_trips() {
        let t0 = 1_714_550_400_000_000i64;
        let cases: Vec<Vec<i64>> = vec![
            vec![],
            vec![42],
            (1..=1000).collect(),
            // Times seconds apart, in microseconds, one going back.
            (0..300)
                .map(|i| t0 + (i / 3) * 1_000_000 - (i == 150) as i64 * 7_000_000)
                .collect(),
            (0..257)
                .map(|i: i64| i.wrapping_mul(2_654_435_761) % 100_000)
                .collect(),
            vec![i64::MIN, i64::MAX, 0, -1, i64::MAX, i64::MIN],
            (0..129).map(|i| if i % 2 == 0 { 5 } else { -5 }).collect(),
        ];
        for values in cases {
            let mut out = Vec::new();
            delta_binary_packed(&values, &mut out);
            assert_eq!(undelta(&out), values);
        }
        // Consecutive line numbers take no bits: a header, then per block
        // one byte of minimum and four of widths.
        let mut out = Vec::new();
        let lines: Vec<i64> = (1..=129).collect();
        delta_binary_packed(&lines, &mut out);
        assert_eq!(out.len(), 2 + 1 + 2 + 1 + 5);
    }
}
