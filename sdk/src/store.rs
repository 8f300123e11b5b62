//! The department's private durable key-value store: get, set, insert-new
//! (the building block for reservations and idempotent issuing: it says
//! what holds a key it did not set, [`Inserted`]), delete.
//!
//! A [`StoreError`] converts into a [`StepError`] with `?` (`unavailable`
//! is transient, `too-large` permanent). Natively the store is a
//! thread-local map that [`crate::testkit`] can seed, inspect and make fail.

pub use crate::bindings::onething::matter::store::Inserted;
use crate::{StepError, StoreError};

impl Inserted {
    /// Whether the key was absent and now holds the value.
    pub fn is_set(&self) -> bool {
        matches!(self, Inserted::Set)
    }

    /// What already held the key, if it was held.
    pub fn held(&self) -> Option<&[u8]> {
        match self {
            Inserted::Held(value) => Some(value),
            Inserted::Set => None,
        }
    }

    /// What already held the key, as UTF-8 text (invalid UTF-8 replaced).
    pub fn held_text(&self) -> Option<String> {
        self.held()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The value under `key`, if any.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::store::get(key);
    #[cfg(not(target_arch = "wasm32"))]
    return native(|s| Ok(s.store.get(key).cloned()));
}

/// The value under `key` as UTF-8 text, if any (invalid UTF-8 is replaced).
pub fn get_text(key: &str) -> Result<Option<String>, StoreError> {
    Ok(get(key)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Set `key` to `value`, replacing what was there.
pub fn set(key: &str, value: &[u8]) -> Result<(), StoreError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::store::set(key, value);
    #[cfg(not(target_arch = "wasm32"))]
    return native(|s| {
        s.store.insert(key.to_owned(), value.to_vec());
        Ok(())
    });
}

/// Set `key` to `value` only if `key` is absent: [`Inserted::Set`], or
/// [`Inserted::Held`] with the value already under it.
pub fn insert_new(key: &str, value: &[u8]) -> Result<Inserted, StoreError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::store::insert_new(key, value);
    #[cfg(not(target_arch = "wasm32"))]
    return native(|s| match s.store.entry(key.to_owned()) {
        std::collections::btree_map::Entry::Occupied(held) => {
            Ok(Inserted::Held(held.get().clone()))
        }
        std::collections::btree_map::Entry::Vacant(v) => {
            v.insert(value.to_vec());
            Ok(Inserted::Set)
        }
    });
}

/// Remove `key`; whether it was there.
pub fn delete(key: &str) -> Result<bool, StoreError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::store::delete(key);
    #[cfg(not(target_arch = "wasm32"))]
    return native(|s| Ok(s.store.remove(key).is_some()));
}

/// Reserve `key` for `owner`: store `owner` under `key` unless another
/// owner holds it. Returns `Ok(None)` when `owner` now holds it (newly or
/// already: a retry), `Ok(Some(other))` with the holder otherwise.
pub fn reserve(key: &str, owner: &str) -> Result<Option<String>, StoreError> {
    Ok(insert_new(key, owner.as_bytes())?
        .held_text()
        .filter(|holder| holder != owner))
}

#[cfg(not(target_arch = "wasm32"))]
fn native<T>(
    f: impl FnOnce(&mut crate::native::State) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    crate::native::with(|s| match &s.store_failure {
        Some(e) => Err(e.clone()),
        None => f(s),
    })
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> StepError {
        match e {
            StoreError::Unavailable(m) => StepError::Transient(format!("store unavailable: {m}")),
            StoreError::TooLarge(m) => StepError::Permanent(format!("store refused a value: {m}")),
        }
    }
}
