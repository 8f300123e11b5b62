//! A test component for the host, not a department: a plain WASI command
//! (`wasi:cli/run`). It is a valid component but does not implement the
//! `onething:matter` department world, so the host must refuse it at load
//! with an error naming the missing `handler` export.

fn main() {
    println!("wrong-world: I am a command, not a department");
}
