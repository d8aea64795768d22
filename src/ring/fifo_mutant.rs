//! The ring's behaviour mutant `ring.release.fifo`: the seed's protocol, in
//! which a drop advances a shared read cursor by its own length (it assumes
//! slices are dropped in allocation order). The negative models switch it on
//! and assert the checker catches it: the producer hands out vectors of a
//! slice that is still live.
//!
//! Model builds only. Under std the cursor is a zero-sized type and every
//! hook is an empty inline function that reports "not taken", so the std
//! build has neither the shared cursor nor a branch on the mutant.

use super::ProducerState;

/// The behaviour mutant's name.
#[cfg(any(loom, shuttle))]
pub const FIFO_RELEASE: &str = "ring.release.fifo";

/// The shared read cursor of the seed's protocol (empty under std).
#[derive(Default)]
pub(crate) struct FifoCursor {
    #[cfg(any(loom, shuttle))]
    read: crate::sync::AtomicU64,
}

#[cfg(any(loom, shuttle))]
#[inline(always)]
fn active() -> bool {
    crate::sync::mutation::is_active(FIFO_RELEASE)
}

impl FifoCursor {
    /// Under the mutant, reclaims by moving the read cursor up to the shared
    /// cursor (never rewinding) and returns `true`; otherwise does nothing
    /// and returns `false`.
    #[inline(always)]
    pub(super) fn reclaim(&self, st: &mut ProducerState, capacity: usize) -> bool {
        #[cfg(any(loom, shuttle))]
        if active() {
            // An RMW, so the mutant always sees the newest cursor: the bug it
            // shows is the FIFO assumption itself, not a stale read.
            let to = self
                .read
                .fetch_add(0, crate::sync::Ordering::SeqCst)
                .min(st.write_pos);
            let by = to.saturating_sub(st.read_pos) as usize;
            st.read_pos += by as u64;
            st.read_idx = super::advance(st.read_idx, by % capacity, capacity);
            return true;
        }
        let _ = (st, capacity);
        false
    }

    /// Under the mutant, a pad of `pad` vectors advances the shared cursor.
    #[inline(always)]
    pub(super) fn on_pad(&self, pad: usize) {
        #[cfg(any(loom, shuttle))]
        if active() {
            self.read
                .fetch_add(pad as u64, crate::sync::Ordering::SeqCst);
        }
        let _ = pad;
    }

    /// Under the mutant, a drop of a `len`-vector slice advances the shared
    /// cursor instead of storing RELEASED, and this returns `true`;
    /// otherwise it returns `false`.
    #[inline(always)]
    pub(crate) fn release(&self, len: usize) -> bool {
        #[cfg(any(loom, shuttle))]
        if active() {
            self.read
                .fetch_add(len as u64, crate::sync::Ordering::SeqCst);
            return true;
        }
        let _ = len;
        false
    }
}
