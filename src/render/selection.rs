//! The selection on the GPU: one bit per feature of the chunks that hold a
//! selected feature, in a storage buffer that the highlight pass's shaders
//! read with the feature index every vertex carries. Highlighting 300,000
//! parcels is writing a few dozen kilobytes, not reading and tessellating
//! them again; an edit that rebuilds chunks only recomputes the bits.

use std::collections::{BTreeSet, HashSet};

/// The selected fids of a layer, for testing each of its features: a
/// bitset over the selection's fid range when that is dense enough (fids
/// from an autoincrement, as GeoPackages have), else a hash set.
#[derive(Debug, Clone)]
pub enum FidSet {
    Dense { lo: i64, bits: Vec<u64> },
    Sparse(HashSet<i64>),
}

impl FidSet {
    pub fn new(fids: &BTreeSet<i64>) -> Self {
        let (Some(&lo), Some(&hi)) = (fids.first(), fids.last()) else {
            return FidSet::Sparse(HashSet::new());
        };
        // At most 64 bits per selected fid plus 128 KiB.
        let span = hi.abs_diff(lo).saturating_add(1);
        if span > 64 * fids.len() as u64 + (1 << 20) {
            return FidSet::Sparse(fids.iter().copied().collect());
        }
        let mut bits = vec![0u64; span.div_ceil(64) as usize];
        for &f in fids {
            let i = (f - lo) as usize;
            bits[i / 64] |= 1 << (i % 64);
        }
        FidSet::Dense { lo, bits }
    }

    pub fn contains(&self, fid: i64) -> bool {
        match self {
            FidSet::Dense { lo, bits } => {
                let Some(i) = fid.checked_sub(*lo).and_then(|i| usize::try_from(i).ok()) else {
                    return false;
                };
                bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
            }
            FidSet::Sparse(set) => set.contains(&fid),
        }
    }
}

/// Lays out the flags of chunks whose features have the fids given (per
/// chunk, by feature index): a chunk that holds a selected feature gets
/// its first slot (a multiple of 32, so its flags start a word), others
/// none. Slot `s` is bit `s % 32` of word `s / 32`, the feature of index
/// `s - base` in its chunk. Returns the words and each chunk's base.
pub fn flags<'a>(
    chunk_fids: impl IntoIterator<Item = &'a [i64]>,
    selected: &FidSet,
) -> (Vec<u32>, Vec<Option<u32>>) {
    let mut words: Vec<u32> = Vec::new();
    let mut bases = Vec::new();
    for fids in chunk_fids {
        let start = words.len();
        words.resize(start + fids.len().div_ceil(32), 0);
        let mut any = false;
        for (i, &fid) in fids.iter().enumerate() {
            if selected.contains(fid) {
                words[start + i / 32] |= 1 << (i % 32);
                any = true;
            }
        }
        if any {
            bases.push(Some(start as u32 * 32));
        } else {
            bases.push(None);
            words.truncate(start);
        }
    }
    (words, bases)
}

/// A layer's selection as the highlight pass binds it.
pub struct GpuSelection {
    pub bind_group: wgpu::BindGroup,
    /// Bytes of flags.
    pub bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_sets_agree() {
        let dense: BTreeSet<i64> = (10..5000).step_by(3).collect();
        let sparse: BTreeSet<i64> = [-7, 3, 1 << 40, i64::MAX].into();
        for fids in [dense, sparse] {
            let set = FidSet::new(&fids);
            for f in fids
                .iter()
                .flat_map(|f| [f.saturating_sub(1), *f, f.saturating_add(1)])
            {
                assert_eq!(set.contains(f), fids.contains(&f), "fid {f}");
            }
        }
        assert!(matches!(
            FidSet::new(&(1..100).collect()),
            FidSet::Dense { .. }
        ));
        assert!(matches!(
            FidSet::new(&[1, 1 << 40].into()),
            FidSet::Sparse(_)
        ));
        assert!(!FidSet::new(&BTreeSet::new()).contains(0));
    }

    #[test]
    fn only_chunks_with_a_selected_feature_get_flags() {
        let a: Vec<i64> = (1..=40).collect();
        let b: Vec<i64> = (41..=50).collect();
        let c: Vec<i64> = vec![100, 7, 60];
        let set = FidSet::new(&[7, 40, 60].into());
        let (words, bases) = flags([&a[..], &b[..], &c[..]], &set);
        assert_eq!(bases, vec![Some(0), None, Some(64)]);
        // Fid 7 is the 7th feature of a, 40 the 40th; in c, 7 and 60.
        assert_eq!(words, vec![1 << 6, 1 << 7, 0b110]);
    }
}
