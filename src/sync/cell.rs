//! `UnsafeCell` with loom's closure API, for the back ends other than loom.

/// `UnsafeCell` with loom's closure API (`with`, `with_mut`).
///
/// Under loom it is `loom::cell::UnsafeCell`, which reports any access not
/// ordered by happens-before against a conflicting one ("causality
/// violation"). Here it is a zero-cost wrapper over `core::cell::UnsafeCell`.
#[derive(Debug, Default)]
pub struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    #[inline(always)]
    pub const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared pointer to the contents.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a unique pointer to the contents.
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
