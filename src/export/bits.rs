//! Parquet's bit-level encodings, as the pages of an export use them:
//! plain booleans, and the RLE / bit-packing hybrid of definition levels
//! and dictionary indices.

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

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The hybrid decoding, as a reader does it.
    pub fn unpack(mut data: &[u8], width: u8, count: usize) -> Vec<u32> {
        let mut out = Vec::new();
        while out.len() < count {
            let (mut header, mut shift) = (0u64, 0);
            loop {
                let b = data[0];
                data = &data[1..];
                header |= ((b & 0x7f) as u64) << shift;
                shift += 7;
                if b < 0x80 {
                    break;
                }
            }
            if header & 1 == 1 {
                let n = (header >> 1) as usize * 8;
                let bytes = n * width as usize / 8;
                let (mut acc, mut bits, mut at) = (0u64, 0u32, 0);
                for _ in 0..n {
                    while bits < width as u32 {
                        acc |= (data[at] as u64) << bits;
                        at += 1;
                        bits += 8;
                    }
                    out.push((acc & ((1u64 << width) - 1)) as u32);
                    acc >>= width;
                    bits -= width as u32;
                }
                data = &data[bytes..];
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
}
