//! The migrations are embedded at compile time by `sqlx::migrate!`; this makes cargo rebuild
//! the crate when a migration file is added or edited, not only when Rust source changes.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
