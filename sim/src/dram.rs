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

    /// Read `n` little-endian 16-bit words at byte `addr`.
    pub fn read_i16s(&self, addr: u64, n: usize) -> Result<Vec<i16>, SimError> {
        let mut b = vec![0u8; n * 2];
        self.read(addr, &mut b)?;
        Ok(b.chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect())
    }

    /// Write little-endian 16-bit words at byte `addr`.
    pub fn write_i16s(&mut self, addr: u64, v: &[i16]) -> Result<(), SimError> {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.write(addr, &b)
    }

    /// Read `n` little-endian 32-bit words at byte `addr`.
    pub fn read_i32s(&self, addr: u64, n: usize) -> Result<Vec<i32>, SimError> {
        let mut b = vec![0u8; n * 4];
        self.read(addr, &mut b)?;
        Ok(b.chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Write little-endian 32-bit words at byte `addr`.
    pub fn write_i32s(&mut self, addr: u64, v: &[i32]) -> Result<(), SimError> {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.write(addr, &b)
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
}
