//! OneThing's storage seam (being restructured: only the department
//! key-value trait is here yet).

pub mod kv;
