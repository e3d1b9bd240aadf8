//! The one poison-ignoring lock: a panic in one user (already turned into an exception) must
//! not make every later reader of shared state panic too.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, taking the data even if a panicking thread poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
