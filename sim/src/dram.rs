//! Sparse byte-addressed external memory.

use crate::error::SimError;
use std::collections::BTreeMap;
use std::ops::Range;

/// Bytes per allocated page.
pub const PAGE_BYTES: u64 = 64 * 1024;

/// The byte range `addr..addr + len` cut at page boundaries: per piece,
/// its page, its offset in the page and its range within `0..len`.
fn pieces(addr: u64, len: usize) -> impl Iterator<Item = (u64, usize, Range<usize>)> {
    let mut done = 0usize;
    std::iter::from_fn(move || {
        if done >= len {
            return None;
        }
        let a = addr + done as u64;
        let (page, off) = (a / PAGE_BYTES, (a % PAGE_BYTES) as usize);
        let n = (PAGE_BYTES as usize - off).min(len - done);
        let r = done..done + n;
        done += n;
        Some((page, off, r))
    })
}

/// The external DRAM: pages of [`PAGE_BYTES`] allocated on first write;
/// untouched memory reads as 0. Addresses are byte addresses below
/// [`Dram::size`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dram {
    size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl Dram {
    /// An all-zero DRAM of `size_bytes` bytes.
    pub fn new(size_bytes: u64) -> Self {
        Dram {
            size: size_bytes,
            pages: BTreeMap::new(),
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// One past the last non-zero byte, bytes (0 for an all-zero DRAM).
    pub fn data_end(&self) -> u64 {
        self.pages
            .iter()
            .rev()
            .find_map(|(p, d)| {
                d.iter()
                    .rposition(|b| *b != 0)
                    .map(|i| p * PAGE_BYTES + i as u64 + 1)
            })
            .unwrap_or(0)
    }

    fn check(&self, addr: u64, len: usize) -> Result<(), SimError> {
        let end = addr.checked_add(len as u64);
        match end {
            Some(e) if e <= self.size => Ok(()),
            _ => Err(SimError::Dram {
                addr,
                len: len as u64,
                size: self.size,
            }),
        }
    }

    /// Zero `len` bytes from byte `addr`, freeing pages that become all zero.
    pub fn zero(&mut self, addr: u64, len: usize) -> Result<(), SimError> {
        self.check(addr, len)?;
        for (page, off, r) in pieces(addr, len) {
            if let Some(p) = self.pages.get_mut(&page) {
                p[off..off + r.len()].fill(0);
                if p.iter().all(|b| *b == 0) {
                    self.pages.remove(&page);
                }
            }
        }
        Ok(())
    }

    /// Read `buf.len()` bytes starting at byte `addr`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), SimError> {
        self.check(addr, buf.len())?;
        for (page, off, r) in pieces(addr, buf.len()) {
            let n = r.len();
            match self.pages.get(&page) {
                Some(p) => buf[r].copy_from_slice(&p[off..off + n]),
                None => buf[r].fill(0),
            }
        }
        Ok(())
    }

    /// Write `data` starting at byte `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), SimError> {
        self.check(addr, data.len())?;
        for (page, off, r) in pieces(addr, data.len()) {
            let n = r.len();
            let p = self
                .pages
                .entry(page)
                .or_insert_with(|| vec![0u8; PAGE_BYTES as usize].into_boxed_slice());
            p[off..off + n].copy_from_slice(&data[r]);
        }
        Ok(())
    }

    /// Read `n` little-endian words of `W` bytes at byte `addr`, handing
    /// word `i` to `f(i, bytes)`. No allocation when the range lies in one
    /// page (every row the DMAs transfer, unless it crosses a page boundary).
    #[inline]
    fn read_words<const W: usize>(
        &self,
        addr: u64,
        n: usize,
        mut f: impl FnMut(usize, [u8; W]),
    ) -> Result<(), SimError> {
        let len = n * W;
        self.check(addr, len)?;
        let (page, off) = (addr / PAGE_BYTES, (addr % PAGE_BYTES) as usize);
        if off + len <= PAGE_BYTES as usize {
            match self.pages.get(&page) {
                Some(p) => {
                    for (i, c) in p[off..off + len].chunks_exact(W).enumerate() {
                        f(i, c.try_into().expect("W bytes"));
                    }
                }
                None => (0..n).for_each(|i| f(i, [0; W])),
            }
        } else {
            let mut b = vec![0u8; len];
            self.read(addr, &mut b)?;
            for (i, c) in b.chunks_exact(W).enumerate() {
                f(i, c.try_into().expect("W bytes"));
            }
        }
        Ok(())
    }

    /// Write `n` little-endian words of `W` bytes at byte `addr`, word `i`
    /// being `f(i)`. Allocates the same pages as [`Dram::write`]; no other
    /// allocation when the range lies in one page.
    #[inline]
    fn write_words<const W: usize>(
        &mut self,
        addr: u64,
        n: usize,
        mut f: impl FnMut(usize) -> [u8; W],
    ) -> Result<(), SimError> {
        let len = n * W;
        self.check(addr, len)?;
        if len == 0 {
            return Ok(());
        }
        let (page, off) = (addr / PAGE_BYTES, (addr % PAGE_BYTES) as usize);
        if off + len <= PAGE_BYTES as usize {
            let p = self
                .pages
                .entry(page)
                .or_insert_with(|| vec![0u8; PAGE_BYTES as usize].into_boxed_slice());
            for (i, c) in p[off..off + len].chunks_exact_mut(W).enumerate() {
                c.copy_from_slice(&f(i));
            }
            Ok(())
        } else {
            let b: Vec<u8> = (0..n).flat_map(f).collect();
            self.write(addr, &b)
        }
    }

    /// Read `n` little-endian 16-bit words at byte `addr`.
    pub fn read_i16s(&self, addr: u64, n: usize) -> Result<Vec<i16>, SimError> {
        let mut v = vec![0i16; n];
        self.read_i16s_into(addr, &mut v)?;
        Ok(v)
    }

    /// Read `dst.len()` little-endian 16-bit words at byte `addr` into `dst`.
    #[inline]
    pub fn read_i16s_into(&self, addr: u64, dst: &mut [i16]) -> Result<(), SimError> {
        if let Some(src) = self.in_one_page(addr, 2 * dst.len()) {
            // the DMAs' rows: one zip the compiler turns into a block copy
            for (d, c) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *d = i16::from_le_bytes([c[0], c[1]]);
            }
            return Ok(());
        }
        self.read_words(addr, dst.len(), |i, b| dst[i] = i16::from_le_bytes(b))
    }

    /// The bytes `addr..addr + len` if they lie in one allocated page.
    #[inline]
    fn in_one_page(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let (page, off) = (addr / PAGE_BYTES, (addr % PAGE_BYTES) as usize);
        if off + len > PAGE_BYTES as usize || addr.checked_add(len as u64)? > self.size {
            return None;
        }
        self.pages.get(&page).map(|p| &p[off..off + len])
    }

    /// Read `n` little-endian 16-bit words at byte `addr`, handing word `i`
    /// to `f(i, word)`.
    #[inline]
    pub fn read_i16s_with(
        &self,
        addr: u64,
        n: usize,
        mut f: impl FnMut(usize, i16),
    ) -> Result<(), SimError> {
        self.read_words(addr, n, |i, b| f(i, i16::from_le_bytes(b)))
    }

    /// Write little-endian 16-bit words at byte `addr`.
    #[inline]
    pub fn write_i16s(&mut self, addr: u64, v: &[i16]) -> Result<(), SimError> {
        self.write_i16s_with(addr, v.len(), |i| v[i])
    }

    /// Write `n` little-endian 16-bit words at byte `addr`, word `i` being `f(i)`.
    #[inline]
    pub fn write_i16s_with(
        &mut self,
        addr: u64,
        n: usize,
        mut f: impl FnMut(usize) -> i16,
    ) -> Result<(), SimError> {
        self.write_words(addr, n, |i| f(i).to_le_bytes())
    }

    /// Read `n` little-endian 32-bit words at byte `addr`.
    pub fn read_i32s(&self, addr: u64, n: usize) -> Result<Vec<i32>, SimError> {
        let mut v = vec![0i32; n];
        self.read_i32s_into(addr, &mut v)?;
        Ok(v)
    }

    /// Read `dst.len()` little-endian 32-bit words at byte `addr` into `dst`.
    #[inline]
    pub fn read_i32s_into(&self, addr: u64, dst: &mut [i32]) -> Result<(), SimError> {
        if let Some(src) = self.in_one_page(addr, 4 * dst.len()) {
            for (d, c) in dst.iter_mut().zip(src.chunks_exact(4)) {
                *d = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
            return Ok(());
        }
        self.read_words(addr, dst.len(), |i, b| dst[i] = i32::from_le_bytes(b))
    }

    /// Write little-endian 32-bit words at byte `addr`.
    #[inline]
    pub fn write_i32s(&mut self, addr: u64, v: &[i32]) -> Result<(), SimError> {
        self.write_words(addr, v.len(), |i| v[i].to_le_bytes())
    }

    /// The lowest byte address at which the two memories differ (an
    /// unallocated page equals zeros), or `None` if they are equal. Memories
    /// of different sizes differ at the smaller size if nothing differs below.
    pub fn first_difference(&self, other: &Dram) -> Option<u64> {
        let zero = vec![0u8; PAGE_BYTES as usize];
        let mut keys: Vec<u64> = self
            .pages
            .keys()
            .chain(other.pages.keys())
            .copied()
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            let a = self.pages.get(&k).map(|p| &p[..]).unwrap_or(&zero);
            let b = other.pages.get(&k).map(|p| &p[..]).unwrap_or(&zero);
            if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
                return Some(k * PAGE_BYTES + i as u64);
            }
        }
        if self.size != other.size {
            return Some(self.size.min(other.size));
        }
        None
    }

    /// Allocated pages as (base byte address, [`PAGE_BYTES`] bytes), ascending;
    /// memory outside them is zero.
    pub fn pages(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.pages.iter().map(|(k, p)| (k * PAGE_BYTES, &p[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_roundtrip_across_pages_and_bounds() {
        let mut d = Dram::new(1 << 32);
        assert_eq!(d.read_i16s(0x1234_0000, 3).unwrap(), vec![0, 0, 0]);
        d.write_i32s(PAGE_BYTES - 6, &[1, -2, 3]).unwrap();
        assert_eq!(d.read_i32s(PAGE_BYTES - 6, 3).unwrap(), vec![1, -2, 3]);
        assert_eq!(d.pages().count(), 2);
        assert!(d.write(u32::MAX as u64, &[1, 2]).is_err());
        let e = Dram::new(1 << 32);
        assert_eq!(d.first_difference(&e), Some(PAGE_BYTES - 6));
        assert_eq!(d.first_difference(&d.clone()), None);
    }

    /// The word paths (one page, and across a page boundary at an even and
    /// an odd address) equal the byte path, and allocate the same pages.
    #[test]
    fn word_paths_equal_byte_path() {
        for base in [
            0u64,
            100,
            PAGE_BYTES - 8,
            PAGE_BYTES - 7,
            3 * PAGE_BYTES - 2,
        ] {
            let v16: Vec<i16> = (0..9).map(|i| (i * 7919 - 30000) as i16).collect();
            let v32: Vec<i32> = (0..5).map(|i| i * -123_456_789 + 17).collect();
            let mut a = Dram::new(1 << 24);
            let mut b = Dram::new(1 << 24);
            a.write_i16s(base, &v16).unwrap();
            let bytes: Vec<u8> = v16.iter().flat_map(|x| x.to_le_bytes()).collect();
            b.write(base, &bytes).unwrap();
            assert_eq!(a, b, "i16 write at {base}");
            assert_eq!(a.read_i16s(base, 9).unwrap(), v16);
            let mut w = vec![0i16; 9];
            a.read_i16s_with(base, 9, |i, x| w[i] = x).unwrap();
            assert_eq!(w, v16);
            let mut w = vec![0i16; 9];
            a.read_i16s_into(base, &mut w).unwrap();
            assert_eq!(w, v16);
            let at = base + 4 * PAGE_BYTES;
            a.write_i32s(at, &v32).unwrap();
            let bytes: Vec<u8> = v32.iter().flat_map(|x| x.to_le_bytes()).collect();
            b.write(at, &bytes).unwrap();
            assert_eq!(a, b, "i32 write at {at}");
            let mut r = vec![0i32; 5];
            a.read_i32s_into(at, &mut r).unwrap();
            assert_eq!(r, v32);
            // unallocated memory reads as zero and is not allocated
            let mut z = vec![1i16; 4];
            a.read_i16s_into(base + 9 * PAGE_BYTES, &mut z).unwrap();
            assert_eq!(z, vec![0; 4]);
            assert_eq!(a.pages().count(), b.pages().count());
            // empty writes allocate nothing; out-of-range fails
            let n = a.pages().count();
            a.write_i16s(10 * PAGE_BYTES, &[]).unwrap();
            assert_eq!(a.pages().count(), n);
            assert!(a.write_i16s((1 << 24) - 2, &[1, 2]).is_err());
            assert!(a.read_i32s_into((1 << 24) - 2, &mut r).is_err());
        }
    }
}
