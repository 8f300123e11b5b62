//! OneThing host library.
