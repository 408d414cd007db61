//! `swipy`: the Swipy native messaging host and command line. See `swipy --help` and the
//! `swipy_host::serve` docs (frame limits, exit codes).

fn main() {
    one_malloc_arena();
    let code = swipy_host::cli::main_entry(std::env::args().skip(1).collect());
    std::process::exit(code);
}

/// One glibc malloc arena for the whole process. With the default (one per thread, up to
/// eight per core), what the encoder threads free stays in their own arenas: about 100 MiB
/// more at the peak of scoring a page, at no measurable speed (models/README.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn one_malloc_arena() {
    // SAFETY: mallopt only sets an allocator parameter; it runs before any other thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}
