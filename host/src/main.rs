//! `swipy`: the Swipy native messaging host and command line. See `swipy --help` and the
//! `swipy_host::serve` docs (frame limits, exit codes).

use std::io::Write;

fn main() {
    one_malloc_arena();
    let code = swipy_host::cli::main_entry(std::env::args().skip(1).collect());
    end_process(code);
}

/// Ends the process at once with `code`, the way a kill ends the threads still running.
///
/// When the browser closes the port, `swipy serve` returns while background threads may
/// still load models or train inside ONNX Runtime. A normal `exit` runs the C/C++ exit
/// handlers, and ONNX Runtime's handlers tear its state down under those threads: a crash
/// (SIGSEGV or SIGABRT) in about one exit in forty under load. Everything the host promised is durable before
/// it is acknowledged (labels are committed, models are renamed into place whole), so
/// ending without the exit handlers loses nothing; only our own buffered output is flushed
/// first. Test: `learning::the_port_closing_while_models_load_or_a_training_runs_is_a_clean_exit`.
fn end_process(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    exit_without_handlers(code)
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn exit_without_handlers(code: i32) -> ! {
    // SAFETY: `_exit` ends the process without running exit handlers or destructors; our
    // output is flushed above and nothing else needs them.
    unsafe { libc::_exit(code) }
}

#[cfg(windows)]
#[allow(unsafe_code)]
fn exit_without_handlers(code: i32) -> ! {
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, TerminateProcess};
    // SAFETY: terminating the current process skips the DLLs' detach handlers (ONNX
    // Runtime's among them), as `_exit` does on Unix; exit codes are unsigned on Windows.
    unsafe {
        TerminateProcess(GetCurrentProcess(), code as u32);
    }
    std::process::exit(code)
}

#[cfg(not(any(unix, windows)))]
fn exit_without_handlers(code: i32) -> ! {
    std::process::exit(code)
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
