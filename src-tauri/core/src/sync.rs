//! Locks that outlive a panic.
//!
//! A `std::sync::Mutex` is poisoned when a thread panics while holding it, and
//! every later `lock().unwrap()` panics too: one bug in one job would stop the
//! queue, the inbox or the sandbox for good. The data these locks guard (sets of
//! running jobs, counters, meters) stays consistent between statements, so the
//! right answer to poison here is to carry on with the data as it is.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// `lock()` that recovers from poison (see the module documentation).
pub trait Locked<T: ?Sized> {
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T: ?Sized> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_locked_does_not_stop_later_users() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _g = m2.lock().unwrap();
            panic!("a bug in one job");
        })
        .join();
        assert!(m.is_poisoned());
        *m.locked() += 1;
        assert_eq!(*m.locked(), 2);
    }
}
