//! The migrations are embedded into the binary by `embed_migrations!`; a macro cannot tell
//! cargo to rebuild when a migration file changes, so this does (as diesel recommends).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
