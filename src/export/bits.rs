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
fn rle_run(value: u8, len: u64, out: &mut Vec<u8>) {
    varint(len << 1, out);
    out.push(value);
}

/// Definition levels of one bit (1 for a value, 0 for a null) of
/// `values`, in the RLE / bit-packing hybrid: each stretch of 504 rows
/// (63 groups of eight, the longest bit-packed run with a one-byte
/// header) is packed, and stretches all alike become one run with those
/// next to them that are alike too. No branch per row: a column that
/// changes between null and not from row to row (a channel, only on
/// hits of visits) cost more in mispredicted branches, cut into runs,
/// than in its bytes.
pub fn definition_levels<T: Copy>(values: &[T], present: impl Fn(T) -> bool, out: &mut Vec<u8>) {
    const STRETCH: usize = 63 * 8;
    let mut run: Option<(bool, u64)> = None;
    let mut packed = [0u8; STRETCH / 8];
    for stretch in values.chunks(STRETCH) {
        let bytes = stretch.len().div_ceil(8);
        let mut ones = 0;
        for (byte, eight) in packed.iter_mut().zip(stretch.chunks(8)) {
            *byte = eight
                .iter()
                .enumerate()
                .fold(0u8, |b, (i, &v)| b | (present(v) as u8) << i);
            ones += byte.count_ones() as usize;
        }
        let alike = match ones {
            0 => Some(false),
            n if n == stretch.len() => Some(true),
            _ => None,
        };
        let len = stretch.len() as u64;
        match (alike, &mut run) {
            (Some(value), Some((current, n))) if value == *current => *n += len,
            (Some(value), _) => {
                if let Some((current, n)) = run.replace((value, len)) {
                    rle_run(current as u8, n, out);
                }
            }
            (None, _) => {
                if let Some((current, n)) = run.take() {
                    rle_run(current as u8, n, out);
                }
                varint((bytes as u64) << 1 | 1, out);
                out.extend_from_slice(&packed[..bytes]);
            }
        }
    }
    if let Some((current, n)) = run {
        rle_run(current as u8, n, out);
    }
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
        // All eight fit in 128 bits. The 16 bytes are copied whole, then
        // cut to `w`: a copy of a length known only at run time was a call
        // to memcpy for every eight values.
        let acc = eight
            .iter()
            .enumerate()
            .fold(0u128, |acc, (i, &v)| acc | (v as u128) << (i as u32 * w));
        let len = out.len();
        out.extend_from_slice(&acc.to_le_bytes());
        out.truncate(len + w as usize);
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
            let mut values = [0u64; DELTA_MINIBLOCK];
            for (v, &d) in values.iter_mut().zip(mini) {
                *v = d.wrapping_sub(min) as u64;
            }
            pack_miniblock(&values, width, out);
        }
    }
}

/// 32 values of `width` bits (at most 64): `4 * width` bytes, the first
/// value in the lowest bits, eight bytes written at a time.
#[inline]
fn pack_miniblock(values: &[u64; DELTA_MINIBLOCK], width: u8, out: &mut Vec<u8>) {
    let w = width as u32;
    if w == 0 {
        // Every value the block's smallest difference (line numbers).
        return;
    }
    let mut bytes = [0u8; DELTA_MINIBLOCK * 8];
    let (mut acc, mut bits, mut at) = (0u128, 0u32, 0usize);
    for &v in values {
        acc |= (v as u128) << bits;
        bits += w;
        if bits >= 64 {
            bytes[at..at + 8].copy_from_slice(&(acc as u64).to_le_bytes());
            at += 8;
            acc >>= 64;
            bits -= 64;
        }
    }
    // 32 * w bits is a whole number of bytes; what is left is under 8.
    let rest = (bits / 8) as usize;
    bytes[at..at + rest].copy_from_slice(&(acc as u64).to_le_bytes()[..rest]);
    out.extend_from_slice(&bytes[..at + rest]);
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
    #[test]
    fn definition_levels_read_back_and_alike_stretches_are_runs() {
        let patterns: Vec<Vec<bool>> = vec![
            vec![],
            vec![true; 5],
            vec![false; 2000],
            (0..2000).map(|i| i % 3 != 0).collect(),
            // Alike stretches around a mixed one, and a short end.
            (0..3 * 504 + 11).map(|i| i < 1008 || i == 1300).collect(),
        ];
        for present in patterns {
            let mut out = Vec::new();
            definition_levels(&present, |p| p, &mut out);
            let decoded: Vec<bool> = unpack(&out, 1, present.len())
                .into_iter()
                .map(|v| v == 1)
                .collect();
            assert_eq!(decoded, present);
        }
        // 2,000 nulls: one run (a header of two bytes and the value).
        let mut out = Vec::new();
        definition_levels(&[false; 2000], |p| p, &mut out);
        assert_eq!(out, [0xa0, 0x1f, 0]);
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
