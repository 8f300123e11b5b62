//! Declarative test cases for departments' components (`onething test`):
//! the case file's format ([`format`]), each case checked against the
//! component and the dictionary and planned ([`plan`]), the systems it
//! mocks ([`mocks`]), running it in the real sandbox ([`run`]), the
//! outcome against the expectation ([`compare`]) and the report, as text
//! and JUnit XML ([`report`]).

pub mod bundle;
pub mod compare;
pub mod format;
pub mod mocks;
pub mod plan;
pub mod report;
pub mod run;
