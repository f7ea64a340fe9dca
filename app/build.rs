//! Rebuild when a migration is added or changed: `sqlx::migrate!` embeds
//! the migrations' SQL at compile time, and stable Rust cannot tell Cargo
//! which files a macro read.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
