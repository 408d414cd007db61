//! `swipy`: the Swipy native messaging host and command line. See `swipy --help` and the
//! `swipy_host::serve` docs (frame limits, exit codes).

fn main() {
    let code = swipy_host::cli::main_entry(std::env::args().skip(1).collect());
    std::process::exit(code);
}
